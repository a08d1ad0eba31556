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
import { conversationOf, explicitSort, FactsCache, LbFastPath } from "./fast-path.js";
import { type BodyFacts, filterEndpoints, type Removed, refMatches } from "./filters.js";
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
type EmptyTail = FinalError & { excludedBy?: readonly string[] };

export interface OpenRouterPolicy extends Policy {
  readonly sticky: StickyStore;
  readonly autoRouter: AutoRouter;
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
  return new OpenRouterRouting(name, cfg, plugins);
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

class OpenRouterRouting implements OpenRouterPolicy {
  readonly sticky: StickyStore;
  readonly autoRouter: AutoRouter;
  private readonly parser = new ModelParser();
  private readonly lb: LoadBalancer;
  private readonly facts: FactsCache;
  private readonly fast: LbFastPath;
  private readonly aliases = new Map<string, string>();
  private readonly efforts = new WeakMap<RequestBody, Map<string, RequestBody>>();
  private explainOn = false;

  constructor(
    readonly name: string,
    private readonly cfg: OpenRouterConfig,
    plugins: OpenRouterPlugins,
  ) {
    this.lb = new LoadBalancer(cfg, plugins.v3);
    this.sticky = new StickyStore(cfg);
    this.autoRouter = new AutoRouter(cfg, plugins.autoRouter);
    this.facts = new FactsCache(cfg);
    this.fast = new LbFastPath(cfg, this.lb, this.parser, this.facts);
  }

  enableExplain(): void {
    this.explainOn = true;
  }

  route(req: RoutedRequest, view: EndpointView, rng: Uniform): Decision {
    const body = req.body;
    if (!this.explainOn && body.models === undefined && body.model !== undefined) {
      const d = this.fast.route(req, body.model, view, rng);
      if (d !== null) return d;
    }
    return this.routeFull(req, view, rng);
  }

  settle(req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[], view: EndpointView): void {
    if (this.fast.settled(attempts)) return;
    if (o.kind !== "served") return;
    const conv = conversationOf(req);
    if (conv === null) return;
    if (req.body.model !== undefined && AUTO_IDS.has(req.body.model))
      this.autoRouter.served(conv, o.endpoint);
    if (req.body.provider?.order !== undefined) return; // R86
    const last = attempts[attempts.length - 1];
    this.sticky.served(o.endpoint, conv, this.explicitKey(req), last?.cachedTokens ?? 0, view.now);
  }

  /** The whole pipeline (§0), with explanations when enabled. */
  private routeFull(req: RoutedRequest, view: EndpointView, rng: Uniform): Decision {
    const cfg = this.cfg;
    const body = req.body;
    let f = this.facts.of(body, view);
    const why: Explain | null = this.explainOn ? { models: [] as Explain[] } : null;
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
          const c = this.autoRouter.choose(m, req, view, rng, conv);
          if (why) why.autoRouter = c;
          if (c.kind === "reject") return reject(c.status, c.code, why);
          expanded.push(...c.models);
          effort ??= c.reasoningEffort;
        }
      }
      ids = cfg.dedupeModels ? [...new Set(expanded)] : expanded;
      // R103: the router's effort is a sent `reasoning` parameter from here on (R18).
      if (effort !== null) f = this.facts.of(this.withEffort(body, effort), view);
    }
    const exSort = explicitSort(body);
    const parts: ModelParts[] = [];
    let emptyTail: EmptyTail | null = null;
    let anyKnown = false;
    for (const raw of ids) {
      const alias = raw.charCodeAt(0) === 126 /* ~ */ ? this.resolveAlias(raw, view) : raw;
      const id = f.priority ? this.fastSibling(alias, view) : alias;
      const route = this.parser.parse(id);
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
      parts.push(this.orderModel(route, fr.survivors, req, f, sortBy, view, rng, mWhy));
    }
    if (!anyKnown) return reject(400, "model_not_found", why);
    if (parts.length === 0) return reject(emptyTail!.status, emptyTail!.code, why, emptyTail!.excludedBy);

    let list = this.merge(parts, body, exSort, view);
    const prefs = f.prefs;
    if (
      cfg.preferredScope === "global" &&
      (prefs.preferred_min_throughput !== undefined || prefs.preferred_max_latency !== undefined)
    )
      list = preferredFirst(list, prefs, view, cfg);
    if (prefs.allow_fallbacks === false) list = this.truncate(list, prefs.order !== undefined);
    const candidates = parts.length > 1 ? dedupe(list) : list.map((e) => e.id);
    if (why) why.final = candidates.map((i) => view.catalog[i].tag);
    const d: { kind: "route"; candidates: number[]; emptyTail?: EmptyTail; explain?: unknown } = {
      kind: "route",
      candidates,
    };
    if (emptyTail) d.emptyTail = emptyTail;
    if (why) d.explain = why;
    return d;
  }

  private explicitKey(req: RoutedRequest): boolean {
    return (
      req.body.session_id !== undefined ||
      (req.session !== undefined
        ? this.cfg.trafficSessionAs === "session_id"
        : req.body.prompt_cache_key !== undefined)
    );
  }

  private orderMode(
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
      if (hits.length <= 1 || this.cfg.orderSlugExpansion === "catalog") out.push(...hits);
      else if (this.cfg.orderSlugExpansion === "priceAsc") sortInto(hits, "price", view, this.cfg, out);
      else this.lb.order(hits, view, rng, out);
    }
    if (f.prefs.allow_fallbacks === false) return; // R29.3: unlisted endpoints excluded
    const rest = placed.size === 0 ? shared : shared.filter((e) => !placed.has(e.id));
    if (sortBy !== null && this.cfg.orderRestOrdering === "sortOrLB")
      sortInto(rest, sortBy, view, this.cfg, out);
    else this.lb.order(rest, view, rng, out);
  }

  private orderModel(
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
    if (this.cfg.useByok && survivors.some((e) => e.byok !== undefined)) {
      shared = [];
      for (const e of survivors) {
        if (e.byok === undefined) shared.push(e);
        else (e.byok.section === "prioritized" ? head : tail).push(e);
      }
      for (const k of head) {
        if (!k.byok?.alwaysUse) continue;
        shared =
          this.cfg.byokAlwaysUseScope === "allShared" ? [] : shared.filter((e) => e.provider !== k.provider);
      }
    }
    // R86/R88: sticky endpoint first (not with `order`; with sort only if stickyWithSort).
    let stickyE: Endpoint | null = null;
    const conv = conversationOf(req);
    if (conv !== null && f.prefs.order === undefined && (this.cfg.stickyWithSort || sortBy === null)) {
      const id = this.sticky.lookup(route.model, conv, view.now);
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
      sortInto(flex, "price", view, this.cfg, rest);
    } else {
      if (f.priority) {
        // R12a: priority endpoints first, by throughput; then the normal ordering.
        const prio = shared.filter((e) => e.tier === "priority");
        if (prio.length > 0) {
          sortInto(prio, "throughput", view, this.cfg, rest);
          shared = shared.filter((e) => e.tier !== "priority");
        }
      }
      if (f.prefs.order !== undefined) {
        mode = "order";
        this.orderMode(shared, f, sortBy, view, rng, rest);
      } else if (sortBy !== null) {
        mode = `sort:${sortBy}`;
        sortInto(shared, sortBy, view, this.cfg, rest);
      } else if (f.tools && this.cfg.autoExacto && hasQualityData(shared)) {
        mode = "autoExacto";
        sortInto(shared, "exacto", view, this.cfg, rest);
      } else {
        mode = `lb:${this.cfg.lbMode}`;
        const lbWhy: Explain | undefined = why ? {} : undefined;
        this.lb.order(shared, view, rng, rest, lbWhy);
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

  /** R103: the body with the Auto Router's reasoning effort written in (one object per body and effort). */
  private withEffort(body: RequestBody, effort: string): RequestBody {
    let m = this.efforts.get(body);
    if (m === undefined) {
      m = new Map();
      this.efforts.set(body, m);
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
  private fastSibling(id: string, view: EndpointView): string {
    const route = this.parser.parse(id);
    const sib = view.endpointsOf(route.model).find((e) => e.fastSibling !== undefined)?.fastSibling;
    if (sib === undefined || view.endpointsOf(sib).length === 0) return id;
    return route.variant !== null ? `${sib}:${route.variant}` : sib;
  }

  /**
   * R42: `~vendor/family-latest` → the newest model of the family, read as the last one in catalog
   * order whose id starts with `vendor/family` (the catalog has no release dates). No member → the
   * alias stays unresolved and fails as an unknown model (no cross-family fallback).
   */
  private resolveAlias(alias: string, view: EndpointView): string {
    let r = this.aliases.get(alias);
    if (r === undefined) {
      r = alias;
      const m = /^~(.+)-latest$/.exec(alias);
      if (m)
        for (const e of view.catalog) if (e.model.startsWith(m[1]) && !e.model.includes(":")) r = e.model;
      this.aliases.set(alias, r);
    }
    return r;
  }

  /** R32 + R34 composition. */
  private merge(
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
      sortInto(pool, exSort!, view, this.cfg, out);
      for (const p of parts) out.push(...p.tail);
      return out;
    }
    for (const p of parts) {
      const seg: Endpoint[] = [...p.head];
      if (p.sticky) seg.push(p.sticky);
      seg.push(...p.rest, ...p.tail);
      const prefs = body.provider ?? {};
      if (
        this.cfg.preferredScope === "perModel" &&
        (prefs.preferred_min_throughput !== undefined || prefs.preferred_max_latency !== undefined)
      )
        out.push(...preferredFirst(seg, prefs, view, this.cfg));
      else out.push(...seg);
    }
    return out;
  }

  /** R30 (and R29.3 already applied): one endpoint per model; optionally only the first model. */
  private truncate(list: Endpoint[], ordered: boolean): Endpoint[] {
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
    if (this.cfg.allowFallbacksScope === "providersAndModels" && out.length > 0) {
      const m = out[0].model;
      out = out.filter((e) => e.model === m);
    }
    return out;
  }
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
