/**
 * The policy contract. A policy only decides the order in which to try endpoints: it cannot touch
 * the clock or the providers. The router executes that order (timeouts, fallbacks, billing).
 */
import type { Rng } from "../rng/rng.js";
import type { AttemptRecord, Endpoint, Outcome, PercentileStats, RoutedRequest } from "../types.js";

/** Attempt counts in a time window, per R90 (rate-limited requests kept apart). */
export interface WindowCounts {
  successes: number;
  /** Counted errors (R91): 401, 402, 404, 5xx, timeouts, mid-stream failures. */
  errors: number;
  rateLimited: number;
}

/** What the router has observed about endpoints (read-only for policies). */
export interface HealthView {
  /** Time of the endpoint's latest counted failure, or -Infinity. */
  lastFailureMs(endpoint: number): number;
  /** Counted failures at or after `sinceMs` (remembers the latest 32). */
  failuresSince(endpoint: number, sinceMs: number): number;
  /** Latest 429 time, or -Infinity. */
  lastRateLimitedMs(endpoint: number): number;
  /** Outcome counts over the last `windowMs` (minute buckets). */
  window(endpoint: number, windowMs: number): WindowCounts;
  /**
   * Optional change log, with `recordedEndpoint`: attempts recorded so far, all endpoints together.
   * A view that has it promises that an endpoint's `lastFailureMs`, `failuresSince` and `window`
   * answers change only when the endpoint records an attempt, and `window(e, w)` also when `now`
   * moves the minute buckets it counts (floor(now / 60 000) or floor((now − w) / 60 000)): a policy
   * can then keep what it derived per endpoint and redo only the endpoints recorded since.
   */
  recordCount?(): number;
  /** The endpoint of record k (0-based, below `recordCount()`), or -1 if no longer kept. */
  recordedEndpoint?(k: number): number;
  /** Attempts in flight at the endpoint (running + queued), as the gateway sees them. */
  inflight(endpoint: number): number;
  /** Exponentially weighted mean TTFT of successful attempts (ms), NaN before any. */
  ttftEwmaMs(endpoint: number): number;
  /**
   * Rolling percentiles of successful attempts ending in the last `windowMs` (R7, R94): latency =
   * TTFT in seconds, throughput = output tokens per second end to end. Null when no sample.
   */
  observedStats?(endpoint: number, windowMs: number): ObservedStats | null;
}

export interface ObservedStats {
  readonly latencyS: PercentileStats;
  readonly throughput: PercentileStats;
  readonly samples: number;
}

/** The read-only world a policy routes over. */
export interface EndpointView {
  readonly now: number;
  /** Every endpoint in canonical (catalog) order. */
  readonly catalog: readonly Endpoint[];
  /** Endpoints serving a model, in catalog order (empty if unknown). */
  endpointsOf(model: string): readonly Endpoint[];
  readonly health: HealthView;
}

/** A policy's answer: endpoints (by id) to try in order, or a rejection before any attempt. */
export type Decision =
  | {
      readonly kind: "route";
      readonly candidates: readonly number[];
      /**
       * `candidates[k]`, or -1 past the end, for a policy that computes its order lazily:
       * `candidates` may then be a getter that builds the whole order on first read (the same order
       * it would have built eagerly), so a router that asks `candidateAt` for each attempt pays
       * only for the candidates it tries.
       */
      candidateAt?(k: number): number;
      readonly delaysMs?: readonly number[];
      /** Per-step timeout (ms; Infinity = no timer), for gateways whose targets set their own; default `RouterBehaviour.timeoutMs`. */
      readonly timeoutsMs?: readonly number[];
      /** The final error when every candidate fails and the last candidate model had no eligible endpoint (R60). */
      readonly emptyTail?: FinalError & { readonly excludedBy?: readonly string[] };
      /** Why: filled only when the policy's explanations are enabled (decision log). */
      readonly explain?: unknown;
      /**
       * For reports ("why traffic went where"): visits each endpoint the policy ranked, with the
       * health group it put it in (0 normal, 1 degraded, 2 down or unstable) and its load-balancing
       * weight (NaN when it has none). Optional; pure.
       */
      standings?(visit: (endpointId: number, group: 0 | 1 | 2, weight: number) => void): void;
    }
  | {
      readonly kind: "reject";
      readonly status: number;
      readonly code: string;
      readonly excludedBy?: readonly string[];
      readonly explain?: unknown;
    };

/**
 * A plan step whose endpoint is chosen only when the step runs, after its delay: the router then
 * calls `Policy.resolve` (LiteLLM re-runs its strategy at the retry's real time).
 */
export const DEFERRED = -2;

/**
 * Which moment of an attempt the per-attempt timer measures (docs/gateways-model.md "Timeouts"):
 * the first token (OpenRouter's idle timeout, an HTTP client's read timeout on a stream), the
 * response headers (Portkey's timer stops when `fetch` resolves), or the end of the response (a
 * non-streaming read, Envoy's route timeout). A stream cut by a "response" timer after its first
 * token is committed: the client has seen tokens.
 */
export type TimeoutScope = "first_token" | "headers" | "response";

/** What to do after a failed (pre-commit) attempt. */
export type FailureAction = "next" | "next_model" | "stop";

/** Final status and code of a failed request. */
export interface FinalError {
  status: number;
  code: string;
  /** Retry-After (s): the minimum hint across attempts (R61), when any. */
  retryAfterS?: number;
}

/** How the router executes a policy's decisions. */
export interface RouterBehaviour {
  /** Per-attempt limit on time to first token (ms). */
  readonly timeoutMs: number;
  /** Attempts per request at most (Infinity = unlimited). */
  readonly maxAttempts: number;
  /** Called for each failed attempt before the first token. */
  onFailure(status: number, error: AttemptRecord["error"]): FailureAction;
  /** Maps the attempts of a failed request to its final status (R60 for OpenRouter). */
  finalError(attempts: readonly AttemptRecord[], requestId: number): FinalError;
  /** Share of the list price charged when a BYOK endpoint serves (R70); default 0.05. */
  readonly byokFeeShare?: number;
  /** Bill the tokens of a stream that failed after its first token (R69); default false. */
  readonly billPartialOnErrorFinish?: boolean;
  /** What the timer measures, for streaming and non-streaming requests; default first token for both. */
  readonly timeoutScope?: { readonly streaming: TimeoutScope; readonly nonStreaming: TimeoutScope };
  /**
   * The gateway calls providers directly, so a provider bills what it generated on an attempt the
   * gateway abandoned (a timeout after prefill, a mid-stream cut); default false (OpenRouter bills
   * only what it serves, R69).
   */
  readonly billsAbandoned?: boolean;
  /**
   * A deadline on the whole request from its arrival, retries and waits included, bounding the end
   * of the response (Envoy's route timeout). Reaching it ends the request with 504; default none.
   */
  readonly requestTimeoutMs?: number;
}

export interface Policy {
  readonly name: string;
  /**
   * `rng` is only valid during the call: a policy that defers draws (`Decision.candidateAt`)
   * saves the generator state it needs, since the caller reseeds and reuses the generator.
   */
  route(req: RoutedRequest, view: EndpointView, rng: Rng): Decision;
  /**
   * Called when a `DEFERRED` plan step runs (its delay has passed): the endpoint to call now, or -1
   * for no provider call (the router then goes on with the plan's next step, which `resolve` may
   * have appended, or ends the request with `finalError`).
   */
  resolve?(requestId: number, view: EndpointView): number;
  /** Optional: stateful gateway emulations (cooldowns, ejection) learn from every attempt. */
  observe?(attempt: AttemptRecord, view: EndpointView): void;
  /** Optional: called once per request with its outcome (sticky routing learns here). */
  settle?(req: RoutedRequest, outcome: Outcome, attempts: readonly AttemptRecord[], view: EndpointView): void;
  /** Optional: from now on, fill `Decision.explain` (decision log); off by default for speed. */
  enableExplain?(): void;
  /**
   * False when the policy never reads `view.health`: the router then keeps no health books for it
   * (a measurable share of a request's cost). Default: it reads them.
   */
  readonly readsHealth?: boolean;
  /**
   * True when `observe`/`settle` keep an attempt record, outcome or attempts list after the
   * request's `settle` returns; the router then never reuses them for later requests. Default:
   * false for routesim's own policies, true for any other (see policies/records.ts).
   */
  readonly keepsRecords?: boolean;
}
