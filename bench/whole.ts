/**
 * Whole-run figures: simulated requests per wall-second of complete `simulate()` runs (scenario
 * loaded, every policy run, summary built; CSV rows written when outputs are on), in-process,
 * after warm-up runs (see `WARMUPS`). The targets are measured as whole processes (whole-process.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadScenario } from "../src/scenario/load.js";
import { simulate } from "../src/simulate.js";

export interface WholeRow {
  name: string;
  scenario: string;
  outputs: "summary only" | "CSV rows written";
  /** Requests in the traffic × policies run. */
  requests: number;
  events: number;
  wallMs: number;
  /** CPU time of the process (all threads, GC included) during the run: far less sensitive than
   * wall time to other load on the machine. */
  cpuMs: number;
  requestsPerSec: number;
  /** Best of `reps` runs (least disturbed by other load). */
  reps: number;
}

/**
 * Warm-up runs before a measured one. Two, because V8 keeps compiling functions for the first time
 * in a process's second and third runs (`--trace-opt`: about ten in the second, eight in the third;
 * none is discarded since the fixes in docs/performance.md, "Warm-up and the second run in a
 * process"). A sweep or `compare` spends nearly all its time after that.
 */
export const WARMUPS = 2;

/** Runs a scenario `reps` times (after `warmups` short runs) and keeps the fastest run. */
export function wholeRun(
  root: string,
  name: string,
  file: string,
  opts: { requests?: number; outputs: boolean; reps: number; warmupRequests?: number; warmups?: number },
): WholeRow & { meanLatencyMs: number } {
  const path = join(root, file);
  for (let w = 0; w < (opts.warmups ?? WARMUPS); w++)
    simulate(loadScenario(path, { requests: opts.warmupRequests ?? 20_000 }), {});
  let best: (WholeRow & { meanLatencyMs: number }) | null = null;
  for (let r = 0; r < opts.reps; r++) {
    const loaded = loadScenario(path, opts.requests ? { requests: opts.requests } : {});
    const dir = opts.outputs ? mkdtempSync(join(tmpdir(), "routesim-bench-")) : null;
    try {
      const c0 = process.cpuUsage();
      const res = simulate(loaded, {
        outDir: dir ? join(dir, "out") : null,
        wallClock: () => performance.now(),
      });
      const cpu = process.cpuUsage(c0);
      const wall = res.run.wallTimeMs ?? 0;
      const requests = res.summary.requests * res.summary.policies.length;
      const row = {
        name,
        scenario: file,
        outputs: opts.outputs ? ("CSV rows written" as const) : ("summary only" as const),
        requests,
        events: res.run.events,
        wallMs: wall,
        cpuMs: (cpu.user + cpu.system) / 1000,
        requestsPerSec: requests / (wall / 1000),
        reps: opts.reps,
        meanLatencyMs: res.summary.policies[0].latencyMs.mean,
      };
      if (!best || row.wallMs < best.wallMs) best = row;
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  return best!;
}
