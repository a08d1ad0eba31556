/**
 * Performance figures and health classes an ordering step reads: advertised catalog stats or the
 * router's rolling observations (R7, R94), the 30-s outage rule (R93) and uptime tiers (R25, R90).
 */
import type { Endpoint, PercentileStats } from "../../types.js";
import type { EndpointView, HealthView } from "../types.js";
import { type OpenRouterConfig, outageWindowMs, type StatName } from "./config.js";

export type Metric = "throughput" | "latency";

/** The percentile stats of one metric per `statsSource` (undefined fields = no data). */
export function statsOf(
  e: Endpoint,
  metric: Metric,
  view: EndpointView,
  cfg: OpenRouterConfig,
): PercentileStats {
  const adv = metric === "throughput" ? e.advertised.throughput : e.advertised.latencyS;
  if (cfg.statsSource === "advertised" || !view.health.observedStats) return adv;
  const obs = view.health.observedStats(e.id, cfg.statsWindowMs);
  if (obs === null) return cfg.statsSource === "observed" ? {} : adv;
  return metric === "throughput" ? obs.throughput : obs.latencyS;
}

export function stat(
  e: Endpoint,
  metric: Metric,
  which: StatName,
  view: EndpointView,
  cfg: OpenRouterConfig,
) {
  return statsOf(e, metric, view, cfg)[which];
}

/** Health class for grouping: 0 normal & stable, 1 degraded & stable, 2 down or unstable. */
export type HealthClass = 0 | 1 | 2;

/** R93: at least `outageMinFailures` counted errors inside the outage window. */
export function isUnstable(e: Endpoint, view: EndpointView, cfg: OpenRouterConfig): boolean {
  return view.health.failuresSince(e.id, view.now - outageWindowMs(cfg)) >= cfg.outageMinFailures;
}

/** R25/R90: uptime in percent over the window (429/400/413 excluded), or null below minRequests. */
export function uptimePercent(e: Endpoint, view: EndpointView, cfg: OpenRouterConfig): number | null {
  const t = cfg.uptimeTiers;
  const w = view.health.window(e.id, t.windowMs);
  const n = w.successes + w.errors;
  if (n === 0 || n < t.minRequests) return null;
  return (100 * w.successes) / n;
}

export function healthClass(e: Endpoint, view: EndpointView, cfg: OpenRouterConfig): HealthClass {
  return healthClassSince(e, view, cfg, outageSince(view, cfg));
}

/** Start of the R93 outage window now (hoisted out of per-endpoint loops). */
export function outageSince(view: EndpointView, cfg: OpenRouterConfig): number {
  return view.now - outageWindowMs(cfg);
}

/** `healthClass` with the outage window start computed once by the caller (`outageSince`). */
export function healthClassSince(
  e: Endpoint,
  view: EndpointView,
  cfg: OpenRouterConfig,
  since: number,
): HealthClass {
  return healthClassOf(e.id, view.health, cfg, since);
}

/** `healthClassSince` by endpoint id, for per-request loops over many endpoints. */
export function healthClassOf(id: number, h: HealthView, cfg: OpenRouterConfig, since: number): HealthClass {
  // With the default threshold of one failure, "≥ 1 failure since t" is "latest failure ≥ t": one
  // read instead of walking every recent failure.
  const min = cfg.outageMinFailures;
  if (min === 1 ? h.lastFailureMs(id) >= since : h.failuresSince(id, since) >= min) return 2;
  return uptimeClassOf(id, h, cfg.uptimeTiers);
}

/** The class of an endpoint that is not unstable (R93): by its uptime tier (R25, R90). */
export function uptimeClassOf(id: number, h: HealthView, t: OpenRouterConfig["uptimeTiers"]): HealthClass {
  if (!t.enabled) return 0;
  // uptimePercent, inlined: null (too few requests) counts as normal.
  const w = h.window(id, t.windowMs);
  const n = w.successes + w.errors;
  if (n === 0 || n < t.minRequests) return 0;
  const up = (100 * w.successes) / n;
  if (up >= t.normalMin) return 0;
  return up >= t.downBelow ? 1 : 2;
}
