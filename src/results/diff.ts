/**
 * Golden regression: metric changes between two compare results, with CIs (paired by replication
 * when both used the same seeds, Welch otherwise), and a verdict per checked metric: a regression
 * is a change in the bad direction larger than the tolerance (absolute in the metric's unit, or
 * relative to the old mean when given as "5%").
 */
import { InputError } from "../scenario/errors.js";
import { pairedDiff, type Stat, welchDiff } from "../stats/ci.js";
import type { CompareData } from "./compare-folder.js";
import { type CompareSummary, summarize, valueTable } from "./compare-summary.js";
import { HEADLINE, type MetricDef, metricDef } from "./headline.js";

export interface Tolerance {
  value: number;
  relative: boolean;
}

export interface Check {
  metric: string;
  tolerance: Tolerance;
}

export interface MetricChange {
  policy: string;
  metric: MetricDef;
  old: Stat;
  new: Stat;
  change: Stat;
  paired: boolean;
  /** Set for checked metrics. */
  regression: boolean | null;
  tolerance: Tolerance | null;
}

export function parseTolerance(v: string): Tolerance {
  const m = /^(\d+(?:\.\d+)?(?:e-?\d+)?)(%?)$/.exec(v.trim());
  if (!m)
    throw new InputError("<command line>", [
      { path: "--tolerance", message: `expected a number or a percentage, got "${v}"` },
    ]);
  return m[2] ? { value: Number(m[1]) / 100, relative: true } : { value: Number(m[1]), relative: false };
}

/** Pairs --metric and --tolerance flags: one tolerance applies to all metrics, else one each. */
export function parseChecks(metrics: readonly string[], tolerances: readonly string[]): Check[] {
  const ms = metrics.length ? metrics : ["successRate"];
  for (const m of ms)
    if (!metricDef(m))
      throw new InputError("<command line>", [
        {
          path: "--metric",
          message: `unknown metric "${m}" (one of ${HEADLINE.map((h) => h.key).join(", ")})`,
        },
      ]);
  if (tolerances.length > 1 && tolerances.length !== ms.length)
    throw new InputError("<command line>", [
      { path: "--tolerance", message: "give one tolerance, or one per --metric" },
    ]);
  const tols = tolerances.map(parseTolerance);
  return ms.map((metric, i) => ({
    metric,
    tolerance: tols[tols.length > 1 ? i : 0] ?? { value: 0, relative: false },
  }));
}

export function isRegression(def: MetricDef, old: number, now: number, tol: Tolerance): boolean {
  const allowed = tol.relative ? tol.value * Math.abs(old) : tol.value;
  const worse = def.better === "higher" ? old - now : now - old;
  return worse > allowed + 1e-12 * Math.max(1, Math.abs(old));
}

export function diffResults(
  a: CompareData,
  b: CompareData,
  checks: readonly Check[],
): { changes: MetricChange[]; onlyIn: string[] } {
  const sa: CompareSummary = summarize(a);
  const sb: CompareSummary = summarize(b);
  const ta = valueTable(a);
  const tb = valueTable(b);
  // Batches of single runs pair when they cut the same requests alike (see experiment/batch-means.ts).
  const batching = (m: CompareData["meta"]) =>
    m.batchMeans ? `${m.batchMeans.batches}/${m.batchMeans.requests}/${m.scenarioHash}` : "";
  const paired =
    JSON.stringify(a.meta.seeds) === JSON.stringify(b.meta.seeds) && batching(a.meta) === batching(b.meta);
  const common = a.meta.policies.filter((p) => b.meta.policies.includes(p));
  const onlyIn = [...a.meta.policies, ...b.meta.policies].filter((p) => !common.includes(p));
  const changes: MetricChange[] = [];
  for (const policy of common) {
    const pa = sa.policies.find((p) => p.name === policy)!;
    const pb = sb.policies.find((p) => p.name === policy)!;
    for (const def of HEADLINE) {
      const va = ta.get(policy)?.get(def.key) ?? [];
      const vb = tb.get(policy)?.get(def.key) ?? [];
      const old = pa.metrics[def.key];
      const now = pb.metrics[def.key];
      if (old.mean === null && now.mean === null) continue;
      const check = checks.find((c) => c.metric === def.key) ?? null;
      const change = paired ? pairedDiff(va, vb, a.meta.confidence) : welchDiff(va, vb, a.meta.confidence);
      let regression: boolean | null = null;
      if (check) {
        // A metric that disappeared (e.g. no successes left to cost) counts as a regression.
        regression =
          old.mean !== null && (now.mean === null || isRegression(def, old.mean, now.mean, check.tolerance));
      }
      changes.push({
        policy,
        metric: def,
        old,
        new: now,
        change,
        paired,
        regression,
        tolerance: check?.tolerance ?? null,
      });
    }
  }
  return { changes, onlyIn };
}
