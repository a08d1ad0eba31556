import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CDF_QUANTILES } from "../../src/experiment/metrics.js";
import type { ReplicationResult } from "../../src/experiment/replicate.js";
import { chartBucketS, TablesFolder } from "../../src/experiment/tables.js";
import type { TimelineRow } from "../../src/results/compare-folder.js";

/** The timeline table as it was made before folding: every replication re-bucketed on its own. */
function timelineOneByOne(results: readonly ReplicationResult[]): TimelineRow[] {
  const endMs = Math.max(0, ...results.flatMap((r) => r.policies.map((p) => p.timeline.endMs)));
  const bucketS = chartBucketS(endMs);
  const counts = new Map<string, Map<string, number[]>>();
  for (const r of results)
    for (const p of r.policies) {
      const t = p.timeline;
      const per = counts.get(p.policy) ?? new Map<string, number[]>();
      counts.set(p.policy, per);
      const add = (series: string, a: readonly number[]): void => {
        const acc = per.get(series) ?? [];
        per.set(series, acc);
        for (let i = 0; i < a.length; i++) {
          const b = Math.floor((i * t.bucketMs) / 1000 / bucketS);
          while (acc.length <= b) acc.push(0);
          acc[b] += a[i];
        }
      };
      add("requests", t.requests);
      add("failed", t.failed);
      for (const [tag, a] of Object.entries(t.served)) add(`served:${tag}`, a);
      for (const [tag, a] of Object.entries(t.attempts)) add(`attempts:${tag}`, a);
    }
  const rows: TimelineRow[] = [];
  for (const [policy, per] of counts)
    for (const [series, acc] of per)
      acc.forEach((count, b) => {
        if (count > 0 || series === "requests" || series === "failed")
          rows.push({ policy, tS: b * bucketS, series, count });
      });
  return rows;
}

const series = (n: number) => fc.array(fc.nat(40), { minLength: n, maxLength: n });

/** A replication result with random per-second counts over a random run length. */
const result = (replication: number) =>
  fc
    .record({ seconds: fc.integer({ min: 0, max: 900 }), extraMs: fc.integer({ min: 0, max: 999 }) })
    .chain(({ seconds, extraMs }) =>
      fc.record({
        counts: fc.array(series(seconds + 1), { minLength: 6, maxLength: 6 }),
        cdf: fc.array(fc.oneof(fc.double({ min: 1, max: 1e5, noNaN: true }), fc.constant(Number.NaN)), {
          minLength: CDF_QUANTILES.length,
          maxLength: CDF_QUANTILES.length,
        }),
        endMs: fc.constant(seconds * 1000 + extraMs),
      }),
    )
    .map(
      ({ counts: [requests, failed, sa, sb, aa, ab], cdf, endMs }): ReplicationResult => ({
        replication,
        seed: replication + 1,
        requests: requests.reduce((x, y) => x + y, 0),
        warnings: [],
        policies: [
          {
            policy: "p",
            values: { success_rate: replication / 10 },
            latencyCdf: cdf,
            timeline: {
              bucketMs: 1000,
              endMs,
              requests,
              failed,
              served: { a: sa, b: sb },
              attempts: { a: aa, b: ab },
              outages: [],
              recoveries: [],
            },
          },
        ],
      }),
    );

describe("TablesFolder", () => {
  it("summing the replications' timelines first gives the table of re-bucketing each replication", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_v, i) => result(i)))),
        (results) => {
          const folder = new TablesFolder();
          for (const r of results) folder.add(r);
          const tables = folder.tables();
          expect(tables.timeline).toEqual(timelineOneByOne(results));
          // The CDF: each quantile's mean over the replications that have it, summed in job order.
          const cdf = CDF_QUANTILES.flatMap((quantile, i) => {
            let sum = 0;
            let n = 0;
            for (const r of results) {
              const v = r.policies[0].latencyCdf[i];
              if (Number.isFinite(v)) {
                sum += v;
                n++;
              }
            }
            return n > 0 ? [{ policy: "p", quantile, latencyMs: sum / n }] : [];
          });
          expect(tables.cdf).toEqual(cdf);
          expect(tables.rows.map((r) => r.replication)).toEqual(results.map((r) => r.replication));
        },
      ),
      { seed: 20261126, numRuns: 60 },
    );
  });

  it("refuses replications with different timeline buckets (a harness bug, not input)", () => {
    const [a] = fc.sample(result(0), { seed: 1, numRuns: 1 });
    const b = structuredClone(a);
    b.policies[0].timeline.bucketMs = 500;
    const folder = new TablesFolder();
    folder.add(a);
    expect(() => folder.add(b)).toThrow(/timeline buckets differ/);
  });
});
