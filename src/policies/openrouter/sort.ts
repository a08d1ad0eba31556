/**
 * Sort mode (R28): deterministic, ties keep canonical order, endpoints without stats last (by
 * default). `exacto` is a quality-first ranker over per-endpoint `quality.exacto` fixtures (R23.3,
 * R38): endpoints with data first by score, the rest after by price; with R115's default
 * `exactoNoDataPosition: "afterGood"`, poor performers (score < `exactoPoorBelow`) go after those.
 */
import type { Endpoint } from "../../types.js";
import type { EndpointView } from "../types.js";
import type { OpenRouterConfig, SortBy } from "./config.js";
import { weightingPrice } from "./price.js";
import { isUnstable, stat } from "./stats.js";

/** The quality score the Exacto ranker uses, or undefined without data. */
export function exactoScore(e: Endpoint): number | undefined {
  return e.quality?.exacto;
}

export function sortKey(e: Endpoint, by: SortBy, view: EndpointView, cfg: OpenRouterConfig): number {
  if (by === "price") return weightingPrice(e, cfg);
  if (by === "exacto") {
    const q = exactoScore(e);
    // Bands of keys: good by score in [−1, 0]; no data by price in [2, 3); poor performers by score
    // in [3, 4] after them (R115 "afterGood"), or ranked with the good ones ("afterPoor").
    if (q === undefined) {
      const p = weightingPrice(e, cfg);
      return 2 + p / (1 + p);
    }
    return q < cfg.exactoPoorBelow && cfg.exactoNoDataPosition === "afterGood" ? 4 - q : -q;
  }
  const v = stat(e, by, cfg.sortStat, view, cfg);
  if (v === undefined)
    return cfg.missingStatsPosition === "last" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return by === "throughput" ? -v : v;
}

// Scratch for sortInto: health rank, key and position of each endpoint, reused across requests.
let sh = new Int8Array(64);
let sk = new Float64Array(64);
let si = new Int32Array(64);

/** Sorts `list` by `by` (stable) and appends to `out`. */
export function sortInto(
  list: readonly Endpoint[],
  by: SortBy,
  view: EndpointView,
  cfg: OpenRouterConfig,
  out: Endpoint[],
): void {
  const n = list.length;
  if (n === 1) {
    out.push(list[0]);
    return;
  }
  if (sk.length < n) {
    sh = new Int8Array(2 * n);
    sk = new Float64Array(2 * n);
    si = new Int32Array(2 * n);
  }
  const health = cfg.sortConsidersHealth;
  for (let i = 0; i < n; i++) {
    const e = list[i];
    const k = sortKey(e, by, view, cfg);
    // NaN keys make the comparator inconsistent; keep the library sort's exact behaviour then.
    if (k !== k) {
      const rank = (x: Endpoint) => (health && isUnstable(x, view, cfg) ? 1 : 0);
      for (const x of sortKeyed(list, rank, (x) => sortKey(x, by, view, cfg))) out.push(x);
      return;
    }
    sh[i] = health && isUnstable(e, view, cfg) ? 1 : 0;
    sk[i] = k;
    si[i] = i;
  }
  // Insertion sort on positions: the comparator is a strict total order (position breaks ties),
  // so any correct sort gives the same result; lists are short.
  for (let a = 1; a < n; a++) {
    const p = si[a];
    let b = a - 1;
    while (b >= 0 && after(si[b], p)) {
      si[b + 1] = si[b];
      b--;
    }
    si[b + 1] = p;
  }
  for (let i = 0; i < n; i++) out.push(list[si[i]]);
}

/** Does position x sort after position y (health rank, then key, then canonical position)? */
function after(x: number, y: number): boolean {
  if (sh[x] !== sh[y]) return sh[x] > sh[y];
  if (sk[x] !== sk[y]) return sk[x] > sk[y];
  return x > y;
}

/** The library sort over keyed objects: exact for any keys, NaN included. */
function sortKeyed(
  list: readonly Endpoint[],
  h: (e: Endpoint) => number,
  k: (e: Endpoint) => number,
): Endpoint[] {
  const keyed = list.map((e, i) => ({ e, i, h: h(e), k: k(e) }));
  keyed.sort((a, b) => a.h - b.h || cmp(a.k, b.k) || a.i - b.i);
  return keyed.map((x) => x.e);
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** R23.3: does any endpoint carry Exacto quality data? Without it Auto Exacto is plain LB. */
export function hasQualityData(list: readonly Endpoint[]): boolean {
  for (const e of list) if (exactoScore(e) !== undefined) return true;
  return false;
}
