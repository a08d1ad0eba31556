/**
 * Hard eligibility filters per candidate model (R10–R20) and the default parameter preference
 * (R19). Stages run in a fixed order; when a model ends up empty, the stage that removed the last
 * survivor names `excluded_by` (R22) and the R59 availability code.
 */
import type { ProviderPrefs, RequestBody } from "../../scenario/schema.js";
import type { Endpoint, RoutedRequest } from "../../types.js";
import type { OpenRouterConfig } from "./config.js";
import type { ModelRoute } from "./models.js";

/** Request parameters an endpoint may or may not support (R18). */
const REQUEST_PARAMS = [
  "tools",
  "tool_choice",
  "response_format",
  "temperature",
  "top_p",
  "top_k",
  "stop",
  "verbosity",
  "reasoning",
  "max_tokens",
] as const;

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

/** Everything the filters need from a request body, computed once per body object. */
export interface BodyFacts {
  readonly prefs: ProviderPrefs;
  readonly only: readonly string[] | null;
  readonly allowed: readonly string[] | null;
  readonly ignore: readonly string[] | null;
  readonly deny: boolean;
  readonly zdr: boolean;
  readonly quantizations: ReadonlySet<string> | null;
  readonly maxPrompt: number;
  readonly maxCompletion: number;
  readonly maxRequest: number;
  readonly maxTokens: number | undefined;
  readonly params: readonly string[];
  readonly preferred: readonly string[];
  readonly modalities: readonly string[] | null;
  /** Full slugs (with `/`) listed in `order`/`only`: they opt tier endpoints in (R12c). */
  readonly tierSlugs: ReadonlySet<string>;
  readonly serviceTier: "default" | "flex" | "priority" | null;
  /** `plugins: [{id: "context-compression", enabled}]`, or null = default (≤ 8192 ctx only). */
  readonly compression: boolean | null;
  readonly tools: boolean;
}

function num(v: number | string | undefined): number {
  if (v === undefined) return Number.POSITIVE_INFINITY;
  const n = typeof v === "string" ? Number.parseFloat(v) : v;
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}

const lower = (xs: readonly string[] | undefined): string[] | null =>
  xs ? xs.map((x) => x.toLowerCase()) : null;

export function bodyFacts(body: RequestBody, cfg: OpenRouterConfig): BodyFacts {
  const prefs = body.provider ?? {};
  const acct = cfg.account;
  const ignore = [...(lower(prefs.ignore) ?? []), ...(lower(acct.ignoredProviders) ?? [])];
  const params = REQUEST_PARAMS.filter((p) => (body as Record<string, unknown>)[p] !== undefined);
  const tierSlugs = new Set(
    [...(lower(prefs.order) ?? []), ...(lower(prefs.only) ?? [])].filter((s) => s.includes("/")),
  );
  const comp = body.plugins?.find((p) => p.id === "context-compression");
  const st = body.service_tier === "fast" ? "priority" : (body.service_tier ?? null);
  return {
    prefs,
    only: lower(prefs.only),
    allowed: lower(acct.allowedProviders ?? undefined),
    ignore: ignore.length > 0 ? ignore : null,
    deny: prefs.data_collection === "deny" || acct.dataCollection === "deny",
    zdr: prefs.zdr === true || acct.zdr,
    quantizations: prefs.quantizations ? new Set(prefs.quantizations) : null,
    maxPrompt: num(prefs.max_price?.prompt),
    maxCompletion: num(prefs.max_price?.completion),
    maxRequest: num(prefs.max_price?.request),
    maxTokens: body.max_tokens ?? body.max_completion_tokens,
    params: prefs.require_parameters ? params : [],
    preferred: PREFERRED_PARAMS.filter((p) => (body as Record<string, unknown>)[p] !== undefined),
    modalities: body.input_modalities ?? null,
    tierSlugs,
    serviceTier: st,
    compression: comp ? comp.enabled !== false : null,
    tools: body.tools !== undefined,
  };
}

/** R13 matching: a base slug matches every non-tier endpoint of the provider; a full slug one tag. */
export function slugMatches(e: Endpoint, slug: string): boolean {
  if (slug.includes("/")) return e.tag.toLowerCase() === slug;
  return e.tier === "default" && e.provider.toLowerCase() === slug;
}

function anyMatch(e: Endpoint, slugs: readonly string[]): boolean {
  for (const s of slugs) if (slugMatches(e, s)) return true;
  return false;
}

/** R12: is a non-default-tier endpoint admitted for this model route? */
function tierAdmitted(e: Endpoint, f: BodyFacts, route: ModelRoute): boolean {
  if (e.tier === "default") return true;
  if (f.tierSlugs.has(e.tag.toLowerCase())) return true;
  if (f.serviceTier === e.tier) return true;
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
function fitsContext(e: Endpoint, need: number, f: BodyFacts): boolean {
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
): FilterResult {
  const survivors: Endpoint[] = [];
  let worst = -1;
  const need = req.promptTokens + (f.maxTokens ?? req.completionTokens);
  let largestCompressible: Endpoint | null = null;
  for (const e of endpoints) {
    const stage = firstFailingStage(e, f, route, cfg, need);
    if (stage < 0) survivors.push(e);
    else {
      if (stage > worst) worst = stage;
      if (stage === 10 && (f.compression ?? e.contextLength <= 8192)) {
        if (largestCompressible === null || e.contextLength > largestCompressible.contextLength)
          largestCompressible = e;
      }
    }
  }
  // R20: with compression on and nothing fitting, the largest context is used.
  if (survivors.length === 0 && worst === 10 && largestCompressible !== null)
    survivors.push(largestCompressible);
  const stripped: string[] = [];
  if (survivors.length > 0 && f.preferred.length > 0) return preferParams(survivors, f, cfg, stripped);
  if (survivors.length > 0) return { survivors, excludedBy: null, code: "", stripped };
  const s = worst < 0 ? STAGES[0] : STAGES[worst];
  return { survivors, excludedBy: s.reason, code: s.code, stripped };
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
  return { survivors: out, excludedBy: null, code: "", stripped };
}
