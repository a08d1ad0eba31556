/**
 * LiteLLM's exceptions as routesim sees them (docs/gateways.md §1.2): the class of a mock
 * provider's status, which retry_policy / allowed_fails_policy field a class reads, and the errors
 * the router raises itself without a provider call.
 *
 * Exception classes from mock-provider statuses (§1.2 retry_policy row, OpenAI-compatible mapping):
 * 400/422 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 408 and 504 Timeout, 429
 * RateLimitError, 500 InternalServerError, anything else APIError (503 ServiceUnavailableError has no
 * policy field either). Mock providers send no message text, so routesim's conventions stand in for
 * LiteLLM's message rules: status 451 is a ContentPolicyViolationError, and a request whose tokens
 * exceed the picked deployment's context length fails there with ContextWindowExceededError, without
 * a provider call.
 */
import type { FinalError } from "../types.js";
import type { ErrorClass } from "./config.js";

/** A failure as LiteLLM's retry and fallback code sees it: the client status, the class, the hint. */
export interface LiteError extends FinalError {
  readonly cls: ErrorClass;
  /** Retry-After of the failing response (ms), null when it has none. */
  readonly retryAfterMs: number | null;
}

/** §1.2 retry_policy row: the exception class of a provider status (message rules: see the header). */
export function errorClass(status: number): ErrorClass {
  switch (status) {
    case 400:
    case 422:
      return "bad_request";
    case 401:
      return "auth";
    case 404:
      return "not_found";
    case 408:
    case 504:
      return "timeout";
    case 429:
      return "rate_limit";
    case 451:
      return "content_policy";
    case 500:
      return "internal_server";
    default:
      return "api_error";
  }
}

/**
 * `get_num_retries_from_retry_policy` checks Auth, Timeout, RateLimit, ContentPolicy, BadRequest in
 * that order; ContentPolicyViolationError and ContextWindowExceededError are BadRequestErrors.
 */
export const RETRY_FIELDS: Record<ErrorClass, readonly ErrorClass[]> = {
  auth: ["auth"],
  timeout: ["timeout"],
  rate_limit: ["rate_limit"],
  content_policy: ["content_policy", "bad_request"],
  context_window: ["bad_request"],
  bad_request: ["bad_request"],
  internal_server: ["internal_server"],
  not_found: [],
  api_error: [],
};

/** `get_allowed_fails_from_policy` checks BadRequest first, then Auth, Timeout, RateLimit, ContentPolicy. */
export const FAILS_FIELDS: Record<ErrorClass, readonly ErrorClass[]> = {
  ...RETRY_FIELDS,
  content_policy: ["bad_request", "content_policy"],
};

/** The value of the first of `keys` set in a per-class policy (retry_policy, allowed_fails_policy). */
export function firstSet(
  o: Partial<Record<ErrorClass, number>>,
  keys: readonly ErrorClass[],
): number | undefined {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

/** The router raises RouterRateLimitError (a ValueError: no policy field) when nothing is healthy. */
export const NO_DEPLOYMENTS: LiteError = {
  status: 429,
  code: "no_deployments_available",
  cls: "api_error",
  retryAfterMs: null,
};
/** usage-based-routing-v2 raises a RateLimitError with Retry-After 60 s when nothing is under budget (§1.5). */
export const OVER_BUDGET: LiteError = {
  status: 429,
  code: "no_deployments_available",
  cls: "rate_limit",
  retryAfterMs: 60_000,
};
/** simple-shuffle over weights summing to 0: `random.choices` raises ValueError, which the proxy returns as 500. */
export const ZERO_WEIGHTS: LiteError = {
  status: 500,
  code: "zero_weights",
  cls: "api_error",
  retryAfterMs: null,
};
export const CONTEXT_WINDOW: LiteError = {
  status: 400,
  code: "context_length_exceeded",
  cls: "context_window",
  retryAfterMs: null,
};
