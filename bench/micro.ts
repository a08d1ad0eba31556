/**
 * Micro-benchmarks (tinybench): the kernel's heap, random streams (ours against seedrandom's
 * generators), distribution samplers, policy selection over 20 endpoints and CSV row writing.
 */
import { devNull } from "node:os";
import { join } from "node:path";
import seedrandom from "seedrandom";
import { Bench } from "tinybench";
import { PolicyMetrics } from "../src/metrics/collector.js";
import { CsvWriter } from "../src/metrics/csv.js";
import { ExactSum, QuantileSketch } from "../src/metrics/sketch.js";
import { buildPolicy } from "../src/policies/registry.js";
import { buildCatalog } from "../src/providers/catalog.js";
import { compileDist } from "../src/rng/distributions.js";
import { hashKey, Rng } from "../src/rng/rng.js";
import { HealthTracker } from "../src/router/health.js";
import { loadScenario } from "../src/scenario/load.js";
import { Simulator } from "../src/sim/kernel.js";
import type { AttemptRecord, RoutedRequest } from "../src/types.js";

export interface MicroRow {
  group: string;
  name: string;
  opsPerSec: number;
  nsPerOp: number;
  /** Relative margin of error of the mean, in percent. */
  rmePct: number;
  samples: number;
}

let sink = 0;
const BATCH = 1000;

interface Batch {
  add(name: string, op: () => void, batch?: number): void;
  done(fn: () => void): void;
}

export async function microBenchmarks(root: string, timeMs: number): Promise<MicroRow[]> {
  const rows: MicroRow[] = [];
  // Each task runs its operation BATCH times per sample: nanosecond operations timed one by one
  // would measure the timer, and millions of samples make tinybench's statistics slow.
  const run = async (group: string, add: (b: Batch) => void): Promise<void> => {
    const b = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs / 2) });
    const batches = new Map<string, number>();
    add({
      add(name, op, batch = BATCH) {
        batches.set(name, batch);
        b.add(name, () => {
          for (let k = 0; k < batch; k++) op();
        });
      },
      done(fn) {
        b.addEventListener("complete", fn);
      },
    });
    await b.run();
    for (const t of b.tasks) {
      const r = t.result;
      if (!r || r.error) throw new Error(`benchmark ${t.name} failed: ${r?.error?.message ?? "no result"}`);
      const batch = batches.get(t.name) ?? 1;
      rows.push({
        group,
        name: t.name,
        opsPerSec: 1e9 / ((r.latency.mean * 1e6) / batch),
        nsPerOp: (r.latency.mean * 1e6) / batch,
        rmePct: r.latency.rme,
        samples: r.latency.samples.length,
      });
    }
  };

  // Heap: steady state with 1,000 pending events (push one, pop one).
  await run("kernel heap (1,000 pending)", (b) => {
    const sim = new Simulator(2048);
    const h = sim.handler(() => {});
    const rng = new Rng(1, "heap");
    for (let i = 0; i < 1000; i++) sim.schedule(rng.next() * 1000, h);
    b.add("schedule + pop", () => {
      sim.schedule(sim.now + rng.next() * 1000, h);
      sim.step();
    });
  });

  // Random streams: one uniform draw each.
  await run("RNG: one uniform draw", (b) => {
    const ours = new Rng(1, "bench");
    const xor128 = seedrandom.xor128("bench");
    const xorshift7 = seedrandom.xorshift7("bench");
    const alea = seedrandom.alea("bench");
    const arc4 = seedrandom("bench");
    b.add("routesim Rng (xoshiro128**) next()", () => {
      sink += ours.next();
    });
    b.add("seedrandom xor128", () => {
      sink += xor128();
    });
    b.add("seedrandom xorshift7", () => {
      sink += xorshift7();
    });
    b.add("seedrandom alea", () => {
      sink += alea();
    });
    b.add("seedrandom arc4 (default)", () => {
      sink += arc4();
    });
    b.add("Math.random (unseeded, reference only)", () => {
      sink += Math.random();
    });
    const key = hashKey([1, "latency", "p1"]);
    let i = 0;
    b.add("routesim Rng reseed(key, request, try, phase)", () => {
      ours.reseed(key, i++, 0, 2);
      sink += ours.next();
    });
  });

  await run("distribution samplers: one draw", (b) => {
    const rng = new Rng(1, "dists");
    const dists: [string, Parameters<typeof compileDist>[0]][] = [
      ["constant", 5],
      ["uniform", { dist: "uniform", min: 1, max: 2 }],
      ["exponential", { dist: "exponential", mean: 7 }],
      ["normal (cv 0.15)", { dist: "normal", mean: 60, cv: 0.15 }],
      ["lognormal (sigma 0.5)", { dist: "lognormal", median: 500, sigma: 0.5 }],
      ["gamma (cv 2)", { dist: "gamma", mean: 10, cv: 2 }],
      ["empirical (100 values)", { dist: "empirical", values: Array.from({ length: 100 }, (_, k) => k) }],
      [
        "empirical (quantiles)",
        {
          dist: "empirical",
          quantiles: [
            [0, 1],
            [0.5, 10],
            [0.9, 50],
            [1, 200],
          ],
        },
      ],
    ];
    for (const [name, spec] of dists) {
      const s = compileDist(spec);
      b.add(name, () => {
        sink += s.sample(rng);
      });
    }
  });

  // Policy selection over the 20 endpoints of scenarios/bench/openrouter-20.yaml.
  await run("policy selection, 20 endpoints", (b) => {
    const loaded = loadScenario(join(root, "scenarios/bench/openrouter-20.yaml"));
    const s = loaded.scenario;
    const catalog = buildCatalog(s.providers);
    const sim = new Simulator();
    const health = new HealthTracker(catalog.length, () => sim.now);
    const view = {
      now: 0,
      catalog,
      endpointsOf: (m: string) => catalog.filter((e) => e.model === m),
      health,
    };
    const byModel = catalog.filter((e) => e.model === s.providers[0].model);
    view.endpointsOf = () => byModel;
    const model = s.providers[0].model;
    // `full`: read the whole candidate order (what a decision log or a fallback to the last
    // endpoint needs); otherwise only the first candidate, which is all most requests use (the
    // default load balancing draws the rest lazily, on a fallback).
    const specs = [
      { label: "openrouter default (price-weighted LB), first candidate", request: { model }, full: false },
      { label: "openrouter default (price-weighted LB), full order", request: { model }, full: true },
      {
        label: "openrouter provider.sort = price",
        request: { model, provider: { sort: "price" as const } },
        full: true,
      },
      { label: "random (uniform)", request: {}, kind: "random", full: true },
    ];
    const rng = new Rng(1, "policy");
    for (const sp of specs) {
      const spec = { ...s.policies[0], name: sp.label, kind: sp.kind ?? "openrouter", request: sp.request };
      const built = buildPolicy(spec, {
        catalog,
        scenario: s,
        baseDir: root,
        file: "bench",
        path: "policies[0]",
      });
      const req: RoutedRequest = {
        id: 1,
        arrivalMs: 0,
        promptTokens: 1000,
        completionTokens: 250,
        model,
        body: { ...sp.request, model },
      };
      let i = 0;
      const key = hashKey([1, "policy"]);
      b.add(
        sp.label,
        () => {
          rng.reseed(key, i++);
          const d = built.policy.route(req, view, rng);
          if (d.kind === "route")
            sink += sp.full ? d.candidates.length : (d.candidateAt?.(0) ?? d.candidates[0]);
        },
        20,
      );
    }
  });

  await run("metrics and output", (b) => {
    const catalog = buildCatalog(loadScenario(join(root, "scenarios/flagship.yaml")).scenario.providers);
    const csv = new CsvWriter(devNull, ["a"]);
    const metrics = new PolicyMetrics("default", csv, null);
    const rec: AttemptRecord = {
      policy: "default",
      requestId: 123456,
      attempt: 1,
      endpoint: catalog[2],
      startMs: 123456.789,
      endMs: 125678.123456,
      ttftMs: 312.5,
      status: 200,
      error: "none",
      promptTokens: 1034,
      completionTokens: 251,
      costUsd: 0.00023456,
    };
    b.add(
      "attempts.csv row (format + buffered write)",
      () => {
        metrics.attempt(rec);
      },
      100,
    );
    const sketch = new QuantileSketch();
    const rng = new Rng(1, "sketch");
    b.add("QuantileSketch.add", () => {
      sketch.add(1 + rng.next() * 5000);
    });
    const sum = new ExactSum();
    b.add("ExactSum.add", () => {
      sum.add(rng.next() * 1e-4);
    });
    b.done(() => csv.close());
  });
  if (sink === 0.5) console.log(sink); // keep results observable
  return rows;
}
