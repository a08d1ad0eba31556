/** The headline metrics of a comparison: names, units, and which direction is better. */

export type Unit = "fraction" | "usd" | "ms" | "ratio" | "score";

export interface MetricDef {
  key: string;
  label: string;
  unit: Unit;
  better: "higher" | "lower";
}

/**
 * In report order. Latency of successful requests leads: a policy failing half its requests with
 * fast 429s would otherwise look fastest (issue 25 item 4); the all-request figures follow, labelled.
 */
export const HEADLINE: readonly MetricDef[] = [
  { key: "successRate", label: "success rate", unit: "fraction", better: "higher" },
  { key: "goodput", label: "goodput: served within the SLO", unit: "fraction", better: "higher" },
  { key: "costPerSuccessUsd", label: "cost per success", unit: "usd", better: "lower" },
  { key: "costUsd", label: "total cost", unit: "usd", better: "lower" },
  { key: "wastedSpendUsd", label: "wasted spend", unit: "usd", better: "lower" },
  {
    key: "attemptsPerRequest",
    label: "load amplification: attempts per request",
    unit: "ratio",
    better: "lower",
  },
  { key: "fallbackRate", label: "requests needing a fallback", unit: "fraction", better: "lower" },
  { key: "servedLatencyP50Ms", label: "latency p50, successful requests", unit: "ms", better: "lower" },
  { key: "servedLatencyP90Ms", label: "latency p90, successful requests", unit: "ms", better: "lower" },
  { key: "servedLatencyP99Ms", label: "latency p99, successful requests", unit: "ms", better: "lower" },
  { key: "ttftP50Ms", label: "TTFT p50, successful requests", unit: "ms", better: "lower" },
  { key: "ttftP90Ms", label: "TTFT p90, successful requests", unit: "ms", better: "lower" },
  { key: "ttftP99Ms", label: "TTFT p99, successful requests", unit: "ms", better: "lower" },
  {
    key: "latencyP50Ms",
    label: "latency p50, all requests (failures included)",
    unit: "ms",
    better: "lower",
  },
  {
    key: "latencyP90Ms",
    label: "latency p90, all requests (failures included)",
    unit: "ms",
    better: "lower",
  },
  {
    key: "latencyP99Ms",
    label: "latency p99, all requests (failures included)",
    unit: "ms",
    better: "lower",
  },
  { key: "recoveryMs", label: "time to recover after an outage", unit: "ms", better: "lower" },
  { key: "qualityScore", label: "quality score", unit: "score", better: "higher" },
];

/** Metrics that count failed requests themselves: a "best" on any other needs a success caveat. */
export const COUNTS_FAILURES = new Set(["successRate", "goodput"]);

export function metricDef(key: string): MetricDef | undefined {
  return HEADLINE.find((m) => m.key === key);
}

/** Grouped per-replication values: prefix.name keys. Missing ones count as 0 (nothing happened). */
export const GROUPS = ["errors", "fallbackDepth", "providerShare", "modelShare"] as const;
