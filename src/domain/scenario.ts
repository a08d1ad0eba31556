/**
 * A loaded scenario as the simulation reads it: exactly what scenario/schema.ts produces after
 * parsing (every default filled), written without zod. The schema checks at compile time that it
 * produces these types, so the two never drift. Units are in the key names (`_ms`, `_s`, `_per_s`).
 */
import type { Percentiles, Quantization, RequestBody } from "./request-body.js";

// Object types, not interfaces: like the schema's own, they are assignable to Record<string, unknown>.

/** A and B as one flat object type (what the schema infers for a spread of shared keys). */
type Merge<A, B> = { [K in keyof (A & B)]: (A & B)[K] };

// ---------------------------------------------------------------------------------------------
// Distributions: a bare number means constant.
// ---------------------------------------------------------------------------------------------

export type Dist =
  | number
  | { dist: "constant"; value: number }
  | { dist: "uniform"; min: number; max: number }
  | { dist: "exponential"; mean: number }
  /** Exactly one of sd or cv; truncated at min (default 0). */
  | { dist: "normal"; mean: number; sd?: number; cv?: number; min?: number }
  /** Either {median, sigma} or {mean, cv}. */
  | { dist: "lognormal"; median?: number; sigma?: number; mean?: number; cv?: number }
  | { dist: "gamma"; mean: number; cv: number }
  /** Exactly one of values or quantiles ([[p, value], ...] from p=0 to p=1). */
  | { dist: "empirical"; values?: number[]; quantiles?: [number, number][] };

// ---------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------

/** A rate that changes over time, multiplying (diurnal) or replacing (piecewise) `rate_per_s`. */
export type RateSchedule =
  | {
      kind: "piecewise";
      interpolate: "step" | "linear";
      points: { at_s: number; rate_per_s: number }[];
    }
  | { kind: "diurnal"; period_s: number; amplitude: number; phase_s: number };

export type FlashCrowd = {
  start_s: number;
  duration_s: number;
  /** Rate multiplier at the peak. */
  multiplier: number;
  /** Linear ramp up and down at each end. */
  ramp_s: number;
};

type ArrivalsCommon = {
  rate_per_s: number;
  schedule?: RateSchedule;
  flash_crowd?: FlashCrowd;
};

export type PoissonArrivals = Merge<ArrivalsCommon, { process: "poisson" }>;

export type GammaArrivals = Merge<
  ArrivalsCommon,
  {
    process: "gamma";
    /** Coefficient of variation of inter-arrival times; > 1 is bursty. */
    cv: number;
  }
>;

/** Deterministic, evenly spaced arrivals. */
export type UniformArrivals = Merge<ArrivalsCommon, { process: "uniform" }>;

export type Arrivals = PoissonArrivals | GammaArrivals | UniformArrivals;

/** Model weights by id, or a list of {model, weight}. */
export type ModelMix = Record<string, number> | { model: string; weight: number }[];

/** Trace replay settings every format shares (docs/traces.md). */
type TraceOptions = {
  path: string;
  time_scale: number;
  rate_scale: number;
  jitter_ms: number;
  start_s: number;
  duration_s?: number;
  limit?: number;
  on_bad_row: "error" | "skip";
  reorder_window_ms: number;
};

export type TraceColumns = {
  time: string;
  time_unit: "s" | "ms" | "us" | "ns" | "datetime";
  prompt: string;
  completion: string;
  model?: string;
  session?: string;
  priority?: string;
  body_hash?: string;
  status?: string;
};

export type AzureTrace = Merge<TraceOptions, { format: "azure-csv" }>;

export type MooncakeTrace = Merge<
  TraceOptions,
  {
    format: "mooncake-jsonl";
    /** Leading hash_ids that identify a conversation (0 = no session). */
    session_blocks: number;
  }
>;

/** A csv or jsonl file with named columns; `keep_status` keeps only rows with those statuses. */
export type ColumnsTrace = Merge<
  TraceOptions,
  {
    format: "csv" | "jsonl";
    columns: TraceColumns;
    keep_status?: (number | string)[];
  }
>;

export type TraceSpec = AzureTrace | MooncakeTrace | ColumnsTrace;

export type Traffic = {
  arrivals?: Arrivals;
  requests?: number;
  duration_s?: number;
  prompt_tokens: Dist;
  completion_tokens: Dist;
  prompt_tokens_from?: "traffic" | "body";
  model?: string;
  model_mix?: ModelMix;
  sessions?: { count: number; share: number };
  /** R106: byte-identical repeats of earlier requests (synthetic traffic). */
  repeats?: { share: number; window_s: number };
  trace?: TraceSpec;
};

// ---------------------------------------------------------------------------------------------
// Providers (mock endpoints)
// ---------------------------------------------------------------------------------------------

/** Attempt-level failure statuses a mock provider can produce (a 4xx/5xx, a hang or an empty 502). */
export type FailureStatus = number | "timeout" | "empty";

export type Outage = {
  start_s: number;
  duration_s: number;
  status: FailureStatus;
  /** Share of attempts that fail during the outage (partial degradation). */
  error_rate: number;
  latency_multiplier: number;
};

export type RandomOutages = {
  mtbf_s: number;
  duration_s: Dist;
  status: FailureStatus;
  error_rate: number;
  latency_multiplier: number;
};

/** USD per million tokens (request: USD per request); effective = listed × (1 − discount). */
export type Price = {
  prompt: number;
  completion: number;
  request: number;
  cache_read?: number;
  cache_write?: number;
  discount: number;
};

/** Token bucket: requests per minute, bucket size (default one second's worth, at least 1). */
export type RateLimit = {
  rpm: number;
  burst?: number;
};

export type Provider = {
  /** Endpoint tag: provider slug, or slug/suffix for extra endpoints. */
  name: string;
  model: string;
  price: Price;
  context_length: number;
  max_completion_tokens: number | null;
  quantization: Quantization;
  supported_parameters: string[];
  data_policy: { training: boolean; zdr: boolean };
  tier: "default" | "flex" | "priority";
  /** Catalog status; only 0 is routable. */
  status: number;
  ttft_ms: Dist;
  tokens_per_s: Dist;
  /** Slots; null = unlimited. */
  concurrency: number | null;
  /** Queued beyond this → 429; null = unlimited. */
  queue_limit: number | null;
  rate_limit: RateLimit | null;
  error_rate: number;
  /** Weights by status code, `timeout` or `empty`. */
  error_mix: Record<string, number>;
  error_latency_ms: Dist;
  midstream_error_rate: number;
  /** When a gateway lets go mid-generation: stop (bill what was generated) or continue. */
  on_cancel: "stop" | "continue";
  outages: Outage[];
  random_outages?: RandomOutages;
  stats?: { throughput?: Percentiles; latency_s?: Percentiles };
  /** The user's own key (BYOK, OpenRouter R33). */
  byok?: { section: "prioritized" | "fallback"; always_use: boolean };
  /** Prompt caching at this endpoint. */
  cache?: { ttl_s: number; hit_share: number; ttft_factor: number };
  input_modalities?: string[];
  output_modalities?: string[];
  quality?: Record<string, number>;
  /** R119: which tool_choice values passed testing. */
  tool_choice_support?: { auto: boolean; none: boolean; required: boolean; function: boolean };
  /** R101: model id of this model's fast sibling. */
  fast_sibling?: string;
};

/** Providers that fail together (one outage schedule for all). */
export type OutageGroup = {
  name: string;
  providers: string[];
  outages: Outage[];
  random_outages?: RandomOutages;
};

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

/** Router settings shared by every policy kind. */
export type RouterSettings = {
  timeout_ms: number;
  /** null = unlimited. */
  max_attempts: number | null;
  timeout_measures?: "first_token" | "headers" | "response";
};

/** One policy entry of a scenario; `kind` is filled from a config key (`litellm: path`, …). */
export type PolicySpec = {
  name: string;
  description?: string;
  kind: string;
  request: RequestBody;
  /** OpenRouter knobs (validated by the policy). */
  openrouter: Record<string, unknown>;
  router: RouterSettings;
  /** Options of non-OpenRouter kinds (validated by that kind). */
  options: Record<string, unknown>;
  /** Gateway config files, relative to the scenario. */
  litellm?: string;
  portkey?: string;
  envoy?: string;
  nginx?: string;
  /** R106: OpenRouter response caching. */
  response_cache?: { enabled: boolean; ttl_s?: number };
  portkey_build?: "source" | "npm";
};

// ---------------------------------------------------------------------------------------------
// Scenario
// ---------------------------------------------------------------------------------------------

export type Scenario = {
  name: string;
  description?: string;
  seed: number;
  traffic: Traffic;
  providers: Provider[];
  outage_groups: OutageGroup[];
  policies: PolicySpec[];
  /** Service-level targets (at least one set). */
  slo?: { ttft_ms?: number; latency_ms?: number };
  /** R102: OpenRouter presets by slug (partial request bodies). */
  presets: Record<string, RequestBody>;
};
