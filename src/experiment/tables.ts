/**
 * Folding replication results into a comparison's saved tables (replications.csv, latency_cdf.csv,
 * timeline.csv, outages.csv; written by results/compare-folder.ts).
 */
import type { CdfRow, CompareData, MetricRow, OutageRow, TimelineRow } from "../results/compare-folder.js";
import { CDF_QUANTILES } from "./metrics.js";
import type { ReplicationResult } from "./replicate.js";

/** Timeline bucket for reports: about 150 points over the run, whole seconds. */
export function chartBucketS(endMs: number): number {
  return Math.max(1, Math.ceil(endMs / 1000 / 150));
}

/**
 * Folds replication results into the saved tables, one at a time and in job order (float sums,
 * such as the CDF's, depend on the order). It keeps the timelines summed at their own resolution,
 * not each replication's: a comparison's or a sweep's memory then does not grow with its number of
 * replications. Counts are integers, so summing first and re-bucketing at the end gives exactly
 * what re-bucketing each replication would.
 */
export class TablesFolder {
  private readonly rows: MetricRow[] = [];
  private endMs = 0;
  private bucketMs = 0;
  /** policy → series → counts per timeline bucket (of `bucketMs`), summed over replications. */
  private readonly counts = new Map<string, Map<string, number[]>>();
  private readonly cdfSum = new Map<string, number[]>();
  private readonly cdfN = new Map<string, number[]>();
  private readonly outages: OutageRow[] = [];

  add(r: ReplicationResult): void {
    const seenOutage = new Set<string>();
    for (const p of r.policies) {
      for (const [metric, value] of Object.entries(p.values))
        this.rows.push({ replication: r.replication, seed: r.seed, policy: p.policy, metric, value });
      const t = p.timeline;
      if (t.endMs > this.endMs) this.endMs = t.endMs;
      if (this.bucketMs === 0) this.bucketMs = t.bucketMs;
      else if (t.bucketMs !== this.bucketMs)
        throw new Error(
          `timeline buckets differ between replications (${t.bucketMs} vs ${this.bucketMs} ms)`,
        );
      const per = this.counts.get(p.policy) ?? new Map<string, number[]>();
      this.counts.set(p.policy, per);
      const add = (series: string, a: readonly number[]): void => {
        const acc = per.get(series) ?? [];
        per.set(series, acc);
        while (acc.length < a.length) acc.push(0);
        for (let i = 0; i < a.length; i++) acc[i] += a[i];
      };
      add("requests", t.requests);
      add("failed", t.failed);
      for (const [tag, a] of Object.entries(t.served)) add(`served:${tag}`, a);
      for (const [tag, a] of Object.entries(t.attempts)) add(`attempts:${tag}`, a);
      const s = this.cdfSum.get(p.policy) ?? CDF_QUANTILES.map(() => 0);
      const n = this.cdfN.get(p.policy) ?? CDF_QUANTILES.map(() => 0);
      p.latencyCdf.forEach((v, i) => {
        if (Number.isFinite(v)) {
          s[i] += v;
          n[i]++;
        }
      });
      this.cdfSum.set(p.policy, s);
      this.cdfN.set(p.policy, n);
      // Outage windows are the providers' (the same for every policy): keep one copy.
      for (const o of t.outages) {
        const k = `${o.endpoint}|${o.startMs}|${o.endMs}`;
        if (seenOutage.has(k)) continue;
        seenOutage.add(k);
        this.outages.push({
          replication: r.replication,
          endpoint: o.endpoint,
          source: o.source,
          startS: o.startMs / 1000,
          endS: o.endMs / 1000,
          status: o.status,
          errorRate: o.errorRate,
        });
      }
    }
  }

  /** The tables of everything added so far, the timeline in report buckets (see chartBucketS). */
  tables(): Omit<CompareData, "meta"> & { bucketS: number } {
    const bucketS = chartBucketS(this.endMs);
    const timeline: TimelineRow[] = [];
    for (const [policy, per] of this.counts)
      for (const [series, sum] of per) {
        const acc: number[] = [];
        // A plain loop: it runs over every second of every series, on the main thread.
        for (let i = 0; i < sum.length; i++) {
          const b = Math.floor((i * this.bucketMs) / 1000 / bucketS);
          while (acc.length <= b) acc.push(0);
          acc[b] += sum[i];
        }
        acc.forEach((count, b) => {
          if (count > 0 || series === "requests" || series === "failed")
            timeline.push({ policy, tS: b * bucketS, series, count });
        });
      }
    const cdf: CdfRow[] = [];
    for (const [policy, s] of this.cdfSum) {
      const n = this.cdfN.get(policy)!;
      CDF_QUANTILES.forEach((quantile, i) => {
        if (n[i] > 0) cdf.push({ policy, quantile, latencyMs: s[i] / n[i] });
      });
    }
    return { rows: [...this.rows], cdf, timeline, outages: [...this.outages], bucketS };
  }
}
