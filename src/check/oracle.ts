/**
 * Independent restatements of the spec rules the invariants judge against (docs/openrouter-routing.md).
 * Deliberately written from the spec, not imported from src/policies: an invariant that reuses the
 * code it checks can never fail.
 */
import type { FinalError } from "../policies/types.js";
import type { ProviderPrefs, RequestBody } from "../scenario/schema.js";
import type { AttemptRecord, Endpoint } from "../types.js";

/** The OpenRouter knobs the oracles depend on (spec appendix), with the spec's defaults. */
export interface Knobs {
  lbMode: string;
  outageWindowMs: number;
  outageMinFailures: number;
  priceBasis: string;
  inputShare: number;
  includeRequestFee: boolean;
  lbCandidateTopK: number | null;
  sortStat: "p50" | "p75" | "p90" | "p99";
  /** R69: bill the streamed part of a request that fails mid-stream. */
  billPartialOnErrorFinish: boolean;
  /** R70: share of the list price charged for a BYOK endpoint. */
  byokFeeShare: number;
  /** R31: preferences reorder the whole merged list, or each model's segment. */
  preferredScope: "global" | "perModel";
  /** R7: where performance figures come from (the R31/R32 oracles read advertised ones). */
  statsSource: string;
  /** R28: whether a sort still demotes unstable endpoints. */
  sortConsidersHealth: boolean;
  /** R28: endpoints with no figure for a performance sort go last (or first). */
  missingStatsPosition: "last" | "first";
  /** R33: whether BYOK keys are used, and what an "always use" key removes. */
  useByok: boolean;
  byokAlwaysUseScope: "sameProvider" | "allShared";
  /** R86/R87/R88: sticky lifetime, use with a sort, re-pinning after a fallback success. */
  stickyTtlMs: number;
  stickyWithSort: boolean;
  stickyRepinOnFallbackSuccess: boolean;
  /** R75/R79: the Auto Router's configured models (tasks' rankings and the default set). */
  autoRouter: { mode: string; rankedModels: string[]; defaultModels: string[] };
  /** R25/R92 uptime tiers. */
  uptimeTiers: { enabled: boolean; minRequests: number; normalMin: number; downBelow: number };
}

export function knobsOf(openrouter: Readonly<Record<string, unknown>>): Knobs {
  const o = openrouter as Partial<Record<keyof Knobs, unknown>>;
  const lbMode = typeof o.lbMode === "string" ? o.lbMode : "v2";
  return {
    lbMode,
    outageWindowMs:
      typeof o.outageWindowMs === "number" ? o.outageWindowMs : lbMode === "v1" ? 10_000 : 30_000,
    outageMinFailures: typeof o.outageMinFailures === "number" ? o.outageMinFailures : 1,
    priceBasis: typeof o.priceBasis === "string" ? o.priceBasis : "blend",
    inputShare: typeof o.inputShare === "number" ? o.inputShare : 0.5,
    includeRequestFee: o.includeRequestFee === true,
    lbCandidateTopK: typeof o.lbCandidateTopK === "number" ? o.lbCandidateTopK : null,
    sortStat: (typeof o.sortStat === "string" ? o.sortStat : "p50") as Knobs["sortStat"],
    billPartialOnErrorFinish: o.billPartialOnErrorFinish === true,
    byokFeeShare: typeof o.byokFeeShare === "number" ? o.byokFeeShare : 0.05,
    preferredScope: o.preferredScope === "perModel" ? "perModel" : "global",
    statsSource: typeof o.statsSource === "string" ? o.statsSource : "advertised",
    sortConsidersHealth: o.sortConsidersHealth === true,
    missingStatsPosition: o.missingStatsPosition === "first" ? "first" : "last",
    stickyTtlMs: typeof o.stickyTtlMs === "number" ? o.stickyTtlMs : 600_000,
    stickyWithSort: o.stickyWithSort !== false,
    stickyRepinOnFallbackSuccess: o.stickyRepinOnFallbackSuccess !== false,
    useByok: o.useByok !== false,
    byokAlwaysUseScope: o.byokAlwaysUseScope === "allShared" ? "allShared" : "sameProvider",
    uptimeTiers: uptimeKnobs(openrouter.uptimeTiers),
    autoRouter: autoKnobs(openrouter.autoRouter),
  };
}

function autoKnobs(v: unknown): Knobs["autoRouter"] {
  const a = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  const strings = (x: unknown) =>
    Array.isArray(x) ? x.filter((m): m is string => typeof m === "string") : [];
  const tasks = Array.isArray(a.tasks) ? (a.tasks as { rankings?: unknown }[]) : [];
  return {
    mode: typeof a.mode === "string" ? a.mode : "taskRanking",
    rankedModels: tasks.flatMap((t) => strings(t.rankings)),
    defaultModels: strings(a.defaultModels),
  };
}

function uptimeKnobs(v: unknown): Knobs["uptimeTiers"] {
  const t = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
  const num = (x: unknown, d: number) => (typeof x === "number" ? x : d);
  return {
    enabled: t.enabled !== false,
    minRequests: num(t.minRequests, 100),
    normalMin: num(t.normalMin, 95),
    downBelow: num(t.downBelow, 80),
  };
}

/** R24a: the price load balancing and price sort use. */
export function lbPrice(e: Endpoint, k: Knobs): number {
  const p = e.price;
  const base =
    k.priceBasis === "prompt"
      ? p.prompt
      : k.priceBasis === "completion"
        ? p.completion
        : k.inputShare * p.prompt + (1 - k.inputShare) * p.completion;
  return (base + (k.includeRequestFee ? p.request * 1e6 : 0)) * (1 - p.discount);
}

/**
 * R67–R70: what an attempt that served `completion` tokens costs at endpoint `e`: cached prompt tokens
 * at the cache-read price (not also at the prompt price), discount applied, a BYOK endpoint only the
 * fee share.
 */
export function chargeUsd(e: Endpoint, prompt: number, cached: number, completion: number, k: Knobs): number {
  const p = e.price;
  const fromCache = Math.min(cached, prompt);
  const list =
    ((prompt - fromCache) * p.prompt + fromCache * (p.cacheRead ?? p.prompt) + completion * p.completion) /
      1e6 +
    p.request;
  return list * (1 - p.discount) * (e.byok ? k.byokFeeShare : 1);
}

/** R24/R26: the default load-balancing weight (v1 linear, v2 inverse square). */
export function lbWeight(e: Endpoint, k: Knobs): number {
  const p = lbPrice(e, k);
  return p <= 0 ? Number.POSITIVE_INFINITY : 1 / p ** (k.lbMode === "v1" ? 1 : 2);
}

/** `vendor/model[:variant]` → base model and dynamic variant (R35). */
export function splitVariant(id: string): { model: string; variant: string | null } {
  const colon = id.lastIndexOf(":");
  if (colon > 0) {
    const v = id.slice(colon + 1);
    if (v === "nitro" || v === "floor" || v === "exacto" || v === "online")
      return { model: id.slice(0, colon), variant: v };
  }
  return { model: id, variant: null };
}

/** Router slugs (R74–R81): the router, not the request, names the candidate models. */
export function isRouterSlug(model: string): boolean {
  return model.startsWith("openrouter/");
}

/** R51: candidate models in order, de-duplicated. */
export function candidateModels(body: RequestBody): string[] {
  const out: string[] = [];
  for (const m of [body.model, ...(body.models ?? [])]) if (m !== undefined && !out.includes(m)) out.push(m);
  return out;
}

/** R13 slug matching: a base slug matches the provider's default-tier endpoints, a full slug one tag. */
export function slugMatches(e: Endpoint, slug: string): boolean {
  const s = slug.toLowerCase();
  if (s.includes("/")) return e.tag.toLowerCase() === s;
  return e.tier === "default" && e.provider.toLowerCase() === s;
}

function limit(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "string" ? Number.parseFloat(v) : v;
  return Number.isFinite(n) ? n : undefined;
}

/** Request parameters R18 checks against `supported_parameters`. */
export const ROUTING_PARAMS = [
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

/**
 * Why the hard filters (R10–R20) exclude an endpoint for this request, or null if it may be routed
 * to. Tier admission (R12) is judged permissively — an endpoint of a non-default tier counts as
 * admissible when *any* opt-in of R12 (a)–(d) is present — so a fuller implementation of the tier
 * rules never trips it; only routing to a tier endpoint with no opt-in at all is a violation.
 */
export function exclusion(
  e: Endpoint,
  body: RequestBody,
  variant: string | null,
  tokens: { prompt: number; completion: number },
): string | null {
  const prefs: ProviderPrefs = body.provider ?? {};
  if (e.status !== 0) return "status";
  if (e.tier !== "default") {
    const tierSlug = (s: string) => s.toLowerCase() === e.tag.toLowerCase();
    const optIn =
      (e.tier === "priority" && (body.service_tier === "priority" || body.service_tier === "fast")) ||
      (e.tier === "flex" && body.service_tier === "flex") ||
      (prefs.order ?? []).some(tierSlug) ||
      (prefs.only ?? []).some(tierSlug) ||
      (e.tier === "priority" && variant === "nitro") ||
      (e.tier === "flex" && variant === "floor");
    if (!optIn) return "tier";
  }
  if (prefs.only && !prefs.only.some((s) => slugMatches(e, s))) return "only";
  if (prefs.ignore?.some((s) => slugMatches(e, s))) return "ignore";
  if (prefs.data_collection === "deny" && e.dataPolicy.training) return "data_collection";
  if (prefs.zdr === true && !e.dataPolicy.zdr) return "zdr";
  if (prefs.quantizations && !prefs.quantizations.includes(e.quantization)) return "quantizations";
  const mp = prefs.max_price;
  if (mp) {
    const over = (v: number, lim: number | string | undefined) => {
      const l = limit(lim);
      return l !== undefined && v > l;
    };
    if (over(e.price.prompt, mp.prompt) || over(e.price.completion, mp.completion)) return "max_price";
    if (over(e.price.request, mp.request)) return "max_price";
  }
  const maxTokens = body.max_tokens ?? body.max_completion_tokens;
  if (maxTokens !== undefined && e.maxCompletionTokens !== null && e.maxCompletionTokens < maxTokens)
    return "context_length";
  // R20: endpoints with context ≤ 8192 may compress the context, so only larger ones are judged.
  const need = tokens.prompt + (maxTokens ?? tokens.completion);
  if (e.contextLength > 8192 && e.contextLength < need) return "context_length";
  if (prefs.require_parameters) {
    const b = body as Record<string, unknown>;
    if (ROUTING_PARAMS.some((p) => b[p] !== undefined && !e.supportedParameters.has(p)))
      return "require_parameters";
  }
  return null;
}

/** The endpoints of `model` that pass every hard filter, in catalog order. */
export function eligibleOf(
  endpoints: readonly Endpoint[],
  body: RequestBody,
  variant: string | null,
  tokens: { prompt: number; completion: number },
): Endpoint[] {
  return endpoints.filter((e) => exclusion(e, body, variant, tokens) === null);
}

/** Transient failures for R60's 503 case: 5xx, timeouts, empty responses. */
function transient(a: AttemptRecord): boolean {
  return a.status >= 500 || a.status === 408 || a.error === "timeout" || a.error === "empty_response";
}

/**
 * R60 (+R63) for a failed request whose attempts all belong to the last candidate model: the
 * expected final status, and the availability code when the rule names one.
 */
export function expectedFinal(f: readonly AttemptRecord[]): { status: number; code: string | null } {
  if (f.every((a) => a.status === 429)) return { status: 429, code: "capacity_exhausted" };
  if (f.every(transient)) return { status: 503, code: "temporarily_unavailable" };
  if (f.every((a) => a.status === 404)) return { status: 404, code: "model_unavailable_upstream" };
  const last = f[f.length - 1];
  if (last.error === "timeout") return { status: 504, code: null };
  if (last.error === "empty_response") return { status: 502, code: null };
  return { status: last.status, code: null };
}

export function describeFinal(e: FinalError | { status: number; code: string | null }): string {
  return e.code ? `${e.status} ${e.code}` : String(e.status);
}

type Cutoffs = NonNullable<ProviderPrefs["preferred_min_throughput"]>;
const PERCENTILES = ["p50", "p75", "p90", "p99"] as const;

/**
 * R31: an endpoint meets the soft preferences when every given cutoff holds — throughput pN ≥ cutoff
 * (tokens/s), latency pN ≤ cutoff (seconds); a bare number is a p50 cutoff; a missing figure does not
 * meet. Advertised figures (statsSource "advertised").
 */
export function meetsPreferred(e: Endpoint, prefs: ProviderPrefs): boolean {
  const ok = (cut: Cutoffs | undefined, stats: Endpoint["advertised"]["throughput"], atLeast: boolean) => {
    if (cut === undefined) return true;
    const c: Partial<Record<(typeof PERCENTILES)[number], number>> =
      typeof cut === "number" ? { p50: cut } : cut;
    return PERCENTILES.every((k) => {
      const want = c[k];
      if (want === undefined) return true;
      const v = stats[k];
      return v !== undefined && (atLeast ? v >= want : v <= want);
    });
  };
  return (
    ok(prefs.preferred_min_throughput, e.advertised.throughput, true) &&
    ok(prefs.preferred_max_latency, e.advertised.latencyS, false)
  );
}

export type SortBy = "price" | "throughput" | "latency";

/** R32: the explicit sort `by` and whether models are pooled (`partition: "none"`, legacy `route: "sort"`). */
export function partitionOf(body: RequestBody): { by: SortBy | null; pooled: boolean } {
  const s = body.provider?.sort;
  const by = (typeof s === "string" ? s : (s?.by ?? null)) as SortBy | null;
  const partition =
    typeof s === "object" && s.partition !== undefined
      ? s.partition
      : body.route === "sort"
        ? "none"
        : "model";
  // Without a `by` there is nothing to pool by: routesim reads it as "model" (interp.).
  return { by, pooled: by !== null && partition === "none" };
}

/**
 * R28: the sort key of an endpoint, smaller first (price: the R24a weighting price; throughput:
 * negated; latency: seconds); a missing figure sorts last (or first, per `missingStatsPosition`).
 */
export function sortKey(e: Endpoint, by: SortBy, k: Knobs): number {
  if (by === "price") return lbPrice(e, k);
  const v = by === "throughput" ? e.advertised.throughput[k.sortStat] : e.advertised.latencyS[k.sortStat];
  if (v === undefined)
    return k.missingStatsPosition === "last" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return by === "throughput" ? -v : v;
}

/**
 * R25/R90/R92: an endpoint's uptime tier from its counted outcomes in the window — 0 normal (also with
 * fewer than `minRequests`), 1 degraded (downBelow ≤ uptime < normalMin), 2 down.
 */
export function uptimeClass(w: { successes: number; errors: number }, k: Knobs): 0 | 1 | 2 {
  const n = w.successes + w.errors;
  if (n === 0 || n < k.uptimeTiers.minRequests) return 0;
  const up = (100 * w.successes) / n;
  if (up >= k.uptimeTiers.normalMin) return 0;
  return up >= k.uptimeTiers.downBelow ? 1 : 2;
}

/**
 * R33/R34: where one model's eligible endpoints must sit — the prioritized keys first and the
 * fallback-section keys last, each in the user's key order (catalog order); the shared endpoints in
 * between, less those an "always use" prioritized key removes (its provider's, or all of them).
 */
export function byokPlacement(
  eligible: readonly Endpoint[],
  k: Knobs,
): { head: Endpoint[]; shared: Endpoint[]; removed: Endpoint[]; tail: Endpoint[] } {
  const head = eligible.filter((e) => e.byok?.section === "prioritized");
  const tail = eligible.filter((e) => e.byok?.section === "fallback");
  const always = head.filter((e) => e.byok?.alwaysUse);
  const gone = (e: Endpoint) =>
    always.length > 0 &&
    (k.byokAlwaysUseScope === "allShared" || always.some((a) => a.provider === e.provider));
  const shared = eligible.filter((e) => e.byok === undefined);
  return { head, tail, shared: shared.filter((e) => !gone(e)), removed: shared.filter(gone) };
}

/** A request of the conversation that was served, and when its response completed. */
export interface ServedAt {
  endpoint: Endpoint;
  atMs: number;
}

/**
 * R84–R88 with an explicit conversation key (`session_id`): the sticky endpoint of `model` for a
 * request arriving at `nowMs` — the endpoint of the latest success on that model at an endpoint with
 * a cache discount (R85: cache-read price below the prompt price), unless more than `stickyTtlMs`
 * ago (R87); null when there is none; "ambiguous" when a success or the expiry falls exactly at
 * `nowMs` (same-instant event order is an implementation detail).
 */
export function stickyEndpoint(
  history: readonly ServedAt[],
  model: string,
  nowMs: number,
  k: Knobs,
): Endpoint | null | "ambiguous" {
  let last: ServedAt | null = null;
  let tie = false;
  for (const s of history) {
    const p = s.endpoint.price;
    if (s.endpoint.model !== model || p.cacheRead === null || p.cacheRead >= p.prompt) continue;
    if (s.atMs === nowMs) return "ambiguous";
    if (s.atMs > nowMs) continue;
    if (last !== null && s.atMs === last.atMs && s.endpoint !== last.endpoint) tie = true;
    if (last === null || s.atMs > last.atMs) {
      last = s;
      tie = false;
    }
  }
  if (last === null) return null;
  if (tie) return "ambiguous";
  const age = nowMs - last.atMs;
  if (age === k.stickyTtlMs) return "ambiguous";
  return age > k.stickyTtlMs ? null : last.endpoint;
}

/** R77: `*` matches any run of characters; a pattern without `*` is an exact match. */
export function globMatches(pattern: string, model: string): boolean {
  const re = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${re}$`, "i").test(model);
}

/** R77 settings of a router slug: `openrouter/auto-beta` reads only `auto-beta-router`. */
export function autoRestrictions(body: RequestBody): { allowed: string[]; excluded: string[] } {
  const id = body.model === "openrouter/auto-beta" ? "auto-beta-router" : "auto-router";
  const p = (body.plugins ?? []).find((x) => x.id === id && x.enabled !== false) ?? {};
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return { allowed: list(p.allowed_models), excluded: list(p.excluded_models) };
}

/** R77: whether the plugin settings let the Auto Router choose `model` (exclusions after the allowlist). */
export function autoAllows(model: string, r: { allowed: string[]; excluded: string[] }): boolean {
  if (r.allowed.length > 0 && !r.allowed.some((p) => globMatches(p, model))) return false;
  return !r.excluded.some((p) => globMatches(p, model));
}
