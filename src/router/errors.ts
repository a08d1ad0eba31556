/** Final error mapping of a failed request (spec R55, R60, R63). */
import type { FinalError } from "../policies/types.js";
import type { AttemptRecord } from "../types.js";

const CODE_BY_STATUS: Record<number, string> = {
  400: "invalid_request",
  401: "authentication",
  402: "payment_required",
  403: "permission_denied",
  404: "not_found",
  408: "timeout",
  413: "payload_too_large",
  422: "unprocessable",
  429: "rate_limit_exceeded",
  500: "server",
  502: "provider_unavailable",
  503: "provider_overloaded",
  504: "timeout",
};

export function errorType(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "server" : "invalid_request");
}

function transient(a: AttemptRecord): boolean {
  return a.status >= 500 || a.status === 408;
}

/**
 * OpenRouter R60: judge the attempts of the last candidate model. All 429 → 429 capacity_exhausted;
 * all transient (5xx, timeouts, empty responses) → 503 temporarily_unavailable; all upstream 404 →
 * 404 model_unavailable_upstream; otherwise the last attempt's own error (R63 types).
 */
export function openRouterFinalError(attempts: readonly AttemptRecord[]): FinalError {
  if (attempts.length === 0) return { status: 404, code: "no_endpoints" };
  const lastModel = attempts[attempts.length - 1].endpoint.model;
  const f = attempts.filter((a) => a.endpoint.model === lastModel);
  if (f.every((a) => a.status === 429)) return { status: 429, code: "capacity_exhausted" };
  if (f.every(transient)) return { status: 503, code: "temporarily_unavailable" };
  if (f.every((a) => a.status === 404)) return { status: 404, code: "model_unavailable_upstream" };
  const last = f[f.length - 1];
  return lastError(last);
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
