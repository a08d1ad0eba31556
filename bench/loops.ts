/**
 * Hot loops (mitata): whole inner loops that dominate a run, measured as complete batches so the
 * figures include JIT, GC and cache effects that micro-benchmarks miss.
 */
import { join } from "node:path";
import { do_not_optimize, measure } from "mitata";
import { Rng } from "../src/rng/rng.js";
import { loadScenario } from "../src/scenario/load.js";
import { Simulator } from "../src/sim/kernel.js";
import { simulate } from "../src/simulate.js";
import { typedLoop } from "./reference/typed-loop.js";

export interface LoopRow {
  name: string;
  /** Operations (events or requests) per batch. */
  opsPerBatch: number;
  unit: "events" | "requests";
  /** Median batch time. */
  p50Ms: number;
  minMs: number;
  opsPerSec: number;
  samples: number;
}

export async function hotLoops(root: string, quick: boolean): Promise<LoopRow[]> {
  const rows: LoopRow[] = [];
  const opts = { min_cpu_time: (quick ? 200 : 800) * 1e6, max_samples: 200 };
  const add = async (name: string, ops: number, unit: LoopRow["unit"], fn: () => unknown): Promise<void> => {
    const st = await measure(() => do_not_optimize(fn()), opts);
    rows.push({
      name,
      opsPerBatch: ops,
      unit,
      p50Ms: st.p50 / 1e6,
      minMs: st.min / 1e6,
      opsPerSec: ops / (st.p50 / 1e9),
      samples: st.samples.length,
    });
  };

  // Kernel alone: 256 self-rescheduling event chains (exponential gaps), 100k events.
  await add("kernel: 100k events, 256 pending", 100_000, "events", () => {
    const sim = new Simulator(512);
    const rng = new Rng(1, "loop");
    let left = 100_000;
    const h = sim.handler((arg) => {
      if (--left >= 256) sim.schedule(sim.now - 10 * Math.log(rng.nextOpen()), h, arg);
    });
    for (let i = 0; i < 256; i++) sim.schedule(rng.next(), h, i);
    sim.run();
    return sim.executed;
  });

  const perf = loadScenario(join(root, "scenarios/bench/perf-model.yaml"), { requests: 50_000 });
  await add("perf model: routesim simulate(), 50k requests", 50_000, "requests", () => simulate(perf, {}));
  await add("perf model: typed-array loop, 50k requests", 50_000, "requests", () => typedLoop(50_000));
  const or20 = loadScenario(join(root, "scenarios/bench/openrouter-20.yaml"), { requests: 20_000 });
  await add("OpenRouter default, 20 endpoints: simulate(), 20k requests", 20_000, "requests", () =>
    simulate(or20, {}),
  );
  return rows;
}
