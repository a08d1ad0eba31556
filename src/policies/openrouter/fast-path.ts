/**
 * The OpenRouter policy's fast path: a request for one plain model id with no `provider` choices
 * that change the order (no order/sort/tier/BYOK/preferences/truncation) and no conversation is
 * routed by the request-independent filters' survivors (computed once per body), the per-request
 * context check and load balancing alone, with the same result and draws as the full pipeline.
 */
import type { AttemptRecord, Endpoint, RequestBody, RoutedRequest } from "../../types.js";
import type { Decision, EndpointView } from "../types.js";
import type { Uniform } from "../weighted.js";
import { AUTO_IDS } from "./auto.js";
import type { OpenRouterConfig, SortBy } from "./config.js";
import { type BodyFacts, bodyFacts, catalogSlugs, fitsContext, staticSurvivors } from "./filters.js";
import type { LoadBalancer } from "./lb.js";
import type { ModelParser } from "./models.js";

/** Slots of the fast-path request table (a power of two, ≥ typical requests in flight). */
const LB_SLOTS = 1 << 14;

/** Explicit sort of the `provider` object (string or `{by}`), or null. */
export function explicitSort(body: RequestBody): SortBy | null {
  const s = body.provider?.sort;
  return typeof s === "string" ? s : (s?.by ?? null);
}

/**
 * R83: the conversation key: body `session_id`, else the traffic's session (the header's place),
 * else `prompt_cache_key` (R104). The messages hash is not used: a policy's body is a template
 * shared by all its requests, and the traffic's sessions say which requests are one conversation.
 */
export function conversationOf(req: RoutedRequest): string | null {
  return req.body.session_id ?? req.session ?? req.body.prompt_cache_key ?? null;
}

/** Facts of each request body (R99 needs the catalog's slugs: a policy routes over one catalog). */
export class FactsCache {
  private readonly facts = new WeakMap<RequestBody, BodyFacts>();
  private slugs: { catalog: readonly Endpoint[]; set: Set<string> } | null = null;

  constructor(private readonly cfg: OpenRouterConfig) {}

  of(body: RequestBody, view: EndpointView): BodyFacts {
    let f = this.facts.get(body);
    if (f === undefined) {
      let slugs = this.slugs;
      if (slugs?.catalog !== view.catalog) {
        slugs = { catalog: view.catalog, set: catalogSlugs(view.catalog) };
        this.slugs = slugs;
      }
      f = bodyFacts(body, this.cfg, slugs.set);
      this.facts.set(body, f);
    }
    return f;
  }
}

/**
 * What the fast path needs for one request body: its endpoints that pass every request-independent
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

export class LbFastPath {
  private readonly entries = new WeakMap<RequestBody, LbOnly>();
  // The entry looked up last: requests of one policy usually share one body object.
  private lastBody: RequestBody | null = null;
  private lastEntry: LbOnly | undefined = undefined;
  private readonly fits: Endpoint[] = [];
  /**
   * Requests routed here (slot = request id & LB_SLOTS − 1). They have no conversation, so
   * `settle` has nothing to do for them; `settled` recognises them by the last attempt's request
   * id without reading the request object, which by then is cold in memory (and may be a reused
   * object: ids, not identities). A slot taken over by another request only means the ordinary
   * check runs.
   */
  private readonly routed = new Float64Array(LB_SLOTS).fill(-1);

  constructor(
    private readonly cfg: OpenRouterConfig,
    private readonly lb: LoadBalancer,
    private readonly parser: ModelParser,
    private readonly facts: FactsCache,
  ) {}

  /** The decision for `req` (whose body names the single model `model`), or null: take the full path. */
  route(req: RoutedRequest, model: string, view: EndpointView, rng: Uniform): Decision | null {
    const body = req.body;
    let entry = body === this.lastBody ? this.lastEntry : this.entries.get(body);
    if (entry === undefined || entry.view !== view || entry.all !== view.endpointsOf(entry.model))
      entry = this.entryOf(body, model, view);
    else if (body !== this.lastBody) {
      this.lastBody = body;
      this.lastEntry = entry;
    }
    const ok = entry.ok;
    if (ok === null || conversationOf(req) !== null) return null;
    let survivors = ok;
    const f = entry.f;
    const need = req.promptTokens + (f.maxTokens ?? req.completionTokens);
    if (need > entry.minContext) {
      const fits = this.fits;
      fits.length = 0;
      for (const e of ok) if (fitsContext(e, need, f)) fits.push(e);
      if (fits.length === 0) return null; // R20 compression fallback and error codes: full path
      survivors = fits.slice(); // a lazy decision keeps its list: not the scratch array
    }
    const d = this.lb.route(survivors, view, rng);
    this.routed[req.id & (LB_SLOTS - 1)] = req.id;
    return d;
  }

  /** True when the request that finished after `attempts` was routed here; forgets it. */
  settled(attempts: readonly AttemptRecord[]): boolean {
    if (attempts.length === 0) return false;
    const id = attempts[attempts.length - 1].requestId;
    const slot = id & (LB_SLOTS - 1);
    if (this.routed[slot] !== id) return false;
    this.routed[slot] = -1;
    return true;
  }

  /** Builds the entry of a body with a single plain model id (`body.model`). */
  private entryOf(body: RequestBody, model: string, view: EndpointView): LbOnly {
    const cfg = this.cfg;
    const f = this.facts.of(body, view);
    const route = this.parser.parse(model);
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
    this.entries.set(body, entry);
    this.lastBody = body;
    this.lastEntry = entry;
    return entry;
  }
}
