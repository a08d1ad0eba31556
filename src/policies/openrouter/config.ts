/**
 * The knobs of the spec's appendix (docs/openrouter-routing.md), with its defaults, plus the
 * account-level settings and the v3 / Auto Router plug-in parameters. Parsed once at load time.
 */
import { z } from "zod";
import { EFFORTS } from "../../types.js";

// Built on first use (a run of other kinds never needs it): one function, so the parts stay together.
function schemas() {
  const Stat = z.enum(["p50", "p75", "p90", "p99"]);
  const SortBy = z.enum(["price", "throughput", "latency", "exacto"]);
  const Band = z.enum(["low", "medium", "high", "xhigh", "max"]);

  /** Account-wide settings (R13, R14, R15, R23 default sort). */
  const Account = z.strictObject({
    allowedProviders: z.array(z.string()).nullable().default(null),
    ignoredProviders: z.array(z.string()).default([]),
    zdr: z.boolean().default(false),
    dataCollection: z.enum(["allow", "deny"]).default("allow"),
    defaultSort: SortBy.nullable().default(null),
  });

  /** v3 (R27): numeric parameters of the default plug-ins; functions can replace them in code. */
  const V3 = z.strictObject({
    priceExponent: z.number().nonnegative().default(2),
    reliabilityExponent: z.number().nonnegative().default(4),
    speedExponent: z.number().nonnegative().default(0.5),
    minShare: z.number().min(0).max(1).default(0.01),
    breakerErrorRate: z.number().min(0).max(1).default(0.5),
    breakerMinRequests: z.number().int().positive().default(20),
    breakerWindowMs: z.number().positive().default(300_000),
    trafficCapRps: z.record(z.string(), z.number().positive()).default({}),
  });

  const AutoTask = z.strictObject({
    name: z.string().min(1),
    weight: z.number().nonnegative().default(1),
    /** Classifier feature: prompt size range this task type covers (tokens, [min, max)). */
    prompt_tokens: z.tuple([z.number().nonnegative(), z.number().positive()]).optional(),
    /** Models ranked best first for this task type (community spend share, R75). */
    rankings: z.array(z.string().min(1)).min(1),
  });

  const Effort = z.enum(EFFORTS);

  /**
   * R103 `openrouter/auto-code` (interp.): the default hook's general ranking, re-ranked with speed
   * (score = 1 − rank/n + speedWeight × throughput / best throughput), in a higher default cost band.
   */
  const AutoCode = z.strictObject({
    defaultCostTier: Band.nullable().default("medium"),
    speedWeight: z.number().nonnegative().default(0.5),
    reasoningEffort: Effort.nullable().default(null),
  });

  /** Auto Router (R74–R81). */
  const AutoRouter = z.strictObject({
    mode: z.enum(["taskRanking", "costQuality"]).default("taskRanking"),
    tasks: z.array(AutoTask).default([]),
    /** Used when classification/rankings are unavailable (R75). */
    defaultModels: z.array(z.string().min(1)).default([]),
    /** Models routed: primary + fallbacks. */
    topN: z.number().int().positive().default(3),
    /** Band applied when no `cost_tier` is sent; null = none (TV51 uses the full list; the docs say "≈ low"). */
    defaultCostTier: Band.nullable().default(null),
    /** NotDiamond-era trade-off, 0 = quality … 10 = cheapest (R76). */
    costQualityTradeoff: z.number().min(0).max(10).default(7),
    /** Share of requests the classifier labels with a random other task (classifier error). */
    classifierErrorRate: z.number().min(0).max(1).default(0),
    stickiness: z.boolean().default(true),
    /** R103: reasoning effort the default hook picks for `openrouter/auto`; null = none written. */
    reasoningEffort: Effort.nullable().default(null),
    code: AutoCode.default({ defaultCostTier: "medium", speedWeight: 0.5, reasoningEffort: null }),
  });

  const OpenRouterConfig = z.strictObject({
    lbMode: z.enum(["v1", "v2", "v3"]).default("v2"),
    /** Default 30_000 (v2/v3), 10_000 (v1). */
    outageWindowMs: z.number().nonnegative().optional(),
    outageMinFailures: z.number().int().positive().default(1),
    priceBasis: z.enum(["prompt", "completion", "blend"]).default("blend"),
    inputShare: z.number().min(0).max(1).default(0.5),
    includeRequestFee: z.boolean().default(false),
    lbCandidateTopK: z.number().int().positive().nullable().default(null),
    fallbackOrder: z.enum(["weighted", "priceAsc"]).default("weighted"),
    zeroPricePolicy: z.literal("firstGroupEqualWeights").default("firstGroupEqualWeights"),
    uptimeTiers: z
      .strictObject({
        enabled: z.boolean().default(true),
        windowMs: z.number().positive().default(1_800_000),
        minRequests: z.number().int().nonnegative().default(100),
        normalMin: z.number().min(0).max(100).default(95),
        downBelow: z.number().min(0).max(100).default(80),
      })
      .default({ enabled: true, windowMs: 1_800_000, minRequests: 100, normalMin: 95, downBelow: 80 }),
    statsWindowMs: z.number().positive().default(300_000),
    /** Where sort/preference stats come from: catalog fixtures, or the router's own observations. */
    statsSource: z.enum(["advertised", "observed", "observedElseAdvertised"]).default("advertised"),
    sortStat: Stat.default("p50"),
    sortConsidersHealth: z.boolean().default(false),
    missingStatsPosition: z.enum(["last", "first"]).default("last"),
    orderRestOrdering: z.enum(["sortOrLB", "lbOnly"]).default("sortOrLB"),
    orderSlugExpansion: z.enum(["lb", "priceAsc", "catalog"]).default("lb"),
    onlyCombination: z.enum(["intersection", "union"]).default("intersection"),
    allowFallbacksScope: z.enum(["providers", "providersAndModels"]).default("providers"),
    preferredScope: z.enum(["global", "perModel"]).default("global"),
    partitionWithoutSort: z.literal("model").default("model"),
    toolsWithoutSupport: z.enum(["ignore", "fail404"]).default("ignore"),
    /** R119 (interp.): per-value `supports_tool_choice` flags: ignored, preferred like R19, or required. */
    toolChoiceValueFilter: z.enum(["off", "prefer", "require"]).default("prefer"),
    /** R110: `provider.options` (SDK 1.3.19 has it for non-chat requests only); false = 400. */
    acceptProviderOptions: z.boolean().default(true),
    /** R111: `transforms` / `usage` (unverified on the 2026 API); false = 400. */
    acceptLegacyFields: z.boolean().default(true),
    autoExacto: z.boolean().default(true),
    /** R115 (unverified): Exacto places endpoints without quality data after good or after poor ones. */
    exactoNoDataPosition: z.enum(["afterGood", "afterPoor"]).default("afterGood"),
    /** R115: Exacto score below which an endpoint counts as a poor performer. */
    exactoPoorBelow: z.number().min(0).max(1).default(0.5),
    variantVsExplicitSort: z.literal("explicitWins").default("explicitWins"),
    maxPriceUsesOverrides: z.boolean().default(true),
    modelFatalErrorTypes: z.array(z.string()).default([]),
    maxAttempts: z.number().int().positive().nullable().default(null),
    providerIdleTimeoutMs: z.number().positive().default(60_000),
    commitPoint: z.literal("firstToken").default("firstToken"),
    mixedFailureMapping: z.enum(["last"]).default("last"),
    noEligibleEndpointStatus: z.union([z.literal(404), z.literal(503)]).default(404),
    maxModelsArray: z.number().int().positive().default(3),
    /** R102 (interp.): a request's `provider` replaces the preset's (default) or merges into it; applied at load. */
    presetProviderMerge: z.enum(["replace", "deep"]).default("replace"),
    dedupeModels: z.boolean().default(true),
    billPartialOnErrorFinish: z.boolean().default(false),
    byokAlwaysUseScope: z.enum(["sameProvider", "allShared"]).default("sameProvider"),
    /** BYOK fee: share of the OpenRouter list price charged on BYOK-served requests (R70). */
    byokFeeShare: z.number().min(0).max(1).default(0.05),
    useByok: z.boolean().default(true),
    stickyTtlMs: z.number().nonnegative().default(600_000),
    stickyWithSort: z.boolean().default(true),
    stickyRepinOnFallbackSuccess: z.boolean().default(true),
    /** The traffic's session id is an explicit `session_id` (R84 explicit) or a prefix hash (implicit). */
    trafficSessionAs: z.enum(["session_id", "prefixHash"]).default("session_id"),
    account: Account.default({
      allowedProviders: null,
      ignoredProviders: [],
      zdr: false,
      dataCollection: "allow",
      defaultSort: null,
    }),
    v3: V3.default({
      priceExponent: 2,
      reliabilityExponent: 4,
      speedExponent: 0.5,
      minShare: 0.01,
      breakerErrorRate: 0.5,
      breakerMinRequests: 20,
      breakerWindowMs: 300_000,
      trafficCapRps: {},
    }),
    autoRouter: AutoRouter.default({
      mode: "taskRanking",
      tasks: [],
      defaultModels: [],
      topN: 3,
      defaultCostTier: null,
      costQualityTradeoff: 7,
      classifierErrorRate: 0,
      stickiness: true,
      reasoningEffort: null,
      code: { defaultCostTier: "medium", speedWeight: 0.5, reasoningEffort: null },
    }),
  });
  return { OpenRouterConfig, SortBy, Stat, Band };
}
type Schemas = ReturnType<typeof schemas>;

export const OpenRouterConfig = z.lazy(() => schemas().OpenRouterConfig);
export type OpenRouterConfig = z.infer<typeof OpenRouterConfig>;
export type SortBy = z.infer<Schemas["SortBy"]>;
export type StatName = z.infer<Schemas["Stat"]>;
export type CostBand = z.infer<Schemas["Band"]>;

/** All defaults (for tests and library users). */
export function defaultConfig(overrides: z.input<typeof OpenRouterConfig> = {}): OpenRouterConfig {
  return OpenRouterConfig.parse(overrides);
}

/** R93 / R26: the outage window of the chosen LB version. */
export function outageWindowMs(cfg: OpenRouterConfig): number {
  return cfg.outageWindowMs ?? (cfg.lbMode === "v1" ? 10_000 : 30_000);
}
