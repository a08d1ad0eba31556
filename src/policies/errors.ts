/**
 * Final errors of a failed request: the R63 type of a status and the last attempt's error as is
 * (what most self-hosted gateways return). OpenRouter's own mapping (R59–R62) is in
 * openrouter/errors.ts, beside its policy.
 */

import type { AttemptRecord } from "../types.js";
import type { FinalError } from "./types.js";

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

/** The last attempt's error as is (what most self-hosted gateways return). */
export function lastAttemptError(attempts: readonly AttemptRecord[]): FinalError {
  if (attempts.length === 0) return { status: 404, code: "no_endpoints" };
  return attemptError(attempts[attempts.length - 1]);
}

/** One attempt's error: its status and R63 type (timeouts 504, empty responses 502). */
export function attemptError(a: AttemptRecord): FinalError {
  if (a.error === "timeout") return { status: 504, code: "timeout" };
  if (a.error === "empty_response") return { status: 502, code: "provider_unavailable" };
  return { status: a.status, code: errorType(a.status) };
}
