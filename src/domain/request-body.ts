/**
 * An OpenRouter chat request body as the policies read it: the shape scenario/request-body.ts
 * produces after validation (nulls stripped, R98), written without zod. The top level and message
 * objects are open (R97): unknown fields pass through, typed `unknown`.
 */

/** Quantizations as OpenRouter names them (also a provider's `quantization`). */
export type Quantization =
  | "int4"
  | "int8"
  | "fp4"
  | "mxfp4"
  | "nvfp4"
  | "fp6"
  | "fp8"
  | "mxfp8"
  | "fp16"
  | "bf16"
  | "fp32"
  | "unknown";

/** Reasoning efforts, strongest first (R108). */
export const EFFORTS = ["max", "xhigh", "high", "medium", "low", "minimal", "none"] as const;
export type Effort = (typeof EFFORTS)[number];

/** `provider.sort` keys. */
export type SortKey = "price" | "throughput" | "latency" | "exacto";

/** Latency or throughput by percentile (each optional). */
export type Percentiles = {
  p50?: number;
  p75?: number;
  p90?: number;
  p99?: number;
};

/** OpenRouter's `provider` object (R109: closed). Prices may be strings, as in the SDK (R112). */
export type ProviderPrefs = {
  order?: string[];
  allow_fallbacks?: boolean;
  only?: string[];
  ignore?: string[];
  sort?: SortKey | { by?: SortKey; partition?: "model" | "none" };
  preferred_min_throughput?: number | Percentiles;
  preferred_max_latency?: number | Percentiles;
  max_price?: {
    prompt?: number | string;
    completion?: number | string;
    request?: number | string;
    image?: number | string;
    audio?: number | string;
  };
  quantizations?: Quantization[];
  data_collection?: "allow" | "deny";
  zdr?: boolean;
  require_parameters?: boolean;
  enforce_distillable_text?: boolean;
  /** R110: per-provider passthrough options. */
  options?: Record<string, Record<string, unknown>>;
};

/** A content part (`text`, `image_url`, `input_audio`, `file`, `video_url`, others pass). */
export type ContentPart = {
  type: string;
  [key: string]: unknown;
};

export type Message = {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content?: string | ContentPart[];
  [key: string]: unknown;
};

/** The chat body (SDK 1.3.19 fields routesim names, plus anything else, accepted and ignored). */
export type RequestBody = {
  // the prompt (R97)
  messages?: Message[];
  prompt?: string;
  // model selection
  model?: string;
  models?: string[];
  preset?: string;
  provider?: ProviderPrefs;
  route?: "fallback" | "sort";
  plugins?: Record<string, unknown>[];
  // parameters (R18 keys; R19 preferences)
  max_tokens?: number;
  max_completion_tokens?: number;
  tools?: Record<string, unknown>[];
  tool_choice?: "none" | "auto" | "required" | { type: string; [key: string]: unknown };
  parallel_tool_calls?: boolean;
  response_format?: {
    type: "text" | "json_object" | "json_schema" | "grammar" | "python";
    [key: string]: unknown;
  };
  structured_outputs?: boolean;
  stop?: string | string[];
  temperature?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  top_a?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  repetition_penalty?: number;
  seed?: number;
  logit_bias?: Record<string, number>;
  logprobs?: boolean;
  top_logprobs?: number;
  reasoning?: { effort?: Effort; summary?: "auto" | "concise" | "detailed"; [key: string]: unknown };
  reasoning_effort?: Effort;
  verbosity?: "low" | "medium" | "high" | "xhigh" | "max";
  prediction?: { type: "content"; [key: string]: unknown };
  // tiers, modalities
  service_tier?: "auto" | "default" | "fast" | "flex" | "priority" | "scale";
  speed?: "fast" | "standard";
  modalities?: ("text" | "image" | "audio")[];
  image_config?: Record<string, unknown>;
  input_modalities?: string[];
  // conversation, caching, bookkeeping
  session_id?: string;
  prompt_cache_key?: string;
  prompt_cache_options?: { mode: "explicit"; [key: string]: unknown };
  cache_control?: { type: "ephemeral"; [key: string]: unknown };
  cache_enabled?: boolean;
  cache_ttl_seconds?: number;
  stream?: boolean;
  stream_options?: Record<string, unknown>;
  user?: string;
  metadata?: Record<string, string>;
  trace?: Record<string, unknown>;
  debug?: Record<string, unknown>;
  stop_server_tools_when?: unknown[];
  // legacy (R111)
  transforms?: string[];
  usage?: Record<string, unknown>;
  [key: string]: unknown;
};

/** The top-level fields routesim names (the rest are accepted and warned about as unknown). */
export const REQUEST_BODY_FIELDS = [
  "messages",
  "prompt",
  "model",
  "models",
  "preset",
  "provider",
  "route",
  "plugins",
  "max_tokens",
  "max_completion_tokens",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "structured_outputs",
  "stop",
  "temperature",
  "top_p",
  "top_k",
  "min_p",
  "top_a",
  "frequency_penalty",
  "presence_penalty",
  "repetition_penalty",
  "seed",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "reasoning",
  "reasoning_effort",
  "verbosity",
  "prediction",
  "service_tier",
  "speed",
  "modalities",
  "image_config",
  "input_modalities",
  "session_id",
  "prompt_cache_key",
  "prompt_cache_options",
  "cache_control",
  "cache_enabled",
  "cache_ttl_seconds",
  "stream",
  "stream_options",
  "user",
  "metadata",
  "trace",
  "debug",
  "stop_server_tools_when",
  "transforms",
  "usage",
] as const;
