/**
 * The OpenRouter policy, composed of the pieces of this folder in the spec's pipeline order (§0):
 * candidate models (R51, Auto Router R74) → per-model hard filters (R10–R20) → per-model ordering
 * (BYOK R33, sticky R88, order R29 / sort R28 / Auto Exacto R23 / load balancing R24–R27) → merge
 * across models (R32) → soft preferences (R31) → allow_fallbacks truncation (R29, R30).
 */
import type { AttemptRecord, Endpoint, Outcome, RequestBody, RoutedRequest } from "../../types.js";
import type { Decision, EndpointView, FinalError, Policy } from "../types.js";
import type { Uniform } from "../weighted.js";
import { AUTO_IDS, AutoRouter, type AutoRouterHook } from "./auto.js";
import type { OpenRouterConfig, SortBy } from "./config.js";
import {
  type BodyFacts,
  bodyFacts,
  catalogSlugs,
  filterEndpoints,
  fitsContext,
  type Removed,
  refMatches,
  staticSurvivors,
} from "./filters.js";
import { LoadBalancer, type V3Plugins } from "./lb.js";
import { candidateIds, ModelParser, type ModelRoute } from "./models.js";
import { preferredFirst } from "./preferences.js";
import { hasQualityData, sortInto } from "./sort.js";
import { StickyStore } from "./sticky.js";

export interface OpenRouterPlugins {
  readonly v3?: V3Plugins;
  readonly autoRouter?: AutoRouterHook;
}

/** One model's ordered pieces (R34): prioritized BYOK, sticky, mode ordering, fallback BYOK. */
interface ModelParts {
  readonly route: ModelRoute;
  readonly head: Endpoint[];
  readonly sticky: Endpoint | null;
  readonly rest: Endpoint[];
  readonly tail: Endpoint[];
}

type Explain = Record<string, unknown>;

/** Slots of the fast-path request table (a power of two, ≥ typical requests in flight). */
const LB_SLOTS = 1 << 14;

/**
 * What the plain load-balancing path needs for one request body (one model, no `models`, no
 * order/sort/tier/BYOK/preferences/truncation): its endpoints that pass every request-independent
 * filter, computed once. Valid for the view and endpoint list it was built from.
 */
interface LbOnly {
  readonly view: EndpointView;
  /** Catalog model id (variant stripped) and its endpoint list when the entry was built. */
  readonly model: string;
  readonly all: readonly Endpoint[];
  readonly f: BodyFacts;
  /** null = this body needs the full pipeline. */
  readonly ok: readonly Endpoint[] | null;
  /** Smallest context length in `ok`: requests needing no more skip the R20 check. */
  readonly minContext: number;
}
type EmptyTail = FinalError & { excludedBy?: readonly string[] };

export interface OpenRouterPolicy extends Policy {
  readonly sticky: StickyStore;
  readonly autoRouter: AutoRouter;
}

/** Explicit sort of the `provider` object (string or `{by}`), or null. */
function explicitSort(body: RequestBody): SortBy | null {
  const s = body.provider?.sort;
  return typeof s === "string" ? s : (s?.by ?? null);
}

/** R32: `partition: "none"` only with a sort `by`; `provider.sort.partition` wins over `route`. */
function partitionNone(body: RequestBody, by: SortBy | null): boolean {
  if (by === null) return false;
  const s = body.provider?.sort;
  const p =
    typeof s === "object" && s.partition !== undefined
      ? s.partition
      : body.route === "sort"
        ? "none"
        : "model";
  return p === "none";
}

export function openRouterPolicy(
  name: string,
  cfg: OpenRouterConfig,
  plugins: OpenRouterPlugins = {},
): OpenRouterPolicy {
  const parser = new ModelParser();
  const lb = new LoadBalancer(cfg, plugins.v3);
  const sticky = new StickyStore(cfg);
  const auto = new AutoRouter(cfg, plugins.autoRouter);
  const facts = new WeakMap<RequestBody, BodyFacts>();
  const aliases = new Map<string, string>();
  const efforts = new WeakMap<RequestBody, Map<string, RequestBody>>();
  const lbOnly = new WeakMap<RequestBody, LbOnly>();
  // The entry looked up last: requests of one policy usually share one body object.
  let lastBody: RequestBody | null = null;
  let lastEntry: LbOnly | undefined;
  const fits: Endpoint[] = [];
  /**
   * Requests routed on the load-balancing fast path (slot = request id & LB_SLOTS − 1). They have
   * no conversation, so `settle` has nothing to do for them; it recognises them by the last
   * attempt's request id without reading the request object, which by then is cold in memory
   * (and may be a reused object: ids, not identities). A slot taken over by another request only
   * means the ordinary check runs.
   */
  const lbRouted = new Float64Array(LB_SLOTS).fill(-1);
  let explainOn = false;

  // The catalog's slugs, for R99's resolution order (a policy routes over one catalog).
  let slugs: { catalog: readonly Endpoint[]; set: Set<string> } | null = null;
  const factsOf = (body: RequestBody, view: EndpointView): BodyFacts => {
    let f = facts.get(body);
    if (f === undefined) {
      if (slugs?.catalog !== view.catalog) slugs = { catalog: view.catalog, set: catalogSlugs(view.catalog) };
      f = bodyFacts(body, cfg, slugs.set);
      facts.set(body, f);
    }
    return f;
  };

  /**
   * R83: the conversation key: body `session_id`, else the traffic's session (the header's place),
   * else `prompt_cache_key` (R104). The messages hash is not used: a policy's body is a template
   * shared by all its requests, and the traffic's sessions say which requests are one conversation.
   */
  const conversationOf = (req: RoutedRequest): string | null =>
    req.body.session_id ?? req.session ?? req.body.prompt_cache_key ?? null;
  const explicitKey = (req: RoutedRequest): boolean =>
    req.body.session_id !== undefined ||
    (req.session !== undefined
      ? cfg.trafficSessionAs === "session_id"
      : req.body.prompt_cache_key !== undefined);

  /** Builds the `LbOnly` entry of a body with a single plain model id (`body.model`). */
  function lbOnlyEntry(body: RequestBody, model: string, view: EndpointView): LbOnly {
    const f = factsOf(body, view);
    const route = parser.parse(model);
    const all = view.endpointsOf(route.model);
    const prefs = f.prefs;
    const plain =
      !AUTO_IDS.has(model) &&
      model.charCodeAt(0) !== 126 /* ~ */ &&
      all.length > 0 &&
      (explicitSort(body) ?? route.sort ?? cfg.account.defaultSort) === null &&
      prefs.order === undefined &&
      prefs.allow_fallbacks !== false &&
      prefs.preferred_min_throughput === undefined &&
      prefs.preferred_max_latency === undefined &&
      (f.serviceTier === null || f.serviceTier === "default") &&
      !f.priority &&
      !(f.tools && cfg.autoExacto) &&
      f.preferred.length === 0 &&
      f.invalid === null;
    let ok: Endpoint[] | null = plain ? staticSurvivors(all, f, route, cfg) : null;
    if (ok !== null && (ok.length === 0 || (cfg.useByok && ok.some((e) => e.byok !== undefined)))) ok = null;
    let minContext = Number.POSITIVE_INFINITY;
    if (ok !== null) for (const e of ok) minContext = Math.min(minContext, e.contextLength);
    // The catalog's own string for the model: the per-request endpointsOf lookup then compares keys
    // by identity instead of by content.
    const key = all.length > 0 && all[0].model === route.model ? all[0].model : route.model;
    const entry: LbOnly = { view, model: key, all, f, ok, minContext };
    lbOnly.set(body, entry);
    lastBody = body;
    lastEntry = entry;
    return entry;
  }

  /**
   * The common case, with the same result and draws as the full pipeline: filters reduce to the
   * per-request context check, and the order is load balancing alone. null = take the full path.
   */
  function routeLbOnly(req: RoutedRequest, model: string, view: EndpointView, rng: Uniform): Decision | null {
    const body = req.body;
    let entry = body === lastBody ? lastEntry : lbOnly.get(body);
    if (entry === undefined || entry.view !== view || entry.all !== view.endpointsOf(entry.model))
      entry = lbOnlyEntry(body, model, view);
    else if (body !== lastBody) {
      lastBody = body;
      lastEntry = entry;
    }
    const ok = entry.ok;
    if (ok === null || conversationOf(req) !== null) return null;
    let survivors = ok;
    const f = entry.f;
    const need = req.promptTokens + (f.maxTokens ?? req.completionTokens);
    if (need > entry.minContext) {
      fits.length = 0;
      for (const e of ok) if (fitsContext(e, need, f)) fits.push(e);
      if (fits.length === 0) return null; // R20 compression fallback and error codes: full path
      survivors = fits.slice(); // a lazy decision keeps its list: not the scratch array
    }
    const d = lb.route(survivors, view, rng);
    lbRouted[req.id & (LB_SLOTS - 1)] = req.id;
    return d;
  }

  function orderMode(
    shared: Endpoint[],
    f: BodyFacts,
    sortBy: SortBy | null,
    view: EndpointView,
    rng: Uniform,
    out: Endpoint[],
  ): void {
    const placed = new Set<number>();
    for (const ref of f.order!) {
      const hits = shared.filter((e) => !placed.has(e.id) && refMatches(e, ref));
      for (const e of hits) placed.add(e.id);
      if (hits.length <= 1 || cfg.orderSlugExpansion === "catalog") out.push(...hits);
      else if (cfg.orderSlugExpansion === "priceAsc") sortInto(hits, "price", view, cfg, out);
      else lb.order(hits, view, rng, out);
    }
    if (f.prefs.allow_fallbacks === false) return; // R29.3: unlisted endpoints excluded
    const rest = placed.size === 0 ? shared : shared.filter((e) => !placed.has(e.id));
    if (sortBy !== null && cfg.orderRestOrdering === "sortOrLB") sortInto(rest, sortBy, view, cfg, out);
    else lb.order(rest, view, rng, out);
  }

  function orderModel(
    route: ModelRoute,
    survivors: Endpoint[],
    req: RoutedRequest,
    f: BodyFacts,
    sortBy: SortBy | null,
    view: EndpointView,
    rng: Uniform,
    why: Explain | null,
  ): ModelParts {
    let shared = survivors;
    const head: Endpoint[] = [];
    const tail: Endpoint[] = [];
    // R33: BYOK copies (already filtered like everything else) placed around the shared ones.
    if (cfg.useByok && survivors.some((e) => e.byok !== undefined)) {
      shared = [];
      for (const e of survivors) {
        if (e.byok === undefined) shared.push(e);
        else (e.byok.section === "prioritized" ? head : tail).push(e);
      }
      for (const k of head) {
        if (!k.byok?.alwaysUse) continue;
        shared =
          cfg.byokAlwaysUseScope === "allShared" ? [] : shared.filter((e) => e.provider !== k.provider);
      }
    }
    // R86/R88: sticky endpoint first (not with `order`; with sort only if stickyWithSort).
    let stickyE: Endpoint | null = null;
    const conv = conversationOf(req);
    if (conv !== null && f.prefs.order === undefined && (cfg.stickyWithSort || sortBy === null)) {
      const id = sticky.lookup(route.model, conv, view.now);
      if (id >= 0) {
        const k = shared.findIndex((e) => e.id === id);
        if (k >= 0) {
          stickyE = shared[k];
          shared = shared.filter((e) => e.id !== id);
        }
      }
    }
    const rest: Endpoint[] = [];
    let mode: string;
    const flex = f.serviceTier === "flex" ? shared.filter((e) => e.tier === "flex") : [];
    if (flex.length > 0) {
      // R12b: flex only, by price, no fallback to the default tier.
      mode = "service_tier:flex";
      sortInto(flex, "price", view, cfg, rest);
    } else {
      if (f.priority) {
        // R12a: priority endpoints first, by throughput; then the normal ordering.
        const prio = shared.filter((e) => e.tier === "priority");
        if (prio.length > 0) {
          sortInto(prio, "throughput", view, cfg, rest);
          shared = shared.filter((e) => e.tier !== "priority");
        }
      }
      if (f.prefs.order !== undefined) {
        mode = "order";
        orderMode(shared, f, sortBy, view, rng, rest);
      } else if (sortBy !== null) {
        mode = `sort:${sortBy}`;
        sortInto(shared, sortBy, view, cfg, rest);
      } else if (f.tools && cfg.autoExacto && hasQualityData(shared)) {
        mode = "autoExacto";
        sortInto(shared, "exacto", view, cfg, rest);
      } else {
        mode = `lb:${cfg.lbMode}`;
        const lbWhy: Explain | undefined = why ? {} : undefined;
        lb.order(shared, view, rng, rest, lbWhy);
        if (why) why.lb = lbWhy;
      }
    }
    if (why) {
      why.mode = mode;
      if (head.length || tail.length)
        why.byok = { prioritized: head.map((e) => e.tag), fallback: tail.map((e) => e.tag) };
      if (stickyE) why.sticky = stickyE.tag;
    }
    return { route, head, sticky: stickyE, rest, tail };
  }

  function reject(
    status: number,
    code: string,
    explain: Explain | null,
    excludedBy?: readonly string[],
  ): Decision {
    return explain
      ? { kind: "reject", status, code, excludedBy, explain }
      : excludedBy
        ? { kind: "reject", status, code, excludedBy }
        : { kind: "reject", status, code };
  }

  const policy: OpenRouterPolicy = {
    name,
    sticky,
    autoRouter: auto,
    enableExplain() {
      explainOn = true;
    },
    route(req: RoutedRequest, view: EndpointView, rng: Uniform): Decision {
      const body = req.body;
      if (!explainOn && body.models === undefined && body.model !== undefined) {
        const d = routeLbOnly(req, body.model, view, rng);
        if (d !== null) return d;
      }
      let f = factsOf(body, view);
      const why: Explain | null = explainOn ? { models: [] as Explain[] } : null;
      if (f.invalid !== null) return reject(400, f.invalid, why); // R110, R111 knobs
      if (body.models && body.models.length > cfg.maxModelsArray)
        return reject(400, "models_array_too_long", why); // R51
      const conv = conversationOf(req);
      if (conv !== null && conv.length > 256) return reject(400, "invalid_request", why); // R83
      let ids =
        body.models === undefined && body.model !== undefined
          ? [body.model]
          : candidateIds(body.model, body.models, cfg.dedupeModels);
      if (ids.length === 0) return reject(400, "model_not_found", why);
      if (ids.some((m) => AUTO_IDS.has(m))) {
        const expanded: string[] = [];
        let effort: string | null = null;
        for (const m of ids) {
          if (!AUTO_IDS.has(m)) expanded.push(m);
          else {
            const c = auto.choose(m, req, view, rng, conv);
            if (why) why.autoRouter = c;
            if (c.kind === "reject") return reject(c.status, c.code, why);
            expanded.push(...c.models);
            effort ??= c.reasoningEffort;
          }
        }
        ids = cfg.dedupeModels ? [...new Set(expanded)] : expanded;
        // R103: the router's effort is a sent `reasoning` parameter from here on (R18).
        if (effort !== null) f = factsOf(withEffort(body, effort), view);
      }
      const exSort = explicitSort(body);
      const parts: ModelParts[] = [];
      let emptyTail: EmptyTail | null = null;
      let anyKnown = false;
      for (const raw of ids) {
        const alias = raw.charCodeAt(0) === 126 /* ~ */ ? resolveAlias(raw, view) : raw;
        const id = f.priority ? fastSibling(alias, view) : alias;
        const route = parser.parse(id);
        const all = view.endpointsOf(route.model);
        const mWhy: Explain | null = why ? { requested: alias, model: route.model } : null;
        if (why) (why.models as Explain[]).push(mWhy!);
        if (all.length === 0) {
          emptyTail = { status: 400, code: "model_not_found" };
          continue;
        }
        anyKnown = true;
        const removed: Removed[] | undefined = mWhy ? [] : undefined;
        const fr = filterEndpoints(all, req, f, route, cfg, removed);
        if (mWhy) {
          mWhy.endpoints = all.map((e) => e.tag);
          mWhy.removed = removed;
          mWhy.eligible = fr.survivors.map((e) => e.tag);
          if (fr.stripped.length) mWhy.strippedParams = fr.stripped;
        }
        if (fr.survivors.length === 0) {
          // R59 code of the filter result; R65 chooses 404 (default) or the legacy 503.
          emptyTail = {
            status: cfg.noEligibleEndpointStatus,
            code: fr.code,
            excludedBy: fr.excludedBy ? [fr.excludedBy] : [],
          };
          if (mWhy) mWhy.excludedBy = emptyTail.excludedBy;
          continue;
        }
        emptyTail = null;
        // R38: an explicit sort wins over the variant's; account default sort last (R23.2).
        const sortBy = exSort ?? route.sort ?? cfg.account.defaultSort;
        parts.push(orderModel(route, fr.survivors, req, f, sortBy, view, rng, mWhy));
      }
      if (!anyKnown) return reject(400, "model_not_found", why);
      if (parts.length === 0) return reject(emptyTail!.status, emptyTail!.code, why, emptyTail!.excludedBy);

      let list = merge(parts, body, exSort, view);
      const prefs = f.prefs;
      if (
        cfg.preferredScope === "global" &&
        (prefs.preferred_min_throughput !== undefined || prefs.preferred_max_latency !== undefined)
      )
        list = preferredFirst(list, prefs, view, cfg);
      if (prefs.allow_fallbacks === false) list = truncate(list, prefs.order !== undefined);
      const candidates = parts.length > 1 ? dedupe(list) : list.map((e) => e.id);
      if (why) why.final = candidates.map((i) => view.catalog[i].tag);
      const d: { kind: "route"; candidates: number[]; emptyTail?: EmptyTail; explain?: unknown } = {
        kind: "route",
        candidates,
      };
      if (emptyTail) d.emptyTail = emptyTail;
      if (why) d.explain = why;
      return d;
    },
    settle(req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[], view: EndpointView): void {
      if (attempts.length > 0) {
        const id = attempts[attempts.length - 1].requestId;
        const slot = id & (LB_SLOTS - 1);
        if (lbRouted[slot] === id) {
          lbRouted[slot] = -1;
          return;
        }
      }
      if (o.kind !== "served") return;
      const conv = conversationOf(req);
      if (conv === null) return;
      if (req.body.model !== undefined && AUTO_IDS.has(req.body.model)) auto.served(conv, o.endpoint);
      if (req.body.provider?.order !== undefined) return; // R86
      const last = attempts[attempts.length - 1];
      sticky.served(o.endpoint, conv, explicitKey(req), last?.cachedTokens ?? 0, view.now);
    },
  };

  /** R103: the body with the Auto Router's reasoning effort written in (one object per body and effort). */
  function withEffort(body: RequestBody, effort: string): RequestBody {
    let m = efforts.get(body);
    if (m === undefined) {
      m = new Map();
      efforts.set(body, m);
    }
    let b = m.get(effort);
    if (b === undefined) {
      const { reasoning_effort: _, ...rest } = body;
      b = { ...rest, reasoning: { ...body.reasoning, effort } } as RequestBody;
      m.set(effort, b);
    }
    return b;
  }

  /**
   * R101: a priority request (`speed: "fast"`, `service_tier` fast/priority) for a model whose
   * catalog entry names a fast sibling goes to the sibling, keeping any variant suffix.
   */
  function fastSibling(id: string, view: EndpointView): string {
    const route = parser.parse(id);
    const sib = view.endpointsOf(route.model).find((e) => e.fastSibling !== undefined)?.fastSibling;
    if (sib === undefined || view.endpointsOf(sib).length === 0) return id;
    return route.variant !== null ? `${sib}:${route.variant}` : sib;
  }

  /**
   * R42: `~vendor/family-latest` → the newest model of the family, read as the last one in catalog
   * order whose id starts with `vendor/family` (the catalog has no release dates). No member → the
   * alias stays unresolved and fails as an unknown model (no cross-family fallback).
   */
  function resolveAlias(alias: string, view: EndpointView): string {
    let r = aliases.get(alias);
    if (r === undefined) {
      r = alias;
      const m = /^~(.+)-latest$/.exec(alias);
      if (m)
        for (const e of view.catalog) if (e.model.startsWith(m[1]) && !e.model.includes(":")) r = e.model;
      aliases.set(alias, r);
    }
    return r;
  }

  /** R32 + R34 composition. */
  function merge(
    parts: ModelParts[],
    body: RequestBody,
    exSort: SortBy | null,
    view: EndpointView,
  ): Endpoint[] {
    if (
      parts.length === 1 &&
      parts[0].head.length === 0 &&
      parts[0].tail.length === 0 &&
      parts[0].sticky === null
    )
      return parts[0].rest; // the common case: one model, nothing placed around its ordering
    const out: Endpoint[] = [];
    if (parts.length > 1 && partitionNone(body, exSort)) {
      const pool: Endpoint[] = [];
      for (const p of parts) out.push(...p.head);
      for (const p of parts) if (p.sticky) out.push(p.sticky);
      for (const p of parts) pool.push(...p.rest);
      sortInto(pool, exSort!, view, cfg, out);
      for (const p of parts) out.push(...p.tail);
      return out;
    }
    for (const p of parts) {
      const seg: Endpoint[] = [...p.head];
      if (p.sticky) seg.push(p.sticky);
      seg.push(...p.rest, ...p.tail);
      const prefs = body.provider ?? {};
      if (
        cfg.preferredScope === "perModel" &&
        (prefs.preferred_min_throughput !== undefined || prefs.preferred_max_latency !== undefined)
      )
        out.push(...preferredFirst(seg, prefs, view, cfg));
      else out.push(...seg);
    }
    return out;
  }

  /** R30 (and R29.3 already applied): one endpoint per model; optionally only the first model. */
  function truncate(list: Endpoint[], ordered: boolean): Endpoint[] {
    let out = list;
    if (!ordered) {
      const seen = new Set<string>();
      out = [];
      for (const e of list) {
        if (seen.has(e.model)) continue;
        seen.add(e.model);
        out.push(e);
      }
    }
    if (cfg.allowFallbacksScope === "providersAndModels" && out.length > 0) {
      const m = out[0].model;
      out = out.filter((e) => e.model === m);
    }
    return out;
  }

  return policy;
}

/** R44: each endpoint at most once per request (a model listed twice, e.g. with two variants). */
function dedupe(list: Endpoint[]): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const e of list) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    out.push(e.id);
  }
  return out;
}
