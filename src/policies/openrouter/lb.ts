/**
 * Default load balancing (R24 v2, R26 v1) and adaptive shares (R27 v3 plug-ins): endpoints grouped
 * normal-stable → degraded-stable → down/unstable (R25, R93), each group ordered by R24b weighted
 * sampling without replacement.
 */
import { Rng, type RngState } from "../../rng/rng.js";
import type { Endpoint } from "../../types.js";
import type { Decision, EndpointView } from "../types.js";
import { type Uniform, WeightedScratch } from "../weighted.js";
import { type OpenRouterConfig, outageWindowMs } from "./config.js";
import { HealthGroups } from "./groups.js";
import { weightingPrice } from "./price.js";
import {
  healthClassOf,
  healthClassSince,
  outageSince,
  statsOf,
  uptimeClassOf,
  uptimePercent,
} from "./stats.js";

/** Inputs the v3 share function sees for one endpoint. */
export interface V3Stats {
  /** Weighting price (R24a), $/M. */
  price: number;
  /** Uptime share 0..1 over the stats window (429 excluded), null without enough data. */
  uptime: number | null;
  /** p50 throughput (tokens/s) and the best p50 among the model's candidates; null = no data. */
  throughput: number | null;
  bestThroughput: number | null;
  /** Share of recent attempts answered with 429 (R95). */
  rateLimitedShare: number;
}

/** R27 plug-ins; any left out use the documented defaults below. */
export interface V3Plugins {
  shareFn?(e: Endpoint, s: V3Stats): number;
  minShare?: number;
  breaker?(e: Endpoint, view: EndpointView): boolean;
  /** Requests per second above which the endpoint is held back; null = no cap. */
  trafficCap?(e: Endpoint): number | null;
}

/** Default v3 share: (1/price^a) × uptime^b × (throughput/best)^c × (1 − 429 share). */
export function defaultShare(cfg: OpenRouterConfig): (e: Endpoint, s: V3Stats) => number {
  const v = cfg.v3;
  return (_e, s) => {
    const priceW = s.price <= 0 ? Number.POSITIVE_INFINITY : 1 / s.price ** v.priceExponent;
    const rel = s.uptime === null ? 1 : s.uptime ** v.reliabilityExponent;
    const speed =
      s.throughput !== null && s.bestThroughput !== null && s.bestThroughput > 0
        ? (s.throughput / s.bestThroughput) ** v.speedExponent
        : 1;
    return priceW * rel * speed * (1 - s.rateLimitedShare);
  };
}

/** Default breaker: error share ≥ breakerErrorRate over breakerWindowMs with enough requests. */
export function defaultBreaker(cfg: OpenRouterConfig): (e: Endpoint, view: EndpointView) => boolean {
  const v = cfg.v3;
  return (e, view) => {
    const w = view.health.window(e.id, v.breakerWindowMs);
    const n = w.successes + w.errors;
    return n >= v.breakerMinRequests && w.errors / n >= v.breakerErrorRate;
  };
}

export class LoadBalancer {
  private readonly share: (e: Endpoint, s: V3Stats) => number;
  private readonly breaker: (e: Endpoint, view: EndpointView) => boolean;
  private readonly cap: (e: Endpoint) => number | null;
  private readonly minShare: number;
  private readonly power: number;
  // Scratch reused across requests: groups live in slot ranges [c·n, c·n + count) of `s`.
  private readonly s = new WeightedScratch();
  private wById = new Float64Array(0);
  // Group sizes written by `classify`.
  private c0 = 0;
  private c1 = 0;
  private c2 = 0;
  /** v1/v2 without top-K: weights are static, so an order can be replayed later (`LazyOrder`). */
  private readonly lazy: boolean;
  /** R93 outage window (`outageSince` without the per-request lookup). */
  private readonly outageMs: number;
  private readonly replayRng = new Rng(0);
  // First-pick prefix sums (lazy orders): of a whole list, and of the last group of a list that was not.
  private readonly whole = new GroupSums();
  private readonly part = new GroupSums();
  private readonly stepSums = new GroupSums();
  /** Health groups of the latest list, updated from the view's change log. */
  private readonly groups: HealthGroups;

  constructor(
    private readonly cfg: OpenRouterConfig,
    plugins: V3Plugins = {},
  ) {
    this.share = plugins.shareFn ?? defaultShare(cfg);
    this.breaker = plugins.breaker ?? defaultBreaker(cfg);
    const caps = cfg.v3.trafficCapRps;
    this.cap = plugins.trafficCap ?? ((e) => caps[e.tag] ?? null);
    this.minShare = plugins.minShare ?? cfg.v3.minShare;
    this.power = cfg.lbMode === "v1" ? 1 : 2;
    this.lazy = cfg.lbMode !== "v3" && cfg.lbCandidateTopK === null;
    this.outageMs = outageWindowMs(cfg);
    this.groups = new HealthGroups(cfg);
  }

  /** Weight of one endpoint in v1/v2 (1/price^k; zero price → infinite, R24a); prices are static. */
  weight(e: Endpoint): number {
    const id = e.id;
    if (id < this.wById.length) {
      const c = this.wById[id];
      if (c === c) return c;
    } else {
      // Dense by endpoint id (NaN = not computed yet): a sparse plain array would go to dictionary mode.
      const grown = new Float64Array(Math.max(id + 1, 2 * this.wById.length)).fill(Number.NaN);
      grown.set(this.wById);
      this.wById = grown;
    }
    const p = weightingPrice(e, this.cfg);
    const w = p <= 0 ? Number.POSITIVE_INFINITY : this.power === 2 ? 1 / (p * p) : 1 / p;
    this.wById[id] = w;
    return w;
  }

  /** Orders `list` (canonical order) and appends it to `out`; `why` (optional) gets weights. */
  order(
    list: readonly Endpoint[],
    view: EndpointView,
    rng: Uniform,
    out: Endpoint[],
    why?: Record<string, unknown>,
  ): void {
    const n = list.length;
    if (n === 0) return;
    if (n === 1) {
      out.push(list[0]);
      return;
    }
    this.orderPositions(list, view, rng, why);
    const picked = this.s.picked;
    for (let i = 0; i < n; i++) out.push(list[picked[i]]);
  }

  /** As `order`, returning the endpoint ids in order (the decision's candidates). */
  orderIds(list: readonly Endpoint[], view: EndpointView, rng: Uniform): number[] {
    const n = list.length;
    if (n <= 1) return n === 0 ? [] : [list[0].id];
    this.classify(list, view);
    return this.sampledIds(list, rng);
  }

  /**
   * The decision for `list` (the survivors, canonical order): a `LazyOrder` when only the first
   * endpoint needs computing now (v1/v2, no top-K, an `Rng`, 2–32 endpoints), else the eager order.
   * `list` must stay unchanged while the decision lives (pass a copy of a scratch array).
   */
  route(list: readonly Endpoint[], view: EndpointView, rng: Uniform): Decision & { kind: "route" } {
    const n = list.length;
    if (!this.lazy || n < 2 || n > 32 || !(rng instanceof Rng))
      return { kind: "route", candidates: this.orderIds(list, view, rng) };
    // Health groups (R25, R93) as bitmasks over `list`: bit i set in m0 = normal, m1 = degraded.
    const cfg = this.cfg;
    const h = view.health;
    const now = view.now;
    const since = now - this.outageMs;
    let m0 = 0;
    let m1 = 0;
    const groups = this.groups;
    if (groups.update(list, h, now, since)) {
      m0 = groups.m0;
      m1 = groups.m1;
    } else {
      const quick = cfg.outageMinFailures === 1;
      const tiers = cfg.uptimeTiers;
      for (let i = 0; i < n; i++) {
        const id = list[i].id;
        // healthClassOf, its usual case (one failure makes an endpoint unstable) read here: a recent
        // failure puts the endpoint in group 2, else its uptime tier decides.
        let cls: number;
        if (!quick) cls = healthClassOf(id, h, cfg, since);
        else if (h.lastFailureMs(id) >= since) continue;
        else cls = uptimeClassOf(id, h, tiers);
        if (cls === 0) m0 |= 1 << i;
        else if (cls === 1) m1 |= 1 << i;
      }
    }
    // Group 0 empty and fallbacks by price: rare (no normal endpoint), so stay eager.
    if (m0 === 0 && cfg.fallbackOrder === "priceAsc")
      return { kind: "route", candidates: this.orderIds(list, view, rng) };
    const all = allBits(n);
    const g = m0 !== 0 ? m0 : m1 !== 0 ? m1 : all;
    const d = new LazyOrder(this, list, m0, m1);
    rng.saveState(d);
    // Two cached groups: the whole list (every endpoint in one health group) and the last other one.
    d.first = list[this.firstIn(g === all ? this.whole : this.part, list, g, rng)].id;
    return d;
  }

  /** First pick (position in `list`) from the members of bitmask `g`, their prefix sums cached in `c`. */
  private firstIn(c: GroupSums, list: readonly Endpoint[], g: number, rng: Uniform): number {
    const s = c.s;
    if (list !== c.list || g !== c.mask) {
      s.reserve(list.length);
      let k = 0;
      for (let i = 0; i < list.length; i++)
        if ((g & (1 << i)) !== 0) {
          s.pos[k] = i;
          s.w[k++] = this.weight(list[i]);
        }
      c.k = s.prepareFirst(0, k);
      c.list = list;
      c.mask = g;
    }
    return s.drawFirst(c.k, rng);
  }

  /**
   * Computes a lazy decision's candidates up to index `k` at least (all of them for k = n − 1) and
   * returns them so far, replaying its groups and draws exactly as `orderIds` makes them. One pick
   * at a time is R24b's next round: `WeightedScratch.first` over the group's items not yet picked,
   * in canonical order (R24b's prefix sums after removals are the plain sums of what is left).
   */
  extend(d: LazyOrder, k: number): readonly number[] {
    const list = d.list;
    const n = list.length;
    const s = this.s;
    const rng = this.replayRng;
    rng.restoreState(d);
    let ids = d.ids;
    if (ids === null) {
      if (k >= n - 1 || this.cfg.fallbackOrder === "priceAsc") {
        // All at once (price-sorted fallback groups only this way; rare with lazy orders).
        s.reserve(4 * n);
        let c0 = 0;
        let c1 = 0;
        let c2 = 0;
        for (let i = 0; i < n; i++) {
          const bit = 1 << i;
          const slot = (d.m0 & bit) !== 0 ? c0++ : (d.m1 & bit) !== 0 ? n + c1++ : 2 * n + c2++;
          s.pos[slot] = i;
          s.w[slot] = this.weight(list[i]);
        }
        this.c0 = c0;
        this.c1 = c1;
        this.c2 = c2;
        ids = this.sampledIds(list, rng);
        d.left = 0;
      } else {
        ids = [];
        d.left = allBits(n);
      }
      d.ids = ids;
    }
    if (ids.length <= k) {
      while (ids.length <= k) {
        // The current group: normal, degraded, then down/unstable, whichever has items left.
        const left = d.left;
        const g = (d.m0 & left) !== 0 ? d.m0 & left : (d.m1 & left) !== 0 ? d.m1 & left : left;
        // The first pick again (its group's sums are likely still cached by `route`), then the rest.
        const c = ids.length > 0 ? this.stepSums : g === allBits(n) ? this.whole : this.part;
        const p = this.firstIn(c, list, g, rng);
        d.left = left & ~(1 << p);
        ids.push(list[p].id);
      }
      rng.saveState(d); // where the next pick's draws start
    }
    if (ids[0] !== d.first) throw new Error(`lazy order: replay starts with ${ids[0]}, not ${d.first}`);
    return ids;
  }

  /** Writes the order of `list` (positions into it) to `s.picked[0..n)`. */
  private orderPositions(
    list: readonly Endpoint[],
    view: EndpointView,
    rng: Uniform,
    why?: Record<string, unknown>,
  ): void {
    this.classify(list, view, why);
    this.sampleGroups(list, rng);
  }

  /** Samples the classified groups and returns the endpoint ids in order. */
  private sampledIds(list: readonly Endpoint[], rng: Uniform): number[] {
    const n = list.length;
    this.sampleGroups(list, rng);
    const picked = this.s.picked;
    const out = new Array<number>(n); // one exact-size allocation instead of growing by pushes
    for (let i = 0; i < n; i++) out[i] = list[picked[i]].id;
    return out;
  }

  /**
   * Health groups and weights of `list`: group c in slots [c·n, c·n + count) of `s` (positions in
   * `pos`, weights in `w`), counts in c0, c1, c2.
   */
  private classify(list: readonly Endpoint[], view: EndpointView, why?: Record<string, unknown>): void {
    const cfg = this.cfg;
    const n = list.length;
    const s = this.s;
    s.reserve(4 * n);
    const pos = s.pos;
    const ws = s.w;
    const v3 = cfg.lbMode === "v3";
    let best = 0;
    if (v3) {
      for (const e of list) {
        const t = statsOf(e, "throughput", view, cfg).p50;
        if (t !== undefined && t > best) best = t;
      }
    }
    const wmap: Record<string, number> | null = why ? {} : null;
    const since = outageSince(view, cfg);
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    for (let i = 0; i < n; i++) {
      const e = list[i];
      let cls = healthClassSince(e, view, cfg, since);
      let w: number;
      if (v3) {
        if (this.breaker(e, view) || this.capped(e, view)) cls = 2;
        w = this.share(e, this.v3Stats(e, view, best));
      } else w = this.weight(e);
      const slot = cls === 0 ? c0++ : cls === 1 ? n + c1++ : 2 * n + c2++;
      pos[slot] = i;
      ws[slot] = w;
      if (wmap) wmap[e.tag] = w;
    }
    if (why) {
      const tags = (from: number, c: number) => {
        const t: string[] = [];
        for (let i = from; i < from + c; i++) t.push(list[pos[i]].tag);
        return t;
      };
      why.groups = { normal: tags(0, c0), degraded: tags(n, c1), downOrUnstable: tags(2 * n, c2) };
      why.weights = wmap;
    }
    if (v3) {
      applyMinShare(ws, 0, c0, this.minShare);
      applyMinShare(ws, n, c1, this.minShare);
      applyMinShare(ws, 2 * n, c2, this.minShare);
    }
    this.c0 = c0;
    this.c1 = c1;
    this.c2 = c2;
  }

  /** Orders the classified groups into `s.picked[0..n)`: group 0, then 1, then 2. */
  private sampleGroups(list: readonly Endpoint[], rng: Uniform): void {
    const n = list.length;
    let at = this.first(list, this.c0, rng, 0);
    at = this.rest(list, n, this.c1, rng, at);
    this.rest(list, 2 * n, this.c2, rng, at);
  }

  /** The first group, honouring `lbCandidateTopK` (the K cheapest are sampled, the rest follow). */
  private first(list: readonly Endpoint[], c: number, rng: Uniform, at: number): number {
    const k = this.cfg.lbCandidateTopK;
    if (k === null || c <= k) return this.s.sample(0, c, rng, at);
    // Rare setting: split slots [0, c) into the K cheapest (canonical order) and the rest.
    const s = this.s;
    const n = list.length;
    const idx: number[] = [];
    for (let i = 0; i < c; i++) idx.push(i);
    idx.sort(
      (a, b) => weightingPrice(list[s.pos[a]], this.cfg) - weightingPrice(list[s.pos[b]], this.cfg) || a - b,
    );
    const top = new Set(idx.slice(0, k));
    const pos = Array.from(s.pos.subarray(0, c));
    const w = Array.from(s.w.subarray(0, c));
    let ci = 0;
    let co = 0;
    for (let i = 0; i < c; i++) {
      const slot = top.has(i) ? ci++ : 3 * n + co++;
      s.pos[slot] = pos[i];
      s.w[slot] = w[i];
    }
    at = s.sample(0, ci, rng, at);
    return this.rest(list, 3 * n, co, rng, at);
  }

  /** Groups after the first: weighted (default) or by ascending price (`fallbackOrder`). */
  private rest(list: readonly Endpoint[], from: number, c: number, rng: Uniform, at: number): number {
    if (c === 0) return at;
    const s = this.s;
    if (this.cfg.fallbackOrder === "priceAsc") {
      const x: { p: number; i: number; pos: number }[] = [];
      for (let i = 0; i < c; i++) {
        const q = s.pos[from + i];
        x.push({ p: weightingPrice(list[q], this.cfg), i, pos: q });
      }
      x.sort((a, b) => a.p - b.p || a.i - b.i);
      for (const y of x) s.picked[at++] = y.pos;
      return at;
    }
    return s.sample(from, c, rng, at);
  }

  private v3Stats(e: Endpoint, view: EndpointView, best: number): V3Stats {
    const cfg = this.cfg;
    const win = view.health.window(e.id, cfg.statsWindowMs);
    const n = win.successes + win.errors;
    const all = n + win.rateLimited;
    const up = uptimePercent(e, view, cfg);
    const t = statsOf(e, "throughput", view, cfg).p50;
    return {
      price: weightingPrice(e, cfg),
      uptime: up === null ? (n > 0 ? win.successes / n : null) : up / 100,
      throughput: t ?? null,
      bestThroughput: best > 0 ? best : null,
      rateLimitedShare: all > 0 ? win.rateLimited / all : 0,
    };
  }

  private capped(e: Endpoint, view: EndpointView): boolean {
    const cap = this.cap(e);
    if (cap === null) return false;
    const w = view.health.window(e.id, 60_000);
    return (w.successes + w.errors + w.rateLimited) / 60 > cap;
  }
}

/** Bits 0..n−1 set (n ≤ 32). */
function allBits(n: number): number {
  return n === 32 ? -1 : (1 << n) - 1;
}

/** One group's first-pick prefix sums (`WeightedScratch.prepareFirst`), valid for `list` and `mask`. */
class GroupSums {
  readonly s = new WeightedScratch();
  list: readonly Endpoint[] | null = null;
  mask = 0;
  k = 0;
}

/**
 * A load-balancing decision whose order past the first endpoint is computed only when needed: most
 * requests are served by their first attempt, and a fallback usually needs one or two more. It
 * keeps what the order depends on as of the decision: the survivors, their health groups (bit i of
 * m0/m1 = list[i] normal/degraded, else down or unstable; weights are static in v1/v2) and the
 * generator state (s0..s3: before the first draw, later where the next pick's draws start).
 * `candidateAt(k)` computes picks up to k, `candidates` all of them, replaying the draws, so the
 * order is exactly the eager one whatever the generator or the endpoints' health did since.
 */
export class LazyOrder implements RngState {
  declare readonly kind: "route"; // on the prototype: one field less in each decision
  /** Endpoint id of the first candidate. */
  first = -1;
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  /** Candidates computed so far, and bit i set = list[i] not picked yet (for `LoadBalancer.extend`). */
  ids: number[] | null = null;
  left = 0;

  constructor(
    private readonly lb: LoadBalancer,
    readonly list: readonly Endpoint[],
    readonly m0: number,
    readonly m1: number,
  ) {}

  candidateAt(k: number): number {
    if (k === 0) return this.first;
    if (k >= this.list.length) return -1;
    const ids = this.ids;
    return ids !== null && k < ids.length ? ids[k] : this.lb.extend(this, k)[k];
  }

  standings(visit: (endpointId: number, group: 0 | 1 | 2, weight: number) => void): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++)
      visit(list[i].id, (this.m0 >>> i) & 1 ? 0 : (this.m1 >>> i) & 1 ? 1 : 2, this.lb.weight(list[i]));
  }

  get candidates(): readonly number[] {
    const ids = this.ids;
    return ids !== null && ids.length === this.list.length ? ids : this.lb.extend(this, this.list.length - 1);
  }
}

Object.defineProperty(LazyOrder.prototype, "kind", { value: "route" });

/** Exploration (R27): no finite share falls below `minShare` of the group's total. */
function applyMinShare(w: Float64Array, from: number, n: number, minShare: number): void {
  if (minShare <= 0 || n < 2) return;
  let total = 0;
  for (let i = from; i < from + n; i++) total += w[i];
  if (!Number.isFinite(total)) return;
  const floor = minShare * total;
  for (let i = from; i < from + n; i++) if (w[i] < floor) w[i] = floor;
}
