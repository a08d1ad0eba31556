/**
 * Scenario file schema (zod). Unknown keys are errors everywhere; defaults are filled here, once,
 * so nothing downstream writes `x ?? default`. Units are in the key names (`_ms`, `_s`, `_per_s`).
 * Parsing produces the plain domain types of src/domain/ (checked at compile time, at the end).
 */
import { z } from "zod";
import type * as B from "../domain/request-body.js";
import type * as D from "../domain/scenario.js";
import {
  DEFAULT_TIMEOUT_MS,
  MAX_ATTEMPTS,
  MAX_CV,
  MAX_POLICIES,
  MAX_PROVIDERS,
  MAX_RATE_PER_S,
  MAX_RATE_SCALE,
  MAX_REQUESTS,
  MAX_SIGMA,
  MAX_TOKENS,
  MAX_VALUE,
  MIN_RATE_PER_S,
} from "../limits.js";
import type { Assert, Equals } from "./equals.js";
import { applyPreset, presetMerge, Quantization, RequestBody } from "./request-body.js";

// Every number is capped (limits.ts): absurd but finite values would overflow sums to Infinity.
const nonNeg = z.number().finite().nonnegative().max(MAX_VALUE);
const pos = z.number().finite().positive().max(MAX_VALUE);
const cv = pos.max(MAX_CV);
// `positive` first (and alone) so a negative rate reads "expected > 0", a tiny one names the floor.
const rate = z.number().positive({ abort: true }).min(MIN_RATE_PER_S).max(MAX_RATE_PER_S);
const count = (max: number) => z.number().int().positive().max(max);
const prob = z.number().min(0).max(1);

// ---------------------------------------------------------------------------------------------
// Distributions: a bare number means constant.
// ---------------------------------------------------------------------------------------------

const distObject = z.discriminatedUnion("dist", [
  z.strictObject({ dist: z.literal("constant"), value: nonNeg }),
  z
    .strictObject({ dist: z.literal("uniform"), min: nonNeg, max: nonNeg })
    .refine((d) => d.max >= d.min, { message: "expected max >= min", path: ["max"] }),
  z.strictObject({ dist: z.literal("exponential"), mean: pos }),
  z
    .strictObject({
      dist: z.literal("normal"),
      mean: pos,
      sd: nonNeg.optional(),
      cv: nonNeg.max(MAX_CV).optional(),
      min: nonNeg.optional().describe("truncation point (values <= min are redrawn); default 0"),
    })
    .refine((d) => (d.sd === undefined) !== (d.cv === undefined), {
      message: "expected exactly one of sd or cv",
    }),
  z
    .strictObject({
      dist: z.literal("lognormal"),
      median: pos.optional(),
      sigma: nonNeg.max(MAX_SIGMA).optional(),
      mean: pos.optional(),
      cv: nonNeg.max(MAX_CV).optional(),
    })
    .refine(
      (d) =>
        (d.median !== undefined && d.sigma !== undefined && d.mean === undefined && d.cv === undefined) ||
        (d.mean !== undefined && d.cv !== undefined && d.median === undefined && d.sigma === undefined),
      { message: "expected either {median, sigma} or {mean, cv}" },
    ),
  z.strictObject({ dist: z.literal("gamma"), mean: pos, cv }),
  z
    .strictObject({
      dist: z.literal("empirical"),
      values: z.array(nonNeg).min(1).optional(),
      quantiles: z
        .array(z.tuple([prob, nonNeg]))
        .min(2)
        .optional()
        .describe("[[p, value], ...] from p=0 to p=1, both increasing"),
    })
    .refine((d) => (d.values === undefined) !== (d.quantiles === undefined), {
      message: "expected exactly one of values or quantiles",
    })
    .refine(
      (d) =>
        !d.quantiles ||
        (d.quantiles[0][0] === 0 &&
          d.quantiles[d.quantiles.length - 1][0] === 1 &&
          d.quantiles.every((q, i, a) => i === 0 || (q[0] >= a[i - 1][0] && q[1] >= a[i - 1][1]))),
      { message: "expected quantiles from p=0 to p=1 with p and value non-decreasing", path: ["quantiles"] },
    ),
]);

export const Dist = z.union([nonNeg, distObject]);

/** The least value a distribution can draw (0 for the unbounded-below-by-0 families). */
function least(d: Dist): number {
  if (typeof d === "number") return d;
  if (d.dist === "constant") return d.value;
  if (d.dist === "uniform") return d.min;
  if (d.dist === "empirical") return d.values ? Math.min(...d.values) : (d.quantiles?.[0][1] ?? 0);
  return Number.POSITIVE_INFINITY; // continuous families draw > 0 (normal is truncated at min)
}

/** A rate (tokens per second) never drawn as 0: generation would take forever. */
const PositiveDist = Dist.refine((d) => least(d) > 0, {
  message: "expected a distribution that never draws 0 (a speed of 0 never finishes)",
});

// ---------------------------------------------------------------------------------------------
// Traffic
// ---------------------------------------------------------------------------------------------

const RateSchedule = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("piecewise"),
    interpolate: z.enum(["step", "linear"]).default("step"),
    points: z
      .array(z.strictObject({ at_s: nonNeg, rate_per_s: z.union([z.literal(0), rate]) }))
      .min(1)
      .refine((p) => p.every((x, i) => i === 0 || x.at_s > p[i - 1].at_s), {
        message: "expected points sorted by at_s, strictly increasing",
      }),
  }),
  z.strictObject({
    kind: z.literal("diurnal"),
    period_s: pos.default(86_400),
    amplitude: prob.describe("relative swing: rate × (1 + amplitude·sin(2π(t+phase)/period))"),
    phase_s: z.number().finite().default(0),
  }),
]);

const FlashCrowd = z.strictObject({
  start_s: nonNeg,
  duration_s: pos,
  multiplier: pos.describe("rate multiplier at the peak"),
  ramp_s: nonNeg.default(0).describe("linear ramp up and down at each end"),
});

const Arrivals = z.discriminatedUnion("process", [
  z.strictObject({
    process: z.literal("poisson"),
    rate_per_s: rate,
    schedule: RateSchedule.optional(),
    flash_crowd: FlashCrowd.optional(),
  }),
  z.strictObject({
    process: z.literal("gamma"),
    rate_per_s: rate,
    cv: cv.describe("coefficient of variation of inter-arrival times; > 1 is bursty"),
    schedule: RateSchedule.optional(),
    flash_crowd: FlashCrowd.optional(),
  }),
  z.strictObject({
    process: z.literal("uniform"),
    rate_per_s: rate.describe("deterministic, evenly spaced arrivals"),
    schedule: RateSchedule.optional(),
    flash_crowd: FlashCrowd.optional(),
  }),
]);

const ModelMix = z.union([
  z.record(z.string().min(1), nonNeg),
  z.array(z.strictObject({ model: z.string().min(1), weight: nonNeg })).min(1),
]);

const Sessions = z.strictObject({
  count: z.number().int().positive().describe("number of distinct conversations requests are spread over"),
  share: prob.default(1).describe("fraction of requests that carry a session id"),
});

// Trace replay (docs/traces.md). Times are rebased so the first replayed request arrives at t = 0.
// Built on first use, like the request body (request-body.ts): most scenarios replay no trace.
function buildTraceSpec() {
  const TraceOptions = {
    path: z.string().min(1).describe("trace file; relative paths resolve against the scenario's folder"),
    time_scale: pos.default(1).describe("multiplies trace time: 0.5 replays twice as fast"),
    rate_scale: pos
      .max(MAX_RATE_SCALE)
      .default(1)
      .describe("< 1 thins rows (seeded), > 1 adds replicas of rows shifted by a seeded jitter"),
    jitter_ms: nonNeg.default(1000).describe("replicas (rate_scale > 1) arrive up to this much later"),
    start_s: nonNeg.default(0).describe("skip the first start_s seconds of the trace (trace time)"),
    duration_s: pos.optional().describe("replay only this many seconds of trace time after start_s"),
    limit: count(MAX_REQUESTS).optional().describe("stop after this many requests"),
    on_bad_row: z.enum(["error", "skip"]).default("error"),
    reorder_window_ms: nonNeg
      .default(1000)
      .describe("rows may be out of order by up to this much (trace time); they are sorted on the fly"),
  };
  const TraceColumns = z.strictObject({
    time: z.string().min(1).describe("column (csv) or key (jsonl) of the arrival time"),
    time_unit: z
      .enum(["s", "ms", "us", "ns", "datetime"])
      .default("s")
      .describe("numeric unit, or datetime for `YYYY-MM-DD HH:MM:SS.fff` / ISO 8601"),
    prompt: z.string().min(1).describe("prompt token count column"),
    completion: z.string().min(1).describe("completion token count column"),
    model: z.string().min(1).optional(),
    session: z.string().min(1).optional().describe("user or conversation id (stickiness)"),
    priority: z.string().min(1).optional().describe("numeric priority, carried on the request"),
    body_hash: z
      .string()
      .min(1)
      .optional()
      .describe("body hash column: equal values mark byte-identical bodies (response caching, R106)"),
    status: z.string().min(1).optional().describe("recorded status; see keep_status"),
  });
  return z.discriminatedUnion("format", [
    z.strictObject({ format: z.literal("azure-csv"), ...TraceOptions }),
    z.strictObject({
      format: z.literal("mooncake-jsonl"),
      ...TraceOptions,
      session_blocks: z
        .number()
        .int()
        .nonnegative()
        .default(2)
        .describe("leading hash_ids that identify a conversation (0 = no session)"),
    }),
    z.strictObject({
      format: z.enum(["csv", "jsonl"]),
      ...TraceOptions,
      columns: TraceColumns,
      keep_status: z
        .array(z.union([z.number(), z.string()]))
        .optional()
        .describe("replay only rows whose status column is one of these (default: all rows)"),
    }),
  ]);
}
// zod keeps what the getter returned: built once.
const TraceSpec = z.lazy(buildTraceSpec);

export const Traffic = z
  .strictObject({
    arrivals: Arrivals.optional(),
    requests: count(MAX_REQUESTS).optional(),
    duration_s: pos.optional(),
    prompt_tokens: Dist.default({ dist: "lognormal", median: 1000, sigma: 0.8 }),
    completion_tokens: Dist.default({ dist: "lognormal", median: 250, sigma: 0.7 }),
    prompt_tokens_from: z
      .enum(["traffic", "body"])
      .optional()
      .describe(
        "body: a policy whose request has messages/prompt uses their estimated size (chars/4) instead of prompt_tokens (synthetic traffic)",
      ),
    model: z.string().min(1).optional(),
    model_mix: ModelMix.optional(),
    sessions: Sessions.optional(),
    /** R106: a share of byte-identical repeats of earlier requests (synthetic traffic). */
    repeats: z
      .strictObject({
        share: z.number().min(0).max(1).describe("probability that a request repeats an earlier one"),
        window_s: pos.default(600).describe("the repeated request is drawn uniformly from this look-back"),
      })
      .optional()
      .describe("byte-identical repeats (same sizes, model, session, body) for response caching (R106)"),
    trace: TraceSpec.optional().describe("trace replay settings (see docs/traces.md)"),
  })
  .superRefine((t, ctx) => {
    if (!t.trace && !t.arrivals) ctx.addIssue({ code: "custom", message: "expected arrivals or trace" });
    if (!t.trace && t.requests === undefined && t.duration_s === undefined)
      ctx.addIssue({ code: "custom", message: "expected requests or duration_s (when to stop)" });
    if (t.model !== undefined && t.model_mix !== undefined)
      ctx.addIssue({ code: "custom", message: "expected only one of model or model_mix" });
    if (!t.trace && t.model === undefined && t.model_mix === undefined)
      ctx.addIssue({ code: "custom", message: "expected model or model_mix" });
    if (t.trace && t.repeats)
      ctx.addIssue({
        code: "custom",
        path: ["repeats"],
        message: "repeats is for synthetic traffic; a trace marks repeats with a body_hash column",
      });
  });

// ---------------------------------------------------------------------------------------------
// Providers (mock endpoints)
// ---------------------------------------------------------------------------------------------

/** Attempt-level failure statuses a mock provider can produce. */
export const FailureStatus = z.union([
  z.number().int().min(400).max(599),
  z
    .enum(["timeout", "empty"])
    .describe("timeout: hangs until the attempt timeout; empty: 502 empty response"),
]);

const Outage = z.strictObject({
  start_s: nonNeg,
  duration_s: pos,
  status: FailureStatus.default(503),
  error_rate: prob.default(1).describe("share of attempts that fail during the outage (partial degradation)"),
  latency_multiplier: pos.default(1).describe("slowdown of TTFT and generation during the window"),
});

const RandomOutages = z.strictObject({
  mtbf_s: pos.describe("mean time between failures (exponential)"),
  duration_s: Dist.describe("outage length in seconds"),
  status: FailureStatus.default(503),
  error_rate: prob.default(1),
  latency_multiplier: pos.default(1),
});

const Price = z.strictObject({
  prompt: nonNeg.describe("USD per million prompt tokens"),
  completion: nonNeg.describe("USD per million completion tokens"),
  request: nonNeg.default(0).describe("USD per request"),
  cache_read: nonNeg.optional().describe("USD per million cached prompt tokens"),
  cache_write: nonNeg.optional().describe("USD per million prompt tokens written to cache"),
  discount: prob.default(0).describe("effective price = listed × (1 − discount)"),
});

const Percentiles = z.strictObject({
  p50: nonNeg.optional(),
  p75: nonNeg.optional(),
  p90: nonNeg.optional(),
  p99: nonNeg.optional(),
});

const RateLimit = z.union([
  pos.transform((rpm): D.RateLimit => ({ rpm, burst: undefined })),
  z.strictObject({
    rpm: pos.describe("requests per minute (token bucket refill)"),
    burst: pos.optional().describe("bucket size; default one second's worth, at least 1"),
  }),
]);

export const Provider = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/,
      "expected a slug like `alpha` or `google-vertex/us-east5`",
    )
    .describe("endpoint tag: provider slug, or slug/suffix for extra endpoints"),
  model: z.string().min(1),
  price: Price,
  context_length: count(MAX_TOKENS).default(131_072),
  max_completion_tokens: count(MAX_TOKENS).nullable().default(null),
  quantization: Quantization.default("unknown"),
  supported_parameters: z
    .array(z.string())
    .default(["temperature", "top_p", "max_tokens", "stop", "tools", "tool_choice", "response_format"]),
  data_policy: z
    .strictObject({ training: z.boolean().default(false), zdr: z.boolean().default(false) })
    .default({ training: false, zdr: false }),
  tier: z.enum(["default", "flex", "priority"]).default("default"),
  status: z.number().int().default(0).describe("catalog status; only 0 is routable"),
  ttft_ms: Dist.default({ dist: "lognormal", median: 500, sigma: 0.5 }),
  tokens_per_s: PositiveDist.default({ dist: "normal", mean: 60, cv: 0.15 }),
  concurrency: z.number().int().positive().nullable().default(null).describe("slots; null = unlimited"),
  queue_limit: z.number().int().nonnegative().nullable().default(null).describe("queued beyond → 429"),
  rate_limit: RateLimit.nullable().default(null),
  error_rate: prob.default(0),
  error_mix: z
    .record(
      z.string().regex(/^([45]\d\d|timeout|empty)$/, "expected a status code, timeout or empty"),
      nonNeg,
    )
    .default({ "500": 0.3, "502": 0.2, "503": 0.4, timeout: 0.05, empty: 0.05 }),
  error_latency_ms: Dist.default(200).describe("time for a failed attempt to come back"),
  midstream_error_rate: prob.default(0).describe("share of started streams that fail after the first token"),
  on_cancel: z
    .enum(["stop", "continue"])
    .default("stop")
    .describe(
      "when a gateway lets go mid-generation: stop (bill what was generated) or continue (finish, bill it all, keep the slot)",
    ),
  outages: z.array(Outage).default([]),
  random_outages: RandomOutages.optional(),
  stats: z
    .strictObject({ throughput: Percentiles.optional(), latency_s: Percentiles.optional() })
    .optional()
    .describe("advertised performance stats; default: from the ttft/tokens_per_s distributions"),
  byok: z
    .strictObject({
      section: z.enum(["prioritized", "fallback"]).default("prioritized"),
      always_use: z.boolean().default(false).describe("removes the shared endpoints of this provider"),
    })
    .optional()
    .describe("this endpoint is the user's own key (BYOK, OpenRouter R33)"),
  cache: z
    .strictObject({
      ttl_s: pos.default(300).describe("a conversation's prefix stays cached this long after its last use"),
      hit_share: prob.default(0.9).describe("share of prompt tokens read from the cache on a hit"),
      ttft_factor: prob.default(0.5).describe("TTFT multiplier on a cache hit"),
    })
    .optional()
    .describe("prompt caching at this endpoint (cache reads billed at price.cache_read)"),
  input_modalities: z.array(z.string()).optional().describe("accepted inputs; default text only"),
  output_modalities: z.array(z.string()).optional().describe("produced outputs (R105); default text only"),
  quality: z.record(z.string(), prob).optional().describe("quality score per task type (or `exacto`)"),
  tool_choice_support: z
    .strictObject({
      auto: z.boolean().default(true),
      none: z.boolean().default(true),
      required: z.boolean().default(true),
      function: z.boolean().default(true),
    })
    .optional()
    .describe("which tool_choice values passed testing (OpenRouter supports_tool_choice, R119); default all"),
  fast_sibling: z
    .string()
    .min(1)
    .optional()
    .describe("model id of this model's fast sibling: speed fast / priority requests reroute to it (R101)"),
});

const OutageGroup = z.strictObject({
  name: z.string().min(1),
  providers: z.array(z.string()).min(1),
  outages: z.array(Outage).default([]),
  random_outages: RandomOutages.optional(),
});

// ---------------------------------------------------------------------------------------------
// Policies
// ---------------------------------------------------------------------------------------------

export { DEFAULT_TIMEOUT_MS } from "../limits.js";
// The request body (OpenRouter's chat body, whole, as pasted; `provider` closed) lives in
// request-body.ts: docs/openrouter-routing.md §13.2, checked against the pinned @openrouter/sdk.
export { ProviderPrefs, Quantization, RequestBody } from "./request-body.js";

/** Router settings shared by every policy kind. */
export const RouterSettings = z.strictObject({
  timeout_ms: pos.default(DEFAULT_TIMEOUT_MS).describe("per-attempt timeout (see timeout_measures)"),
  max_attempts: count(MAX_ATTEMPTS)
    .nullable()
    .default(null)
    .describe(`null = unlimited; at most ${MAX_ATTEMPTS}`),
  timeout_measures: z
    .enum(["first_token", "headers", "response"])
    .optional()
    .describe(
      "classic kinds: what timeout_ms bounds (default first_token); gateway kinds measure as their code does",
    ),
});

export const PolicySpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._:-]+$/, "expected a name of letters, digits, . _ : -"),
  description: z.string().optional(),
  kind: z.string().default("openrouter").describe("policy family; openrouter by default"),
  request: RequestBody.default({}),
  /** OpenRouter knobs from the spec's appendix (camelCase as there); validated by the policy. */
  openrouter: z.record(z.string(), z.unknown()).default({}),
  router: RouterSettings.default({ timeout_ms: DEFAULT_TIMEOUT_MS, max_attempts: null }),
  /** Free-form options for non-OpenRouter policy kinds (validated by that kind). */
  options: z.record(z.string(), z.unknown()).default({}),
  /** Path to a LiteLLM proxy config.yaml (relative to the scenario); selects kind `litellm`. */
  litellm: z.string().min(1).optional(),
  /** Path to a Portkey gateway config JSON (relative to the scenario); selects kind `portkey`. */
  portkey: z.string().min(1).optional(),
  /** Path to an Envoy cluster, bootstrap or outlier_detection YAML/JSON (relative to the scenario); selects kind `envoy`. */
  envoy: z.string().min(1).optional(),
  /** Path to an nginx.conf with an `upstream` block (relative to the scenario); selects kind `nginx`. */
  nginx: z.string().min(1).optional(),
  /** R106: OpenRouter response caching (the `X-OpenRouter-Cache` header); kind openrouter only. */
  response_cache: z
    .strictObject({
      enabled: z.boolean(),
      ttl_s: z
        .number()
        .int()
        .min(1)
        .max(86_400)
        .optional()
        .describe("entry lifetime, 1..86400 s (default 300)"),
    })
    .optional()
    .describe("OpenRouter response caching (R106): hits skip routing, cost 0, 0 attempts"),
  /** Kind `portkey`: the gateway 1.15.2 build to emulate (npm lacks patches/async-retry); default source. */
  portkey_build: z
    .enum(["source", "npm"])
    .optional()
    .describe("kind portkey: gateway 1.15.2 built from source (default) or the npm package"),
});

// ---------------------------------------------------------------------------------------------
// Scenario
// ---------------------------------------------------------------------------------------------

export const Scenario = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, "expected a name of letters, digits, . _ - (used as folder name)"),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().default(1),
    traffic: Traffic,
    providers: z.array(Provider).min(1).max(MAX_PROVIDERS),
    outage_groups: z.array(OutageGroup).default([]),
    policies: z.array(PolicySpec).min(1).max(MAX_POLICIES),
    slo: z
      .strictObject({
        ttft_ms: pos.optional().describe("first token within this many ms of arrival"),
        latency_ms: pos.optional().describe("last token within this many ms of arrival"),
      })
      .refine((o) => o.ttft_ms !== undefined || o.latency_ms !== undefined, {
        message: "expected ttft_ms, latency_ms or both",
      })
      .optional()
      .describe("service-level targets: goodput is the share of requests served within them"),
    /** R102: OpenRouter presets by slug (partial request bodies), for `@preset/slug`, `preset`, `model@preset/slug`. */
    presets: z
      .record(z.string().regex(/^[A-Za-z0-9._-]+$/, "expected a preset slug"), RequestBody)
      .default({})
      .describe("OpenRouter presets by slug (R102): partial request bodies; request fields override them"),
  })
  .superRefine((s, ctx) => {
    const names = new Map<string, number>();
    s.providers.forEach((p, i) => {
      const key = `${p.name.toLowerCase()}|${p.model}`;
      if (names.has(key))
        ctx.addIssue({
          code: "custom",
          path: ["providers", i, "name"],
          message: `duplicate endpoint "${p.name}" for model ${p.model} (also providers[${names.get(key)}])`,
        });
      names.set(key, i);
    });
    // R101: a fast sibling must be a model some provider entry serves.
    const models = new Set(s.providers.map((p) => p.model));
    s.providers.forEach((p, i) => {
      if (p.fast_sibling !== undefined && !models.has(p.fast_sibling))
        ctx.addIssue({
          code: "custom",
          path: ["providers", i, "fast_sibling"],
          message: `unknown model "${p.fast_sibling}": no provider entry serves it`,
        });
    });
    const known = new Set(s.providers.map((p) => p.name));
    s.outage_groups.forEach((g, i) => {
      g.providers.forEach((n, j) => {
        if (!known.has(n))
          ctx.addIssue({
            code: "custom",
            path: ["outage_groups", i, "providers", j],
            message: `unknown provider "${n}"`,
          });
      });
    });
    const pol = new Set<string>();
    s.policies.forEach((p, i) => {
      // `{name, litellm: path}` / `{name, portkey: path}` select that kind (set here, not with a
      // transform, so the exported JSON Schema stays plain).
      if (p.kind === "openrouter" && p.litellm !== undefined) p.kind = "litellm";
      else if (p.kind === "openrouter" && p.portkey !== undefined) p.kind = "portkey";
      else if (p.kind === "openrouter" && p.envoy !== undefined) p.kind = "envoy";
      else if (p.kind === "openrouter" && p.nginx !== undefined) p.kind = "nginx";
      if (p.response_cache !== undefined && p.kind !== "openrouter")
        ctx.addIssue({
          code: "custom",
          path: ["policies", i, "response_cache"],
          message: `response caching is OpenRouter behaviour (R106); not available for kind ${p.kind}`,
        });
      if (pol.has(p.name))
        ctx.addIssue({
          code: "custom",
          path: ["policies", i, "name"],
          message: `duplicate policy "${p.name}"`,
        });
      pol.add(p.name);
      const r = applyPreset(p.request, s.presets, presetMerge(p.openrouter)); // R102
      if (r.kind === "error")
        ctx.addIssue({ code: "custom", path: ["policies", i, "request", ...r.path], message: r.message });
      else p.request = r.body;
    });
  });

/** A scenario as written (input); as loaded (every default filled) it is the domain `Scenario`. */
export type ScenarioInput = z.input<typeof Scenario>;

// The domain types under the schemas' names, for the edge code.
export type Arrivals = D.Arrivals;
export type Dist = D.Dist;
export type FailureStatus = D.FailureStatus;
export type Outage = D.Outage;
export type OutageGroup = D.OutageGroup;
export type PolicySpec = D.PolicySpec;
export type Price = D.Price;
export type Provider = D.Provider;
export type RandomOutages = D.RandomOutages;
export type RouterSettings = D.RouterSettings;
export type Scenario = D.Scenario;
export type TraceSpec = D.TraceSpec;
export type Traffic = D.Traffic;
export type Percentiles = B.Percentiles;

// ---------------------------------------------------------------------------------------------
// The schemas produce the domain types exactly (a drift on either side fails to compile).
// ---------------------------------------------------------------------------------------------

export type _Checks = [
  Assert<Equals<z.infer<typeof Dist>, D.Dist>>,
  Assert<Equals<z.infer<typeof Arrivals>, D.Arrivals>>,
  Assert<Equals<z.infer<typeof TraceSpec>, D.TraceSpec>>,
  Assert<Equals<z.infer<typeof Traffic>, D.Traffic>>,
  Assert<Equals<z.infer<typeof FailureStatus>, D.FailureStatus>>,
  Assert<Equals<z.infer<typeof Outage>, D.Outage>>,
  Assert<Equals<z.infer<typeof RandomOutages>, D.RandomOutages>>,
  Assert<Equals<z.infer<typeof Price>, D.Price>>,
  Assert<Equals<z.infer<typeof Percentiles>, B.Percentiles>>,
  Assert<Equals<z.infer<typeof Provider>, D.Provider>>,
  Assert<Equals<z.infer<typeof OutageGroup>, D.OutageGroup>>,
  Assert<Equals<z.infer<typeof RouterSettings>, D.RouterSettings>>,
  Assert<Equals<z.infer<typeof PolicySpec>, D.PolicySpec>>,
  Assert<Equals<z.infer<typeof Scenario>, D.Scenario>>,
];
