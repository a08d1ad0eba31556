/**
 * routesim's domain vocabulary. Everything else reads like prose over these names. Inner layers
 * import the scenario's types from here too, never from src/scenario (the zod schemas at the edge).
 */
import type { Quantization, RequestBody } from "./domain/request-body.js";

// The scenario-shaped types (what a loaded scenario holds), written without zod in src/domain/.
export {
  type ContentPart,
  EFFORTS,
  type Effort,
  type Message,
  type Percentiles,
  type ProviderPrefs,
  type Quantization,
  REQUEST_BODY_FIELDS,
  type RequestBody,
  type SortKey,
} from "./domain/request-body.js";
export type {
  Arrivals,
  Dist,
  FailureStatus,
  FlashCrowd,
  ModelMix,
  Outage,
  OutageGroup,
  PolicySpec,
  Price,
  Provider,
  RandomOutages,
  RateLimit,
  RateSchedule,
  RouterSettings,
  Scenario,
  TraceColumns,
  TraceSpec,
  Traffic,
} from "./domain/scenario.js";

/** Prices in USD per million tokens (request fee in USD per request). */
export interface PriceCard {
  readonly prompt: number;
  readonly completion: number;
  readonly request: number;
  readonly cacheRead: number | null;
  readonly cacheWrite: number | null;
  readonly discount: number;
}

export interface PercentileStats {
  readonly p50?: number;
  readonly p75?: number;
  readonly p90?: number;
  readonly p99?: number;
}

/** One way of serving one model: the static, advertised catalog entry of a mock provider. */
export interface Endpoint {
  /** Dense index, stable for the run (canonical/catalog order). */
  readonly id: number;
  /** Endpoint tag: provider slug, or `slug/suffix`. */
  readonly tag: string;
  /**
   * What reports call it: the tag, or `tag · model` when several endpoints share the tag (two
   * models at one provider). The key of every share table, timeline series and chart.
   */
  readonly label: string;
  /** Provider slug (the tag before any `/`). */
  readonly provider: string;
  readonly model: string;
  readonly price: PriceCard;
  readonly contextLength: number;
  readonly maxCompletionTokens: number | null;
  readonly quantization: Quantization;
  readonly supportedParameters: ReadonlySet<string>;
  readonly dataPolicy: { readonly training: boolean; readonly zdr: boolean };
  readonly tier: "default" | "flex" | "priority";
  readonly status: number;
  /** Advertised performance: throughput in tokens/s, latency (TTFT) in seconds. */
  readonly advertised: { readonly throughput: PercentileStats; readonly latencyS: PercentileStats };
  /** A user's own key for this provider (BYOK, spec R33); absent for shared capacity. */
  readonly byok?: { readonly section: "prioritized" | "fallback"; readonly alwaysUse: boolean };
  /** Prompt caching at the provider (hits cut prompt price and TTFT); absent = no cache. */
  readonly cache?: { readonly ttlMs: number; readonly hitShare: number; readonly ttftFactor: number };
  /** Accepted input modalities (R5, R11); absent = text only. */
  readonly inputModalities?: readonly string[];
  /** Produced output modalities (R105); absent = text only. */
  readonly outputModalities?: readonly string[];
  /** Quality scores (0..1) per task type or ranker key (`exacto`), for Auto Router / Exacto reports. */
  readonly quality?: Readonly<Record<string, number>>;
  /** R119: which `tool_choice` values passed testing; absent = all of them. */
  readonly toolChoiceSupport?: {
    readonly auto: boolean;
    readonly none: boolean;
    readonly required: boolean;
    readonly function: boolean;
  };
  /** R101: the model's fast sibling (priority/fast requests are rerouted to it); absent = none. */
  readonly fastSibling?: string;
}

/** A request as the traffic generator or a trace produces it. */
export interface TrafficRequest {
  /** Dense id in arrival order, starting at 0. */
  readonly id: number;
  readonly arrivalMs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Model requested by the traffic (may carry a variant suffix); policies may override it. */
  readonly model: string;
  /** Conversation/session id for stickiness, if any. */
  readonly session?: string;
  /** Priority carried over from a trace's priority column, if any (higher = more important). */
  readonly priority?: number;
  /**
   * Byte-identical body marker (R106): requests with the same key carry the same body (traffic
   * repeats, a trace's `body_hash`). Absent = a unique body, never a response-cache hit.
   */
  readonly bodyKey?: string;
}

/** A request as a policy sees it: the traffic request plus the policy's OpenRouter-style body. */
export interface RoutedRequest extends TrafficRequest {
  readonly body: RequestBody;
}

/** Attempt status: an HTTP-like code; 200 is success; timeouts are 408. */
export type AttemptStatus = number;

export type AttemptError =
  | "none"
  | "outage"
  | "error"
  | "rate_limited"
  | "queue_full"
  | "timeout"
  | "empty_response"
  | "mid_stream";

/** One attempt of one request on one endpoint. */
export interface AttemptRecord {
  readonly policy: string;
  readonly requestId: number;
  /** 1-based attempt number within the request. */
  readonly attempt: number;
  readonly endpoint: Endpoint;
  readonly startMs: number;
  readonly endMs: number;
  /** Time to first token from the attempt's start, or NaN when no token arrived. */
  readonly ttftMs: number;
  readonly status: AttemptStatus;
  readonly error: AttemptError;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Charged cost: a served attempt, or what a provider generated before the gateway let go (see RouterBehaviour.billsAbandoned). */
  readonly costUsd: number;
  /** Prompt tokens read from the provider's cache (prompt caching), if any. */
  readonly cachedTokens?: number;
  /** Retry-After hint (s) the endpoint gave with a 429/503, if any (R61). */
  readonly retryAfterS?: number;
}

/** How a request ended: exactly one per request per policy. */
export type Outcome =
  | {
      readonly kind: "served";
      readonly endpoint: Endpoint;
      readonly attempts: number;
      readonly costUsd: number;
      readonly latencyMs: number;
      readonly ttftMs: number;
      /** Answered from the response cache (R106): 0 attempts, cost 0; `endpoint` served the stored response. */
      readonly cacheHit?: true;
    }
  | {
      readonly kind: "failed";
      readonly status: number;
      readonly code: string;
      readonly attempts: number;
      readonly latencyMs: number;
      /** Time to first token when a stream started and then failed; NaN otherwise. */
      readonly ttftMs: number;
      /** Billed for attempts the gateway abandoned (providers it calls directly bill them); else 0. */
      readonly costUsd: number;
    };

/**
 * Service-level targets of a scenario: a request counts toward goodput when it is served with its
 * first token and its last within them (null: no target on that one).
 */
export interface Slo {
  ttftMs: number | null;
  latencyMs: number | null;
}

/** What `drive` records of a live replay (live.json). */
export interface LiveInfo {
  gateway: string;
  timeScale: number;
  warmup: number;
  requests: number;
  journalEntries: number;
  /** Requests the gateway answered 200 although no mock call of theirs succeeded (or the reverse). */
  mismatched: number;
  /** `x-portkey-last-used-option-index` values seen, when the gateway sends them. */
  lastUsedOption: Record<string, number>;
  /** Latest a request left after its arrival time (wall ms): a loaded client shows here. */
  maxSendLagMs: number;
  wallTimeMs: number;
}
