/**
 * Soft performance preferences (R31): endpoints meeting every given `preferred_min_throughput` /
 * `preferred_max_latency` cutoff go first, the rest follow in their relative order; nothing is
 * removed. A number is a p50 cutoff; latency in seconds; null stats do not meet.
 */
import type { Endpoint, Percentiles, ProviderPrefs } from "../../types.js";
import type { EndpointView } from "../types.js";
import type { OpenRouterConfig, StatName } from "./config.js";
import { type Metric, statsOf } from "./stats.js";

const STATS: readonly StatName[] = ["p50", "p75", "p90", "p99"];

function cutoffs(v: number | Percentiles | undefined): Percentiles | null {
  if (v === undefined) return null;
  return typeof v === "number" ? { p50: v } : v;
}

export function meetsPreferences(
  e: Endpoint,
  prefs: ProviderPrefs,
  view: EndpointView,
  cfg: OpenRouterConfig,
): boolean {
  return (
    meets(e, "throughput", cutoffs(prefs.preferred_min_throughput), view, cfg) &&
    meets(e, "latency", cutoffs(prefs.preferred_max_latency), view, cfg)
  );
}

/** Throughput must reach each cutoff, latency stay at or under it; missing stats fail. */
function meets(
  e: Endpoint,
  metric: Metric,
  cut: Percentiles | null,
  view: EndpointView,
  cfg: OpenRouterConfig,
): boolean {
  if (cut === null) return true;
  const s = statsOf(e, metric, view, cfg);
  for (const k of STATS) {
    const c = cut[k];
    if (c === undefined) continue;
    const v = s[k];
    if (v === undefined || (metric === "throughput" ? v < c : v > c)) return false;
  }
  return true;
}

/** Stable partition: preferred endpoints first. */
export function preferredFirst(
  list: readonly Endpoint[],
  prefs: ProviderPrefs,
  view: EndpointView,
  cfg: OpenRouterConfig,
): Endpoint[] {
  const yes: Endpoint[] = [];
  const no: Endpoint[] = [];
  for (const e of list) (meetsPreferences(e, prefs, view, cfg) ? yes : no).push(e);
  return yes.length === 0 || no.length === 0 ? list.slice() : [...yes, ...no];
}
