/** Final error mapping of a failed request (spec R55, R59–R61, R63). */
import type { FinalError } from "../policies/types.js";
import type { AttemptRecord } from "../types.js";

const CODE_BY_STATUS: Record<number, string> = {
  400: "invalid_request",
  401: "authentication",
  402: "payment_required",
  403: "permission_denied",
  404: "not_found",
  408: "timeout",
  412: "precondition_failed",
  413: "payload_too_large",
  422: "unprocessable",
  429: "rate_limit_exceeded",
  500: "server",
  502: "provider_unavailable",
  503: "provider_overloaded",
  504: "timeout",
};

/** R63: the typed error type of a status. */
export function errorType(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "server" : "invalid_request");
}

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
  const e = lastError(f[f.length - 1]);
  return e.status === 429 || e.status === 503 ? withHint(e) : e;
}

/** The last attempt's error as is (what most self-hosted gateways return). */
export function lastAttemptError(attempts: readonly AttemptRecord[]): FinalError {
  if (attempts.length === 0) return { status: 404, code: "no_endpoints" };
  return lastError(attempts[attempts.length - 1]);
}

function lastError(a: AttemptRecord): FinalError {
  if (a.error === "timeout") return { status: 504, code: "timeout" };
  if (a.error === "empty_response") return { status: 502, code: "provider_unavailable" };
  return { status: a.status, code: errorType(a.status) };
}
