/**
 * OpenRouter routing (spec: openrouter-routing.md). Composed of small pieces:
 * candidate models (R51) → per-model hard filters (R11–R22) → per-model ordering (R23–R29) →
 * merge (R32) → allow_fallbacks truncation (R29/R30).
 */
import { z } from "zod";
import type { Rng } from "../rng/rng.js";
import type { ProviderPrefs } from "../scenario/schema.js";
import type { Endpoint, RoutedRequest } from "../types.js";
import type { Decision, EndpointView, Policy } from "./types.js";
import { weightedOrder } from "./weighted.js";

/** The spec appendix's knobs, with its defaults. */
export const OpenRouterConfig = z.strictObject({
  lbMode: z.enum(["v1", "v2", "v3"]).default("v2"),
  outageWindowMs: z.number().nonnegative().optional(),
  outageMinFailures: z.number().int().positive().default(1),
  priceBasis: z.enum(["prompt", "completion", "blend"]).default("blend"),
  inputShare: z.number().min(0).max(1).default(0.5),
  includeRequestFee: z.boolean().default(false),
  lbCandidateTopK: z.number().int().positive().nullable().default(null),
  fallbackOrder: z.enum(["weighted", "priceAsc"]).default("weighted"),
  sortStat: z.enum(["p50", "p75", "p90", "p99"]).default("p50"),
  sortConsidersHealth: z.boolean().default(false),
  missingStatsPosition: z.enum(["last", "first"]).default("last"),
  modelFatalErrorTypes: z.array(z.string()).default([]),
  maxModelsArray: z.number().int().positive().default(3),
  dedupeModels: z.boolean().default(true),
  noEligibleEndpointStatus: z.union([z.literal(404), z.literal(503)]).default(404),
});
export type OpenRouterConfig = z.infer<typeof OpenRouterConfig>;

const DYNAMIC_VARIANTS = new Set(["nitro", "floor", "exacto", "online"]);

type SortBy = "price" | "throughput" | "latency" | "exacto";

interface ModelRoute {
  model: string;
  sort: SortBy | null;
}

/** Splits `vendor/model:variant`; dynamic variants become a sort, static ones stay in the id. */
export function parseModel(id: string): ModelRoute {
  const colon = id.lastIndexOf(":");
  if (colon > 0) {
    const v = id.slice(colon + 1);
    if (DYNAMIC_VARIANTS.has(v)) {
      const sort: SortBy | null =
        v === "nitro" ? "throughput" : v === "floor" ? "price" : v === "exacto" ? "exacto" : null;
      return { model: id.slice(0, colon), sort };
    }
  }
  return { model: id, sort: null };
}

/** Weighting price of R24a. */
export function weightingPrice(e: Endpoint, cfg: OpenRouterConfig): number {
  const p = e.price;
  const base =
    cfg.priceBasis === "prompt"
      ? p.prompt
      : cfg.priceBasis === "completion"
        ? p.completion
        : cfg.inputShare * p.prompt + (1 - cfg.inputShare) * p.completion;
  return (base + (cfg.includeRequestFee ? p.request * 1e6 : 0)) * (1 - p.discount);
}

function slugMatches(e: Endpoint, slug: string): boolean {
  const s = slug.toLowerCase();
  const tag = e.tag.toLowerCase();
  if (s.includes("/")) return tag === s;
  return e.tier === "default" && e.provider.toLowerCase() === s;
}

function num(v: number | string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === "string" ? Number.parseFloat(v) : v;
  return Number.isFinite(n) ? n : undefined;
}

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

/** Hard eligibility filters (R11–R20); returns survivors and the reason that removed the last one. */
export function eligible(
  endpoints: readonly Endpoint[],
  req: RoutedRequest,
  prefs: ProviderPrefs,
): { survivors: Endpoint[]; excludedBy: string[] } {
  const body = req.body;
  const excluded = new Set<string>();
  const maxTokens = body.max_tokens ?? body.max_completion_tokens;
  const need = req.promptTokens + (maxTokens ?? req.completionTokens);
  const mp = prefs.max_price;
  const survivors = endpoints.filter((e) => {
    if (e.status !== 0) return false;
    if (e.tier !== "default") return false;
    if (prefs.only && !prefs.only.some((s) => slugMatches(e, s))) return drop(excluded, "allowed_providers");
    if (prefs.ignore?.some((s) => slugMatches(e, s))) return drop(excluded, "allowed_providers");
    if (prefs.data_collection === "deny" && e.dataPolicy.training)
      return drop(excluded, "data_policy:training");
    if (prefs.zdr === true && !e.dataPolicy.zdr) return drop(excluded, "data_policy:zdr");
    if (prefs.quantizations && !prefs.quantizations.includes(e.quantization))
      return drop(excluded, "quantization");
    if (mp) {
      const over =
        (num(mp.prompt) !== undefined && e.price.prompt > num(mp.prompt)!) ||
        (num(mp.completion) !== undefined && e.price.completion > num(mp.completion)!) ||
        (num(mp.request) !== undefined && e.price.request > num(mp.request)!);
      if (over) return drop(excluded, "max_price");
    }
    if (maxTokens !== undefined && e.maxCompletionTokens !== null && e.maxCompletionTokens < maxTokens)
      return drop(excluded, "context_length");
    if (e.contextLength < need) return drop(excluded, "context_length");
    if (prefs.require_parameters) {
      for (const p of REQUEST_PARAMS) {
        if ((body as Record<string, unknown>)[p] !== undefined && !e.supportedParameters.has(p))
          return drop(excluded, "require_parameters");
      }
    }
    return true;
  });
  return { survivors, excludedBy: [...excluded] };
}

function drop(set: Set<string>, why: string): false {
  set.add(why);
  return false;
}

function stat(
  e: Endpoint,
  by: "throughput" | "latency",
  which: OpenRouterConfig["sortStat"],
): number | undefined {
  return by === "throughput" ? e.advertised.throughput[which] : e.advertised.latencyS[which];
}

/** Sort mode (R28): deterministic, ties keep canonical order, missing stats last. */
export function sortEndpoints(list: readonly Endpoint[], by: SortBy, cfg: OpenRouterConfig): Endpoint[] {
  const key = (e: Endpoint): number => {
    if (by === "price" || by === "exacto") return weightingPrice(e, cfg);
    const v = stat(e, by, cfg.sortStat);
    if (v === undefined) return cfg.missingStatsPosition === "last" ? Number.POSITIVE_INFINITY : -Infinity;
    return by === "throughput" ? -v : v;
  };
  return list
    .map((e, i) => ({ e, i, k: key(e) }))
    .sort((a, b) => a.k - b.k || a.i - b.i)
    .map((x) => x.e);
}

/** Default load balancing (R24 v2, R26 v1): healthy by inverse-(square-)price weight, then the rest. */
export function loadBalance(
  list: readonly Endpoint[],
  view: EndpointView,
  rng: Rng,
  cfg: OpenRouterConfig,
): Endpoint[] {
  const windowMs = cfg.outageWindowMs ?? (cfg.lbMode === "v1" ? 10_000 : 30_000);
  const since = view.now - windowMs;
  const stable: Endpoint[] = [];
  const unstable: Endpoint[] = [];
  for (const e of list) {
    if (view.health.failuresSince(e.id, since) >= cfg.outageMinFailures) unstable.push(e);
    else stable.push(e);
  }
  const power = cfg.lbMode === "v1" ? 1 : 2;
  const w = (e: Endpoint): number => {
    const p = weightingPrice(e, cfg);
    return p <= 0 ? Number.POSITIVE_INFINITY : 1 / p ** power;
  };
  const order = (g: Endpoint[]): Endpoint[] =>
    cfg.fallbackOrder === "priceAsc" && g !== stable
      ? sortEndpoints(g, "price", cfg)
      : weightedOrder(g, w, rng);
  return [...order(stable), ...order(unstable)];
}

function sortBy(prefs: ProviderPrefs, variant: SortBy | null): SortBy | null {
  const s = prefs.sort;
  const explicit = typeof s === "string" ? s : (s?.by ?? null);
  return explicit ?? variant;
}

/** Builds an OpenRouter policy from a request template and knobs. */
export function openRouterPolicy(name: string, cfg: OpenRouterConfig): Policy {
  return {
    name,
    route(req: RoutedRequest, view: EndpointView, rng: Rng): Decision {
      const body = req.body;
      const prefs = body.provider ?? {};
      const ids: string[] = [];
      if (body.model) ids.push(body.model);
      for (const m of body.models ?? []) if (!cfg.dedupeModels || !ids.includes(m)) ids.push(m);
      if ((body.models?.length ?? 0) > cfg.maxModelsArray)
        return { kind: "reject", status: 400, code: "models_array_too_long" };
      if (ids.length === 0) return { kind: "reject", status: 400, code: "model_not_found" };

      const out: number[] = [];
      let lastExcluded: string[] = [];
      let anyKnown = false;
      for (const id of ids) {
        const { model, sort: variantSort } = parseModel(id);
        const all = view.endpointsOf(model);
        if (all.length === 0) continue;
        anyKnown = true;
        const { survivors, excludedBy } = eligible(all, req, prefs);
        if (survivors.length === 0) {
          lastExcluded = excludedBy;
          continue;
        }
        let ordered: Endpoint[];
        const sort = sortBy(prefs, variantSort);
        if (prefs.order) {
          const placed = new Set<number>();
          ordered = [];
          for (const slug of prefs.order) {
            const hits = survivors.filter((e) => slugMatches(e, slug) && !placed.has(e.id));
            for (const e of hits.length > 1 ? loadBalance(hits, view, rng, cfg) : hits) {
              placed.add(e.id);
              ordered.push(e);
            }
          }
          if (prefs.allow_fallbacks !== false) {
            const rest = survivors.filter((e) => !placed.has(e.id));
            ordered.push(...(sort ? sortEndpoints(rest, sort, cfg) : loadBalance(rest, view, rng, cfg)));
          }
        } else {
          ordered = sort ? sortEndpoints(survivors, sort, cfg) : loadBalance(survivors, view, rng, cfg);
          if (prefs.allow_fallbacks === false) ordered = ordered.slice(0, 1);
        }
        for (const e of ordered) out.push(e.id);
      }
      if (out.length > 0) return { kind: "route", candidates: out };
      if (!anyKnown) return { kind: "reject", status: 400, code: "model_not_found" };
      return {
        kind: "reject",
        status: cfg.noEligibleEndpointStatus,
        code: lastExcluded.length ? "constraint_filtered" : "no_endpoints",
        excludedBy: lastExcluded,
      };
    },
  };
}
