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
  const p = e.price;
  const cached = Math.min(cachedTokens, promptTokens);
  const cacheRate = p.cacheRead ?? p.prompt;
  const list =
    ((promptTokens - cached) * p.prompt + cached * cacheRate + completionTokens * p.completion) / 1e6 +
    p.request;
  const cost = list * (1 - p.discount);
  return e.byok !== undefined ? cost * byokFeeShare : cost;
}
