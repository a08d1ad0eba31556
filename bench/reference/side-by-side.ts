/**
 * The perf model three ways, side by side on this machine: idiomatic SimPy (when python3 +
 * SimPy are installed), routesim (`scenarios/bench/perf-model.yaml`, summary only) and the
 * hand-written typed-array loop. Prints the speed ratios as JSON.
 *
 *   node --import tsx bench/reference/side-by-side.ts [requests=1000000] [rounds=1]
 *
 * `npm run bench` runs the same comparison and records it in results/bench/.
 */
import { fileURLToPath } from "node:url";
import { typedLoopRun, type WholeRow, wholeRun } from "../whole.js";
import { findSimpyPython, runSimpy, type SimpyResult } from "./simpy.js";

export interface SideBySide {
  requests: number;
  rounds: number;
  simpy: SimpyResult | null;
  /** Why SimPy was not run, if it was not. */
  simpySkipped: string | null;
  routesim: WholeRow & { meanLatencyMs: number };
  typedLoop: WholeRow & { meanLatencyMs: number };
  /** routesim ÷ SimPy, in requests per wall-second (target ≥ 20). */
  speedupVsSimpy: number | null;
  /** typed loop ÷ routesim (target ≤ 2). */
  slowdownVsTypedLoop: number;
}

/** Rounds interleave the three implementations; each keeps its fastest round. */
export function sideBySide(root: string, requests: number, rounds: number, withSimpy = true): SideBySide {
  const python = withSimpy ? findSimpyPython() : null;
  let simpy: SimpyResult | null = null;
  let routesim: (WholeRow & { meanLatencyMs: number }) | null = null;
  let typed: (WholeRow & { meanLatencyMs: number }) | null = null;
  for (let r = 0; r < rounds; r++) {
    if (python) {
      const s = runSimpy(python, requests, 1 + r);
      if (!simpy || s.wall_s < simpy.wall_s) simpy = s;
    }
    const w = wholeRun(root, "perf model, routesim", "scenarios/bench/perf-model.yaml", {
      requests,
      outputs: false,
      reps: 1,
    });
    if (!routesim || w.wallMs < routesim.wallMs) routesim = w;
    const t = typedLoopRun(requests, 1);
    if (!typed || t.wallMs < typed.wallMs) typed = t;
  }
  return {
    requests,
    rounds,
    simpy,
    simpySkipped: python
      ? null
      : withSimpy
        ? "no python3 with SimPy found (apt-get install python3-simpy3)"
        : "skipped (--no-simpy)",
    routesim: routesim!,
    typedLoop: typed!,
    speedupVsSimpy: simpy ? routesim!.requestsPerSec / simpy.requests_per_s : null,
    slowdownVsTypedLoop: typed!.requestsPerSec / routesim!.requestsPerSec,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const n = Number(process.argv[2] ?? 1_000_000);
  const rounds = Number(process.argv[3] ?? 1);
  process.stdout.write(`${JSON.stringify(sideBySide(root, n, rounds), null, 2)}\n`);
}
