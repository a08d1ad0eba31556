/** OpenRouter's final errors (spec R45, R59–R63): what a request that failed every attempt returns. */

import type { AttemptRecord } from "../../types.js";
import { attemptError, errorType } from "../errors.js";
import type { FinalError } from "../types.js";

/**
 * Every R63 type a mock attempt's status may stand for (mock providers return statuses, not typed
 * bodies): a 400 may be `context_length_exceeded`, `max_tokens_exceeded`… Used by
 * `modelFatalErrorTypes` (R45); a bare status ("400") also matches.
 */
const TYPES_400 = [
  "invalid_request",
  "context_length_exceeded",
  "max_tokens_exceeded",
  "token_limit_exceeded",
  "string_too_long",
  "invalid_prompt",
  "content_policy_violation",
  "refusal",
];

export function errorTypesOf(status: number): readonly string[] {
  if (status === 400) return [...TYPES_400, "400"];
  if (status === 404) return ["not_found", "image_not_found", "404"];
  if (status === 408) return ["timeout", "408"];
  return [errorType(status), String(status)];
}

function transient(a: AttemptRecord): boolean {
  return a.status >= 500 || a.status === 408;
}

/** R61: the smallest Retry-After hint among the attempts, if any. */
function minRetryAfter(f: readonly AttemptRecord[]): number | undefined {
  let m = Number.POSITIVE_INFINITY;
  for (const a of f) if (a.retryAfterS !== undefined && a.retryAfterS < m) m = a.retryAfterS;
  return m === Number.POSITIVE_INFINITY ? undefined : m;
}

/**
 * OpenRouter R60: judge the attempts of the last candidate model. All 429 → 429 capacity_exhausted;
 * all transient (5xx, timeouts, empty responses) → 503 temporarily_unavailable; all upstream 404 →
 * 404 model_unavailable_upstream; otherwise the last attempt's own error (R63 types). R61: 429 and
 * 503 outcomes carry the minimum Retry-After hint.
 */
export function openRouterFinalError(attempts: readonly AttemptRecord[]): FinalError {
  if (attempts.length === 0) return { status: 404, code: "no_endpoints" };
  const lastModel = attempts[attempts.length - 1].endpoint.model;
  const f = attempts.filter((a) => a.endpoint.model === lastModel);
  const withHint = (e: FinalError): FinalError => {
    const r = minRetryAfter(f);
    return r === undefined ? e : { ...e, retryAfterS: r };
  };
  if (f.every((a) => a.status === 429)) return withHint({ status: 429, code: "capacity_exhausted" });
  if (f.every(transient)) return withHint({ status: 503, code: "temporarily_unavailable" });
  if (f.every((a) => a.status === 404)) return { status: 404, code: "model_unavailable_upstream" };
  const e = attemptError(f[f.length - 1]);
  return e.status === 429 || e.status === 503 ? withHint(e) : e;
}

/** R59: availability codes, with their error type and whether a retry may help. */
const AVAILABILITY: Record<string, { errorType: string; retryable: boolean }> = {
  model_not_found: { errorType: "invalid_request", retryable: false },
  wrong_endpoint: { errorType: "invalid_request", retryable: false },
  no_endpoints: { errorType: "not_found", retryable: false },
  model_deprecated: { errorType: "not_found", retryable: false },
  model_unavailable_upstream: { errorType: "not_found", retryable: false },
  capacity_exhausted: { errorType: "rate_limit_exceeded", retryable: true },
  temporarily_unavailable: { errorType: "provider_overloaded", retryable: true },
  region_restricted: { errorType: "permission_denied", retryable: false },
  privacy_restricted: { errorType: "not_found", retryable: false },
  constraint_filtered: { errorType: "not_found", retryable: false },
  free_variant_ended: { errorType: "not_found", retryable: false },
};

/**
 * R62: the error body of a failed request, `error.availability` for R59 codes (R61: with the
 * minimum Retry-After on 429/503). A 500's message is generic and its provider code left out.
 * The message wording is routesim's: the spec gives the fields, not OpenRouter's sentences.
 */
export function openRouterErrorBody(
  e: FinalError,
  attempts: readonly AttemptRecord[],
  requestedModels: readonly string[],
): { error: Record<string, unknown> } {
  const avail = AVAILABILITY[e.code];
  const type = avail?.errorType ?? errorType(e.status);
  const last = attempts[attempts.length - 1];
  const tried = `${attempts.length} attempt${attempts.length === 1 ? "" : "s"}`;
  const message =
    e.status === 500
      ? "Internal Server Error"
      : e.code === "no_endpoints"
        ? `No endpoints found for ${requestedModels.join(", ")}.`
        : e.code === "capacity_exhausted"
          ? `Every provider tried is rate-limited (${tried}).`
          : e.code === "temporarily_unavailable"
            ? `Provider returned error: every provider tried is unavailable (${tried}).`
            : `Provider returned error (${e.code}, ${tried}).`;
  const metadata: Record<string, unknown> = {
    error_type: type,
    ...(e.status !== 500 && last ? { provider_code: last.status, provider_name: last.endpoint.tag } : {}),
    previous_errors: attempts.map((a) => ({
      provider: a.endpoint.tag,
      code: a.error === "none" ? errorType(a.status) : a.error,
      status: a.status,
    })),
  };
  const error: Record<string, unknown> = { code: e.status, message, error_type: type, metadata };
  if (avail)
    error.availability = {
      code: e.code,
      retryable: avail.retryable,
      requested_models: [...requestedModels],
      docs_url: "https://openrouter.ai/docs/api-reference/errors",
      ...(e.retryAfterS !== undefined && (e.status === 429 || e.status === 503)
        ? { retry_after: e.retryAfterS }
        : {}),
    };
  return { error };
}
