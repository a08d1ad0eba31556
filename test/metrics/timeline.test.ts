import { describe, expect, it } from "vitest";
import { rawScenario } from "../../src/experiment/grid.js";
import { runReplication } from "../../src/experiment/replicate.js";
import { TimelineObserver } from "../../src/metrics/timeline.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import { ScheduledOutages } from "../../src/providers/outages.js";
import { Provider } from "../../src/scenario/schema.js";
import type { AttemptRecord, Outcome, RoutedRequest } from "../../src/types.js";

function shortFlagship(): unknown {
  const o = structuredClone(rawScenario("scenarios/flagship.yaml")) as Record<string, unknown>;
  const t = o.traffic as Record<string, unknown>;
  delete t.duration_s;
  t.requests = 2400; // 60 s at 40 requests/s
  const providers = o.providers as { outages?: unknown[] }[];
  providers[0].outages = [{ start_s: 10, duration_s: 10, status: 503 }];
  providers[1].outages = [{ start_s: 30, duration_s: 10, status: 502, error_rate: 0.4 }];
  o.policies = (o.policies as { name: string }[]).filter(
    (p) => p.name === "price-sort" || p.name === "pinned-groq",
  );
  return o;
}

describe("timeline observer", () => {
  const r = runReplication({
    source: { kind: "object", input: shortFlagship(), baseDir: process.cwd(), label: "short" },
    replication: 0,
    seed: 11,
  });

  it("accounts for every request in the time series", () => {
    for (const p of r.policies) {
      const t = p.timeline;
      const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
      expect(sum(t.requests)).toBe(r.requests);
      const served = Object.values(t.served).reduce((acc, a) => acc + sum(a), 0);
      expect(served + sum(t.failed)).toBe(r.requests);
      expect(served / r.requests).toBeCloseTo(p.values.successRate, 12);
      t.requests.forEach((n, b) => {
        const s = Object.values(t.served).reduce((acc, a) => acc + a[b], 0);
        expect(s + t.failed[b]).toBe(n);
      });
    }
  });

  it("every policy sees the same arrivals (common random numbers)", () => {
    // Series run to each policy's last event, so compare them up to the last arrival.
    const arrivals = (p: (typeof r.policies)[number]): number[] => {
      const a = [...p.timeline.requests];
      while (a.length && a[a.length - 1] === 0) a.pop();
      return a;
    };
    const [a, b] = r.policies;
    expect(arrivals(a).length).toBeGreaterThan(50);
    expect(arrivals(b)).toEqual(arrivals(a));
    expect(b.timeline.outages.map((o) => o.startMs)).toEqual(a.timeline.outages.map((o) => o.startMs));
  });

  it("records the outage windows and the time to recover after them", () => {
    const ps = r.policies.find((p) => p.policy === "price-sort")!;
    expect(ps.timeline.outages.map((o) => [o.endpoint, o.startMs, o.endMs, o.status])).toEqual([
      ["deepinfra", 10_000, 20_000, 503],
      ["lambda", 30_000, 40_000, 502],
    ]);
    // price-sort puts everything on deepinfra: no success there during its hard outage, and it
    // comes back after the window (how soon depends on the policy's outage avoidance).
    const rec = ps.timeline.recoveries.find((x) => x.endpoint === "deepinfra")!;
    expect(rec.recoverMs).not.toBeNull();
    expect(rec.recoverMs!).toBeGreaterThanOrEqual(0);
    expect(rec.recoverMs!).toBeLessThan(40_000);
    const during = ps.timeline.served.deepinfra.slice(10, 20).reduce((a, b) => a + b, 0);
    expect(during).toBe(0);
    expect(ps.values.recoveryMs).toBeCloseTo(
      ps.timeline.recoveries.filter((x) => x.recoverMs !== null).reduce((a, x) => a + x.recoverMs!, 0) /
        ps.timeline.recoveries.filter((x) => x.recoverMs !== null).length,
      9,
    );
    // pinned-groq never used deepinfra or lambda: no recovery to measure.
    expect(r.policies.find((p) => p.policy === "pinned-groq")!.timeline.recoveries).toEqual([]);
    // Groq is rate limited to 20 requests/s: pinned-groq sends ~40/s during incidents → over capacity.
    expect(
      r.policies.find((p) => p.policy === "pinned-groq")!.values["incidentUtilisation.groq"],
    ).toBeGreaterThan(1.5);
  });

  it("knowing which endpoints can have outages changes nothing but what it records", () => {
    const catalog = buildCatalog(
      ["a", "b"].map((name) => Provider.parse({ name, model: "m", price: { prompt: 1, completion: 1 } })),
    );
    const window = { start_s: 5, duration_s: 5, status: 503 as const, error_rate: 1, latency_multiplier: 1 };
    const sources = () => [[new ScheduledOutages([window], "a")], [new ScheduledOutages([], "b")]];
    const feed = (t: TimelineObserver) => {
      // Successes on both endpoints every 700 ms (out of start order, as completions come), none
      // on `a` during its window.
      for (let i = 0; i < 40; i++) {
        const e = catalog[i % 2];
        const startMs = 700 * (i ^ 1);
        if (e.tag === "a" && startMs >= 5000 && startMs < 10_000) continue;
        const a = { endpoint: e, startMs, status: 200 } as AttemptRecord;
        t.attempt(a);
        const o = { kind: "served", endpoint: e } as Outcome;
        t.outcome({ arrivalMs: startMs } as RoutedRequest, o, [a], { kind: "route", candidates: [] });
      }
      return t.finish(30_000, sources());
    };
    const told = feed(new TimelineObserver(catalog, 1000, sources()));
    const plain = feed(new TimelineObserver(catalog));
    expect(told).toEqual(plain);
    expect(told.recoveries).toEqual([{ endpoint: "a", endMs: 10_000, recoverMs: expect.any(Number) }]);
    expect(told.recoveries[0].recoverMs).toBeGreaterThanOrEqual(0);
  });
});

describe("the series ends with the run's last activity, not with the clock", () => {
  it("a queued attempt's timeout a day away does not stretch the perf model's timeline", () => {
    // The perf model queues some attempts, each with a 1-day timeout event that still fires (as a
    // no-op) after the attempt was served; the series must stop at the last request's end.
    const o = structuredClone(rawScenario("scenarios/bench/perf-model.yaml")) as Record<string, unknown>;
    (o.traffic as Record<string, unknown>).requests = 20_000; // about 143 s at 140 requests/s
    const rep = runReplication({
      source: { kind: "object", input: o, baseDir: process.cwd(), label: "perf" },
      replication: 0,
      seed: 3,
    });
    const t = rep.policies[0].timeline;
    expect(t.endMs).toBeGreaterThan(140_000);
    expect(t.endMs).toBeLessThan(160_000);
    expect(t.requests.length).toBe(Math.floor(t.endMs / t.bucketMs) + 1);
  });
});
