/**
 * From per-replication values to the comparison's statistics: a t-interval for every metric of
 * every policy, paired differences against the baseline, the winner per headline metric (and
 * whether the replications can tell it from the runner-up), and replications needed where an
 * interval is too wide. This is summary.json (schemaVersion 2, docs/results-schema.md).
 */

import { numericOrder } from "../metrics/order.js";
import {
  excludesZero,
  halfWidth,
  meanCI,
  pairedDiff,
  pairedRelDiff,
  replicationsNeeded,
  type Stat,
} from "../stats/ci.js";
import { COMPARE_SCHEMA_VERSION, type CompareData } from "./compare-folder.js";
import { GROUPS, HEADLINE } from "./headline.js";

export interface PolicyStats {
  name: string;
  /** Headline metrics (HEADLINE keys). */
  metrics: Record<string, Stat>;
  /** Failed requests by final status, as a fraction of requests. */
  errors: Record<string, Stat>;
  /** Fraction of requests served after k fallbacks ("0" = first try), or failed ("failed"). */
  fallbackDepth: Record<string, Stat>;
  /** Fraction of served requests per endpoint tag / per model. */
  providerShare: Record<string, Stat>;
  modelShare: Record<string, Stat>;
  /** Attempts/s each endpoint received while an outage window was open, and that over capacity. */
  incidentAttemptRate: Record<string, Stat>;
  incidentUtilisation: Record<string, Stat>;
  capacityPerS: Record<string, Stat>;
  /** Why traffic went where (experiment/why.ts), per endpoint label; absent in older folders. */
  why?: WhyStats;
}

export interface WhyStats {
  /** Fraction of requests whose first attempt went to the endpoint. */
  first: Record<string, Stat>;
  /** Attempts after a failure sent to the endpoint, per request. */
  retried: Record<string, Stat>;
  /** Fraction of requests for the endpoint's model whose decision left it out. */
  leftOut: Record<string, Stat>;
  /** Fraction of decisions ranking it that put it in a lower health group. */
  deprioritised: Record<string, Stat>;
  /** Mean share of the load-balancing weight among the endpoints a decision ranked (all healthy). */
  weightShare: Record<string, Stat>;
  rejected: Stat;
}

export interface Difference {
  policy: string;
  baseline: string;
  /** policy − baseline, absolute and relative to the baseline, paired by replication. */
  metrics: Record<string, { absolute: Stat; relative: Stat }>;
}

export interface Winner {
  metric: string;
  best: string | null;
  runnerUp: string | null;
  /** best − runner-up, paired; `clear` when its interval excludes zero. */
  margin: Stat | null;
  clear: boolean;
}

export interface Precision {
  policy: string;
  metric: string;
  relHalfWidth: number;
  replicationsNeeded: number | null;
}

export interface CompareSummary {
  schemaVersion: number;
  kind: "compare";
  scenario: string;
  seed: number;
  seeds: number[];
  replications: number;
  requests: number;
  confidence: number;
  baseline: string;
  policies: PolicyStats[];
  differences: Difference[];
  winners: Winner[];
  precision: Precision[];
  point?: Record<string, string | number | boolean>;
}

/** values[policy][metric] = value per replication index (NaN where missing). */
export type ValueTable = Map<string, Map<string, number[]>>;

export function valueTable(d: CompareData): ValueTable {
  const reps = d.meta.replications;
  const t: ValueTable = new Map(d.meta.policies.map((p) => [p, new Map<string, number[]>()]));
  const metrics = new Set(d.rows.map((r) => r.metric));
  for (const p of d.meta.policies)
    for (const m of metrics) {
      const group = m.includes(".") ? m.slice(0, m.indexOf(".")) : "";
      const fill = (GROUPS as readonly string[]).includes(group) ? 0 : Number.NaN;
      t.get(p)!.set(m, new Array(reps).fill(fill));
    }
  for (const r of d.rows) {
    const per = t.get(r.policy);
    if (!per || !(r.replication >= 0 && r.replication < reps)) continue;
    per.get(r.metric)![r.replication] = r.value;
  }
  return t;
}

function group(per: Map<string, number[]>, prefix: string, conf: number): Record<string, Stat> {
  const out: Record<string, Stat> = {};
  // All share the prefix, so sorting what follows it is the same order (and usually needs no ICU).
  const head = `${prefix}.`;
  const named = [...per]
    .filter(([k]) => k.startsWith(head))
    .map(([k, values]) => [k.slice(head.length), values] as const)
    .sort((a, b) => numericOrder(a[0], b[0]));
  for (const [name, values] of named) out[name] = meanCI(values, conf);
  return out;
}

export function summarize(d: CompareData): CompareSummary {
  const m = d.meta;
  const conf = m.confidence;
  const table = valueTable(d);
  const values = (p: string, k: string): number[] =>
    table.get(p)?.get(k) ?? new Array(m.replications).fill(Number.NaN);
  const policies: PolicyStats[] = m.policies.map((name) => {
    const per = table.get(name)!;
    const metrics: Record<string, Stat> = {};
    for (const h of HEADLINE) metrics[h.key] = meanCI(values(name, h.key), conf);
    const g = (prefix: string): Record<string, Stat> => group(per, prefix, conf);
    return {
      name,
      metrics,
      errors: g("errors"),
      fallbackDepth: g("fallbackDepth"),
      providerShare: g("providerShare"),
      modelShare: g("modelShare"),
      incidentAttemptRate: g("incidentAttemptRate"),
      incidentUtilisation: g("incidentUtilisation"),
      capacityPerS: g("capacityPerS"),
      ...(per.has("why.rejected")
        ? {
            why: {
              first: g("why.first"),
              retried: g("why.retried"),
              leftOut: g("why.leftOut"),
              deprioritised: g("why.deprioritised"),
              weightShare: g("why.weightShare"),
              rejected: meanCI(values(name, "why.rejected"), conf),
            },
          }
        : {}),
    };
  });
  const differences: Difference[] = m.policies
    .filter((p) => p !== m.baseline)
    .map((policy) => {
      const metrics: Difference["metrics"] = {};
      for (const h of HEADLINE) {
        const a = values(m.baseline, h.key);
        const b = values(policy, h.key);
        metrics[h.key] = { absolute: pairedDiff(a, b, conf), relative: pairedRelDiff(a, b, conf) };
      }
      return { policy, baseline: m.baseline, metrics };
    });
  const winners: Winner[] = HEADLINE.map((h) => {
    const ranked = policies
      .filter((p) => p.metrics[h.key].mean !== null)
      .sort((a, b) => {
        const d = (a.metrics[h.key].mean as number) - (b.metrics[h.key].mean as number);
        return h.better === "higher" ? -d : d;
      });
    const best = ranked[0]?.name ?? null;
    const runnerUp = ranked[1]?.name ?? null;
    const margin = best && runnerUp ? pairedDiff(values(runnerUp, h.key), values(best, h.key), conf) : null;
    return { metric: h.key, best, runnerUp, margin, clear: margin !== null && excludesZero(margin) };
  });
  const precision: Precision[] = [];
  for (const p of policies)
    for (const h of HEADLINE) {
      const s = p.metrics[h.key];
      const hw = halfWidth(s);
      if (hw === null || s.mean === null || s.mean === 0) continue;
      const rel = hw / Math.abs(s.mean);
      if (rel > m.targetRelHalfWidth)
        precision.push({
          policy: p.name,
          metric: h.key,
          relHalfWidth: rel,
          replicationsNeeded: replicationsNeeded(s.sd, m.targetRelHalfWidth * Math.abs(s.mean), conf),
        });
    }
  const out: CompareSummary = {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    kind: "compare",
    scenario: m.scenario,
    seed: m.seed,
    seeds: m.seeds,
    replications: m.replications,
    requests: m.requests,
    confidence: conf,
    baseline: m.baseline,
    policies,
    differences,
    winners,
    precision,
  };
  if (m.point) out.point = m.point;
  return out;
}
