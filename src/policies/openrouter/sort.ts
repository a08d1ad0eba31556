/**
 * Sort mode (R28): deterministic, ties keep canonical order, endpoints without stats last (by
 * default). `exacto` is a quality-first ranker over per-endpoint `quality.exacto` fixtures (R23.3,
 * R38): endpoints with data first by score, the rest after by price.
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
    // Scored endpoints (−score ≤ 0) before unscored ones, which follow by price (≥ 1 above).
    return q === undefined ? 1 + weightingPrice(e, cfg) : -q;
  }
  const v = stat(e, by, cfg.sortStat, view, cfg);
  if (v === undefined)
    return cfg.missingStatsPosition === "last" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return by === "throughput" ? -v : v;
}

/** Sorts `list` by `by` (stable) and appends to `out`. */
export function sortInto(
  list: readonly Endpoint[],
  by: SortBy,
  view: EndpointView,
  cfg: OpenRouterConfig,
  out: Endpoint[],
): void {
  if (list.length === 1) {
    out.push(list[0]);
    return;
  }
  const keyed = list.map((e, i) => ({
    e,
    i,
    h: cfg.sortConsidersHealth && isUnstable(e, view, cfg) ? 1 : 0,
    k: sortKey(e, by, view, cfg),
  }));
  keyed.sort((a, b) => a.h - b.h || cmp(a.k, b.k) || a.i - b.i);
  for (const x of keyed) out.push(x.e);
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** R23.3: does any endpoint carry Exacto quality data? Without it Auto Exacto is plain LB. */
export function hasQualityData(list: readonly Endpoint[]): boolean {
  for (const e of list) if (exactoScore(e) !== undefined) return true;
  return false;
}
