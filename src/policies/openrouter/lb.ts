/**
 * Default load balancing (R24 v2, R26 v1) and adaptive shares (R27 v3 plug-ins): endpoints grouped
 * normal-stable → degraded-stable → down/unstable (R25, R93), each group ordered by R24b weighted
 * sampling without replacement.
 */
import type { Endpoint } from "../../types.js";
import type { EndpointView } from "../types.js";
import { sampleWeighted, type Uniform } from "../weighted.js";
import type { OpenRouterConfig } from "./config.js";
import { weightingPrice } from "./price.js";
import { healthClass, statsOf, uptimePercent } from "./stats.js";

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
  // Scratch buffers reused across requests (the hot path allocates only the result).
  private readonly groups: Endpoint[][] = [[], [], []];
  private readonly weights: number[][] = [[], [], []];
  private readonly wCache: number[] = [];

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
  }

  /** Weight of one endpoint in v1/v2 (1/price^k; zero price → infinite, R24a); prices are static. */
  weight(e: Endpoint): number {
    const c = this.wCache[e.id];
    if (c !== undefined) return c;
    const p = weightingPrice(e, this.cfg);
    const w = p <= 0 ? Number.POSITIVE_INFINITY : this.power === 2 ? 1 / (p * p) : 1 / p;
    this.wCache[e.id] = w;
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
    if (list.length === 0) return;
    if (list.length === 1) {
      out.push(list[0]);
      return;
    }
    const cfg = this.cfg;
    const [g0, g1, g2] = this.groups;
    const [w0, w1, w2] = this.weights;
    g0.length = g1.length = g2.length = 0;
    w0.length = w1.length = w2.length = 0;
    const v3 = cfg.lbMode === "v3";
    let best = 0;
    if (v3) {
      for (const e of list) {
        const t = statsOf(e, "throughput", view, cfg).p50;
        if (t !== undefined && t > best) best = t;
      }
    }
    const wmap: Record<string, number> | null = why ? {} : null;
    for (const e of list) {
      let cls = healthClass(e, view, cfg);
      let w: number;
      if (v3) {
        if (this.breaker(e, view) || this.capped(e, view)) cls = 2;
        w = this.share(e, this.v3Stats(e, view, best));
      } else w = this.weight(e);
      (cls === 0 ? g0 : cls === 1 ? g1 : g2).push(e);
      (cls === 0 ? w0 : cls === 1 ? w1 : w2).push(w);
      if (wmap) wmap[e.tag] = w;
    }
    if (why) {
      why.groups = {
        normal: g0.map((e) => e.tag),
        degraded: g1.map((e) => e.tag),
        downOrUnstable: g2.map((e) => e.tag),
      };
      why.weights = wmap;
    }
    if (v3) {
      for (const w of [w0, w1, w2]) applyMinShare(w, this.minShare);
    }
    this.first(g0, w0, rng, out);
    this.rest(g1, w1, rng, out);
    this.rest(g2, w2, rng, out);
  }

  /** The first group, honouring `lbCandidateTopK` (the K cheapest are sampled, the rest follow). */
  private first(g: Endpoint[], w: number[], rng: Uniform, out: Endpoint[]): void {
    const k = this.cfg.lbCandidateTopK;
    if (k === null || g.length <= k) {
      sampleWeighted(g, w, rng, out);
      return;
    }
    const idx = g
      .map((_, i) => i)
      .sort((a, b) => weightingPrice(g[a], this.cfg) - weightingPrice(g[b], this.cfg) || a - b);
    const top = new Set(idx.slice(0, k));
    const gi: Endpoint[] = [];
    const wi: number[] = [];
    const go: Endpoint[] = [];
    const wo: number[] = [];
    g.forEach((e, i) => {
      (top.has(i) ? gi : go).push(e);
      (top.has(i) ? wi : wo).push(w[i]);
    });
    sampleWeighted(gi, wi, rng, out);
    this.rest(go, wo, rng, out);
  }

  /** Groups after the first: weighted (default) or by ascending price (`fallbackOrder`). */
  private rest(g: Endpoint[], w: number[], rng: Uniform, out: Endpoint[]): void {
    if (g.length === 0) return;
    if (this.cfg.fallbackOrder === "priceAsc") {
      const s = g
        .map((e, i) => ({ e, i, p: weightingPrice(e, this.cfg) }))
        .sort((a, b) => a.p - b.p || a.i - b.i);
      for (const x of s) out.push(x.e);
    } else sampleWeighted(g, w, rng, out);
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

/** Exploration (R27): no finite share falls below `minShare` of the group's total. */
function applyMinShare(w: number[], minShare: number): void {
  if (minShare <= 0 || w.length < 2) return;
  let total = 0;
  for (const x of w) total += x;
  if (!Number.isFinite(total)) return;
  const floor = minShare * total;
  for (let i = 0; i < w.length; i++) if (w[i] < floor) w[i] = floor;
}
