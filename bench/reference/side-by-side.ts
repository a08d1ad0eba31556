/**
 * The perf model three ways, side by side on this machine: idiomatic SimPy (when python3 +
 * SimPy are installed), routesim (`scenarios/bench/perf-model.yaml`, summary only) and the
 * hand-written typed-array loop. Prints the speed ratios as JSON.
 *
 *   node --import tsx bench/reference/side-by-side.ts [requests=1000000] [rounds=2]
 *
 * Rounds interleave the three implementations (SimPy, routesim, loop, SimPy, ...) and every
 * figure is the total over all rounds (requests ÷ time), with no best-of selection: a best-of
 * favours the short runs (about a second for routesim, tens of seconds for SimPy), which can
 * land in a quiet moment. Ratios are given per CPU second (the primary figure: other load on the
 * machine steals wall time, not CPU time) and per wall second. `npm run bench` runs the same
 * comparison and records it in results/bench/.
 */
import { fileURLToPath } from "node:url";
import { typedLoopRun, wholeRun } from "../whole.js";
import { findSimpyPython, runSimpy } from "./simpy.js";

export interface Implementation {
  name: string;
  requests: number;
  wallS: number;
  cpuS: number;
  perWallSecond: number;
  perCpuSecond: number;
  meanLatencyS: number;
}

export interface SideBySide {
  requests: number;
  rounds: number;
  simpy: (Implementation & { version: string }) | null;
  /** Why SimPy was not run, if it was not. */
  simpySkipped: string | null;
  routesim: Implementation;
  typedLoop: Implementation;
  /** routesim ÷ SimPy in requests per CPU second (target ≥ 20), and per wall second. */
  speedupVsSimpy: number | null;
  speedupVsSimpyWall: number | null;
  /** typed loop ÷ routesim in requests per CPU second (target ≤ 2), and per wall second. */
  slowdownVsTypedLoop: number;
  slowdownVsTypedLoopWall: number;
  /** typed loop ÷ SimPy: how far the JavaScript floor itself is from SimPy. */
  typedLoopVsSimpy: number | null;
}

class Total {
  requests = 0;
  wallS = 0;
  cpuS = 0;
  latencySum = 0;
  add(requests: number, wallS: number, cpuS: number, meanLatencyS: number): void {
    this.requests += requests;
    this.wallS += wallS;
    this.cpuS += cpuS;
    this.latencySum += meanLatencyS * requests;
  }
  result(name: string): Implementation {
    return {
      name,
      requests: this.requests,
      wallS: this.wallS,
      cpuS: this.cpuS,
      perWallSecond: this.requests / this.wallS,
      perCpuSecond: this.requests / this.cpuS,
      meanLatencyS: this.latencySum / this.requests,
    };
  }
}

export function sideBySide(root: string, requests: number, rounds: number, withSimpy = true): SideBySide {
  const python = withSimpy ? findSimpyPython() : null;
  const simpy = new Total();
  const routesim = new Total();
  const typed = new Total();
  let version = "";
  for (let r = 0; r < rounds; r++) {
    if (python) {
      const s = runSimpy(python, requests, 1 + r);
      simpy.add(s.requests, s.wall_s, s.cpu_s, s.mean_latency_s);
      version = `SimPy ${s.simpy} (Python ${s.python})`;
    }
    const w = wholeRun(root, "perf model, routesim", "scenarios/bench/perf-model.yaml", {
      requests,
      outputs: false,
      reps: 1,
    });
    routesim.add(w.requests, w.wallMs / 1000, w.cpuMs / 1000, w.meanLatencyMs / 1000);
    const t = typedLoopRun(requests, 1);
    typed.add(t.requests, t.wallMs / 1000, t.cpuMs / 1000, t.meanLatencyMs / 1000);
  }
  const sp = python ? { ...simpy.result(version), version } : null;
  const rs = routesim.result("routesim (scenarios/bench/perf-model.yaml, summary only)");
  const tl = typed.result("typed-array loop (bench/reference/typed-loop.ts)");
  return {
    requests,
    rounds,
    simpy: sp,
    simpySkipped: python
      ? null
      : withSimpy
        ? "no python3 with SimPy found (apt-get install python3-simpy3)"
        : "skipped (--no-simpy)",
    routesim: rs,
    typedLoop: tl,
    speedupVsSimpy: sp ? rs.perCpuSecond / sp.perCpuSecond : null,
    speedupVsSimpyWall: sp ? rs.perWallSecond / sp.perWallSecond : null,
    slowdownVsTypedLoop: tl.perCpuSecond / rs.perCpuSecond,
    slowdownVsTypedLoopWall: tl.perWallSecond / rs.perWallSecond,
    typedLoopVsSimpy: sp ? tl.perCpuSecond / sp.perCpuSecond : null,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const n = Number(process.argv[2] ?? 1_000_000);
  const rounds = Number(process.argv[3] ?? 2);
  process.stdout.write(`${JSON.stringify(sideBySide(root, n, rounds), null, 2)}\n`);
}
