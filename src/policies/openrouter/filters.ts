/**
 * Hard eligibility filters per candidate model (R10–R20) and the default parameter preference
 * (R19). Stages run in a fixed order; when a model ends up empty, the stage that removed the last
 * survivor names `excluded_by` (R22) and the R59 availability code.
 */
import type { Endpoint, ProviderPrefs, RequestBody, RoutedRequest } from "../../types.js";
import type { OpenRouterConfig } from "./config.js";
import type { ModelRoute } from "./models.js";
import { slugKey, slugOfDisplayName } from "./provider-names.js";

/**
 * R105: an endpoint's output modalities (default text). Endpoint has no such field yet: the
 * catalog needs to carry a provider's `output_modalities` for this to read fixture data.
 */
const TEXT_ONLY: readonly string[] = ["text"];

/**
 * Body fields that are request parameters (R18), as their `supported_parameters` key: the §13.2
 * table's "R18 key" rows. `max_completion_tokens` is the newer name of `max_tokens`, and
 * `reasoning_effort` the shorthand of `reasoning` (R108, interp.). `tool_choice` counts only with
 * `tools` (R107).
 */
const REQUEST_PARAMS: readonly (readonly [field: string, key: string])[] = [
  ["tools", "tools"],
  ["tool_choice", "tool_choice"],
  ["parallel_tool_calls", "parallel_tool_calls"],
  ["response_format", "response_format"],
  ["structured_outputs", "structured_outputs"],
  ["temperature", "temperature"],
  ["top_p", "top_p"],
  ["top_k", "top_k"],
  ["min_p", "min_p"],
  ["top_a", "top_a"],
  ["frequency_penalty", "frequency_penalty"],
  ["presence_penalty", "presence_penalty"],
  ["repetition_penalty", "repetition_penalty"],
  ["seed", "seed"],
  ["logit_bias", "logit_bias"],
  ["logprobs", "logprobs"],
  ["top_logprobs", "top_logprobs"],
  ["stop", "stop"],
  ["verbosity", "verbosity"],
  ["reasoning", "reasoning"],
  ["reasoning_effort", "reasoning"],
  ["prediction", "prediction"],
  ["max_tokens", "max_tokens"],
  ["max_completion_tokens", "max_tokens"],
];

/** R19: parameters that prefer supporting endpoints even without `require_parameters`. */
const PREFERRED_PARAMS = ["tools", "response_format", "verbosity"] as const;

/** Stages, in order; index = precedence when reporting why a model is empty. */
const STAGES = [
  { reason: null, code: "no_endpoints" }, // 0 status (R10)
  { reason: null, code: "no_endpoints" }, // 1 service tier not admitted (R12)
  { reason: null, code: "no_endpoints" }, // 2 BYOK disabled
  { reason: "modality", code: "constraint_filtered" }, // 3 (R11)
  { reason: "allowed_providers", code: "constraint_filtered" }, // 4 only / account allowlist (R13)
  { reason: "allowed_providers", code: "constraint_filtered" }, // 5 ignore (R14)
  { reason: "data_policy:training", code: "privacy_restricted" }, // 6 (R15)
  { reason: "data_policy:zdr", code: "privacy_restricted" }, // 7 (R15)
  { reason: "quantization", code: "constraint_filtered" }, // 8 (R16)
  { reason: "max_price", code: "constraint_filtered" }, // 9 (R17)
  { reason: "context_length", code: "constraint_filtered" }, // 10 (R20)
  { reason: "require_parameters", code: "constraint_filtered" }, // 11 (R18, R19 fail404)
] as const;

/** What each stage checks and the rule it follows (explanations: `routesim explain`, decision log). */
export const STAGE_RULES: readonly string[] = [
  "R10 endpoint status (deranked or disabled)",
  "R12 service tier not admitted (needs service_tier, a tier slug in order/only, or :nitro/:floor)",
  "R33 BYOK endpoint while useByok is false",
  "R11/R105 modality not supported",
  "R13/R99 not in provider.only (or the account allowlist)",
  "R14/R99 in provider.ignore (or the account ignore list)",
  "R15 data_collection: deny and the provider may train",
  "R15 zdr: the provider is not zero-data-retention",
  "R16 quantization not in provider.quantizations",
  "R17 price above provider.max_price",
  "R20 context length or max_completion_tokens too small",
  "R18 require_parameters: a sent parameter (or R119 its tool_choice value) is not supported",
];

export type ToolChoiceValue = "auto" | "none" | "required" | "function";

/** R119: did this `tool_choice` value pass the endpoint's testing (absent flags = all true)? */
export function supportsToolChoice(e: Endpoint, v: ToolChoiceValue): boolean {
  return e.toolChoiceSupport === undefined || e.toolChoiceSupport[v];
}

/** The R119 value of a body's `tool_choice`; server-tool forms have no flag (null). */
function toolChoiceValue(body: RequestBody): ToolChoiceValue | null {
  const c = body.tool_choice;
  if (body.tools === undefined || c === undefined) return null;
  if (typeof c === "string") return c;
  return c.type === "function" ? "function" : null;
}

/** An endpoint a filter removed, for explanations. */
export interface Removed {
  readonly endpoint: string;
  readonly rule: string;
}

/** Everything the filters need from a request body, computed once per body object. */
export interface BodyFacts {
  readonly prefs: ProviderPrefs;
  readonly order: readonly ProviderRef[] | null;
  readonly only: readonly ProviderRef[] | null;
  readonly allowed: readonly ProviderRef[] | null;
  readonly ignore: readonly ProviderRef[] | null;
  readonly deny: boolean;
  readonly zdr: boolean;
  readonly quantizations: ReadonlySet<string> | null;
  readonly maxPrompt: number;
  readonly maxCompletion: number;
  readonly maxRequest: number;
  readonly maxTokens: number | undefined;
  readonly params: readonly string[];
  readonly preferred: readonly string[];
  /** Input modalities beyond text: `input_modalities`, else read from content parts (R105). */
  readonly modalities: readonly string[] | null;
  /** Output modalities asked for (`modalities`, R105). */
  readonly outputModalities: readonly string[] | null;
  /** Full slugs (with `/`) listed in `order`/`only`: they opt tier endpoints in (R12c). */
  readonly tierSlugs: ReadonlySet<string>;
  readonly serviceTier: "default" | "flex" | "priority" | null;
  /** R12a/R101: priority endpoints opted in (`service_tier` priority/fast, or `speed: "fast"`). */
  readonly priority: boolean;
  /** R119: the `tool_choice` value sent with `tools` (a named function → "function"), or null. */
  readonly toolChoice: ToolChoiceValue | null;
  /** `plugins: [{id: "context-compression", enabled}]`, or null = default (≤ 8192 ctx only). */
  readonly compression: boolean | null;
  readonly tools: boolean;
  /** A body OpenRouter rejects before routing under this config (R110, R111 knobs): the 400 code. */
  readonly invalid: string | null;
}

function num(v: number | string | undefined): number {
  if (v === undefined) return Number.POSITIVE_INFINITY;
  const n = typeof v === "string" ? Number.parseFloat(v) : v;
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}

const lower = (xs: readonly string[] | undefined): string[] | null =>
  xs ? xs.map((x) => x.toLowerCase()) : null;

/**
 * An `order`/`only`/`ignore` entry (R13, R99): a slug or `slug/suffix` tag, matched
 * case-insensitively; for a display name ("Amazon Bedrock"), also its slug's separator-free key.
 */
export interface ProviderRef {
  readonly slug: string;
  readonly key: string | null;
}

/**
 * R99 resolution order: exact tag or case-insensitive slug first; only an entry that names no
 * provider of the catalog is read as a display name (`slugs` = the catalog's lowercased provider
 * slugs and tags; empty = unknown, display names always apply).
 */
function refs(xs: readonly string[] | null | undefined, slugs: ReadonlySet<string>): ProviderRef[] | null {
  if (!xs) return null;
  return xs.map((x) => {
    const slug = x.toLowerCase();
    const named = slug.includes("/") || slugs.has(slug) ? undefined : slugOfDisplayName(x);
    return { slug, key: named !== undefined ? slugKey(named) : null };
  });
}

/** The lowercased provider slugs and tags of a catalog, for `bodyFacts`. */
export function catalogSlugs(catalog: readonly Endpoint[]): Set<string> {
  const out = new Set<string>();
  for (const e of catalog) {
    out.add(e.provider.toLowerCase());
    out.add(e.tag.toLowerCase());
  }
  return out;
}

/** Content part type → input modality (R105). */
const PART_MODALITY: Readonly<Record<string, string>> = {
  image_url: "image",
  input_audio: "audio",
  file: "file",
  video_url: "video",
};

/** The non-text input modalities a body's content parts carry, or null (text only). */
export function contentModalities(body: RequestBody): string[] | null {
  const found = new Set<string>();
  for (const m of body.messages ?? []) {
    if (!Array.isArray(m.content)) continue;
    for (const part of m.content) {
      const mod = PART_MODALITY[part.type];
      if (mod !== undefined) found.add(mod);
    }
  }
  return found.size > 0 ? [...found] : null;
}

export function bodyFacts(
  body: RequestBody,
  cfg: OpenRouterConfig,
  slugs: ReadonlySet<string> = new Set(),
): BodyFacts {
  const prefs = body.provider ?? {};
  const acct = cfg.account;
  const ignore = [...(refs(prefs.ignore, slugs) ?? []), ...(refs(acct.ignoredProviders, slugs) ?? [])];
  const sent = body as Record<string, unknown>;
  const params = new Set<string>();
  for (const [field, key] of REQUEST_PARAMS)
    if (sent[field] !== undefined && (field !== "tool_choice" || body.tools !== undefined)) params.add(key);
  const tierSlugs = new Set(
    [...(lower(prefs.order) ?? []), ...(lower(prefs.only) ?? [])].filter((s) => s.includes("/")),
  );
  const comp = body.plugins?.find((p) => p.id === "context-compression");
  // R111 (interp.): legacy `transforms: ["middle-out"]` turns compression on, `[]` off.
  const legacy = body.transforms === undefined ? null : body.transforms.includes("middle-out");
  const invalid =
    (!cfg.acceptProviderOptions && prefs.options !== undefined) ||
    (!cfg.acceptLegacyFields && (body.transforms !== undefined || body.usage !== undefined));
  // R100: fast ≡ priority; auto and scale opt into nothing (only an explicit "default" cancels
  // variant tier admission, R12). R101: `speed: "fast"` is one more priority opt-in; with a
  // conflicting service_tier both stand as written (e.g. flex + fast admits both tiers).
  const t = body.service_tier;
  const st = t === "fast" ? "priority" : t === "auto" || t === "scale" || t === undefined ? null : t;
  return {
    prefs,
    order: refs(prefs.order, slugs),
    only: refs(prefs.only, slugs),
    allowed: refs(acct.allowedProviders, slugs),
    ignore: ignore.length > 0 ? ignore : null,
    deny: prefs.data_collection === "deny" || acct.dataCollection === "deny",
    zdr: prefs.zdr === true || acct.zdr,
    quantizations: prefs.quantizations ? new Set(prefs.quantizations) : null,
    maxPrompt: num(prefs.max_price?.prompt),
    maxCompletion: num(prefs.max_price?.completion),
    maxRequest: num(prefs.max_price?.request),
    maxTokens: body.max_tokens ?? body.max_completion_tokens,
    params: prefs.require_parameters ? [...params] : [],
    preferred: PREFERRED_PARAMS.filter((p) => (body as Record<string, unknown>)[p] !== undefined),
    modalities: body.input_modalities ?? contentModalities(body),
    outputModalities: body.modalities ?? null,
    tierSlugs,
    serviceTier: st,
    priority: st === "priority" || body.speed === "fast",
    toolChoice: toolChoiceValue(body),
    compression: comp ? comp.enabled !== false : cfg.acceptLegacyFields ? legacy : null,
    tools: body.tools !== undefined,
    invalid: invalid ? "invalid_request" : null,
  };
}

/** R13 matching: a base slug matches every non-tier endpoint of the provider; a full slug one tag. */
export function slugMatches(e: Endpoint, slug: string): boolean {
  if (slug.includes("/")) return e.tag.toLowerCase() === slug;
  return e.tier === "default" && e.provider.toLowerCase() === slug;
}

const keys = new Map<string, string>();
/** R99: a display name's slug matches the provider regardless of separators (`x-ai` ≡ `xai`). */
export function refMatches(e: Endpoint, r: ProviderRef): boolean {
  if (slugMatches(e, r.slug)) return true;
  if (r.key === null || e.tier !== "default") return false;
  let k = keys.get(e.provider);
  if (k === undefined) {
    k = slugKey(e.provider);
    keys.set(e.provider, k);
  }
  return k === r.key;
}

function anyMatch(e: Endpoint, list: readonly ProviderRef[]): boolean {
  for (const r of list) if (refMatches(e, r)) return true;
  return false;
}

/** R12: is a non-default-tier endpoint admitted for this model route? */
function tierAdmitted(e: Endpoint, f: BodyFacts, route: ModelRoute): boolean {
  if (e.tier === "default") return true;
  if (f.tierSlugs.has(e.tag.toLowerCase())) return true;
  if (f.serviceTier === e.tier || (e.tier === "priority" && f.priority)) return true;
  // Variant admission (R12d) is cancelled by `order` or an explicit `service_tier: "default"`.
  return route.admitsTier === e.tier && f.prefs.order === undefined && f.serviceTier !== "default";
}

export interface FilterResult {
  survivors: Endpoint[];
  /** When empty: the `excluded_by` reason (R22) and the R59 code. */
  excludedBy: string | null;
  code: string;
  /** R19 parameters stripped because no endpoint supports them. */
  stripped: string[];
}

/** Does the context fit (R20), with context compression widening eligibility? */
export function fitsContext(e: Endpoint, need: number, f: BodyFacts): boolean {
  if (e.contextLength >= need) return true;
  const compress = f.compression ?? e.contextLength <= 8192;
  return compress && e.contextLength >= need / 2;
}

/** Applies R10–R20 (and R19) to one model's endpoints. */
export function filterEndpoints(
  endpoints: readonly Endpoint[],
  req: RoutedRequest,
  f: BodyFacts,
  route: ModelRoute,
  cfg: OpenRouterConfig,
  removed?: Removed[],
): FilterResult {
  const survivors: Endpoint[] = [];
  let worst = -1;
  const need = req.promptTokens + (f.maxTokens ?? req.completionTokens);
  let largestCompressible: Endpoint | null = null;
  for (const e of endpoints) {
    const stage = firstFailingStage(e, f, route, cfg, need);
    if (stage < 0) survivors.push(e);
    else {
      removed?.push({ endpoint: e.tag, rule: STAGE_RULES[stage] });
      if (stage > worst) worst = stage;
      if (stage === 10 && (f.compression ?? e.contextLength <= 8192)) {
        if (largestCompressible === null || e.contextLength > largestCompressible.contextLength)
          largestCompressible = e;
      }
    }
  }
  // R20: with compression on and nothing fitting, the largest context is used.
  if (survivors.length === 0 && worst === 10 && largestCompressible !== null) {
    survivors.push(largestCompressible);
    removed?.push({ endpoint: largestCompressible.tag, rule: "R20 kept: largest context, compressed" });
  }
  const stripped: string[] = [];
  if (survivors.length > 0 && f.preferred.length > 0) {
    const r = preferParams(survivors, f, cfg, stripped);
    if (removed)
      for (const e of survivors)
        if (!r.survivors.includes(e))
          removed.push({
            endpoint: e.tag,
            rule: `R19 ${f.preferred.join("/")} sent: endpoints supporting it preferred`,
          });
    return r;
  }
  if (survivors.length > 0) return { survivors, excludedBy: null, code: "", stripped };
  const s = worst < 0 ? STAGES[0] : STAGES[worst];
  return { survivors, excludedBy: s.reason, code: s.code, stripped };
}

/**
 * The endpoints that pass every filter stage that does not depend on the request's token counts
 * (all but the R20 context fit), in canonical order: per request, `filterEndpoints` keeps exactly
 * those of them that also pass `fitsContext` (when any does; an empty result needs the full pass).
 */
export function staticSurvivors(
  endpoints: readonly Endpoint[],
  f: BodyFacts,
  route: ModelRoute,
  cfg: OpenRouterConfig,
): Endpoint[] {
  const out: Endpoint[] = [];
  for (const e of endpoints)
    if (firstFailingStage(e, f, route, cfg, Number.NEGATIVE_INFINITY) < 0) out.push(e);
  return out;
}

function firstFailingStage(
  e: Endpoint,
  f: BodyFacts,
  route: ModelRoute,
  cfg: OpenRouterConfig,
  need: number,
): number {
  if (e.status !== 0) return 0;
  if (!tierAdmitted(e, f, route)) return 1;
  if (e.byok && !cfg.useByok) return 2;
  if (f.modalities !== null) {
    const acc = e.inputModalities ?? ["text"];
    for (const m of f.modalities) if (!acc.includes(m)) return 3;
  }
  if (f.outputModalities !== null) {
    const out = e.outputModalities ?? TEXT_ONLY;
    for (const m of f.outputModalities) if (!out.includes(m)) return 3;
  }
  if (f.only !== null || f.allowed !== null) {
    const inOnly = f.only === null ? null : anyMatch(e, f.only);
    const inAcct = f.allowed === null ? null : anyMatch(e, f.allowed);
    const ok =
      cfg.onlyCombination === "union"
        ? inOnly === true || inAcct === true
        : inOnly !== false && inAcct !== false;
    if (!ok) return 4;
  }
  if (f.ignore !== null && anyMatch(e, f.ignore)) return 5;
  if (f.deny && e.dataPolicy.training) return 6;
  if (f.zdr && !e.dataPolicy.zdr) return 7;
  if (f.quantizations !== null && !f.quantizations.has(e.quantization)) return 8;
  const p = e.price;
  const d = 1 - p.discount;
  if (p.prompt * d > f.maxPrompt || p.completion * d > f.maxCompletion || p.request * d > f.maxRequest)
    return 9;
  if (f.maxTokens !== undefined && e.maxCompletionTokens !== null && e.maxCompletionTokens < f.maxTokens)
    return 10;
  if (!fitsContext(e, need, f)) return 10;
  for (const q of f.params) if (!e.supportedParameters.has(q)) return 11;
  // R119: the tool_choice value's flag is a hard check under "require", and under "prefer" where
  // R18 checks tool_choice anyway (require_parameters: true).
  if (f.toolChoice !== null && !supportsToolChoice(e, f.toolChoice)) {
    const mode = cfg.toolChoiceValueFilter;
    if (mode === "require" || (mode === "prefer" && f.params.includes("tool_choice"))) return 11;
  }
  return -1;
}

/** R19: for each preferred parameter, keep supporting endpoints if any exist, else strip it. */
function preferParams(
  list: Endpoint[],
  f: BodyFacts,
  cfg: OpenRouterConfig,
  stripped: string[],
): FilterResult {
  let out = list;
  for (const p of f.preferred) {
    const sup = out.filter((e) => e.supportedParameters.has(p));
    if (sup.length > 0) out = sup;
    else if (p === "tools" && cfg.toolsWithoutSupport === "fail404")
      return { survivors: [], excludedBy: "require_parameters", code: "no_endpoints", stripped };
    else stripped.push(p);
  }
  // R119 "prefer": like R19 per value; when no endpoint passed the value, all stay.
  const v = f.toolChoice;
  if (v !== null && cfg.toolChoiceValueFilter === "prefer") {
    const sup = out.filter((e) => supportsToolChoice(e, v));
    if (sup.length > 0) out = sup;
  }
  return { survivors: out, excludedBy: null, code: "", stripped };
}
