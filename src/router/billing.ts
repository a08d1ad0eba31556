/**
 * What a served attempt costs (R66–R70): prompt tokens read from the provider's cache at the
 * cache-read price (not also at the prompt price, R68), BYOK endpoints only the OpenRouter fee
 * (a share of the list price, R70), discounts applied.
 */
import type { Endpoint } from "../types.js";

export function billUsd(
  e: Endpoint,
  promptTokens: number,
  cachedTokens: number,
  completionTokens: number,
  byokFeeShare: number,
): number {
  const out = { costUsd: 0 };
  billInto(out, e, promptTokens, cachedTokens, completionTokens, { byokFeeShare });
  return out.costUsd;
}

/**
 * `billUsd` written into `rec.costUsd`, with the fee share read from `terms`: no fractional number
 * crosses the call, which V8 boxes (an allocation per attempt) whenever it does not inline it.
 */
export function billInto(
  rec: { costUsd: number },
  e: Endpoint,
  promptTokens: number,
  cachedTokens: number,
  completionTokens: number,
  terms: { readonly byokFeeShare: number },
): void {
  const p = e.price;
  const cached = Math.min(cachedTokens, promptTokens);
  const cacheRate = p.cacheRead ?? p.prompt;
  const list =
    ((promptTokens - cached) * p.prompt + cached * cacheRate + completionTokens * p.completion) / 1e6 +
    p.request;
  const cost = list * (1 - p.discount);
  rec.costUsd = e.byok !== undefined ? cost * terms.byokFeeShare : cost;
}
