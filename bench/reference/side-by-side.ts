/**
 * The perf model three ways, side by side on this machine: idiomatic SimPy (when python3 +
 * SimPy are installed), routesim (`scenarios/bench/perf-model.yaml`, summary only) and the
 * hand-written typed-array loop. Prints the speed ratios as JSON.
 *
 *   node --import tsx bench/reference/side-by-side.ts [requests=1000000] [rounds=2]
 *
 * Rounds interleave the implementations (SimPy, routesim, loop, SimPy, ...) and every figure is
 * the total over all rounds (requests ÷ time), with no best-of selection: a best-of favours the
 * short runs (about a second for routesim, tens of seconds for SimPy), which can land in a quiet
 * moment. Ratios are given per CPU second (the primary figure: other load on the machine steals
 * wall time, not CPU time) and per wall second. `npm run bench` runs the same comparison and
 * records it in results/bench/.
 *
 * Each measurement runs in a fresh process, as SimPy's does (bench/reference/perf-child.ts): the
 * JavaScript ones after `WARMUPS` short runs, so the figure is the steady state a sweep runs in,
 * not shaped by the benchmarks that ran before it in the bench's process. routesim is also
 * measured as the second run in a process (one warm-up run; V8 still compiles some functions for
 * the first time in it, see `WARMUPS`) and as the only run (no warm-up: JIT compilation included),
 * reported next to the target's.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WARMUPS } from "../whole.js";
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
  /** Warm-up runs before the measured JavaScript runs, and measured runs per round. */
  warmups: number;
  measuredRuns: number;
  simpy: (Implementation & { version: string }) | null;
  /** Why SimPy was not run, if it was not. */
  simpySkipped: string | null;
  routesim: Implementation;
  /** routesim measured as the second run in its process (one warm-up run): informative. */
  routesimSecondRun: Implementation;
  /** routesim measured as the only run in its process (no warm-up, JIT compilation included). */
  routesimFirstRun: Implementation;
  typedLoop: Implementation;
  /** routesim ÷ SimPy in requests per CPU second (target ≥ 20), and per wall second. */
  speedupVsSimpy: number | null;
  speedupVsSimpyWall: number | null;
  /** The same per CPU second for `routesimSecondRun` and `routesimFirstRun`. */
  speedupVsSimpySecondRun: number | null;
  speedupVsSimpyFirstRun: number | null;
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

interface ChildRow {
  requests: number;
  wallMs: number;
  cpuMs: number;
  meanLatencyMs: number;
}

const CHILD = fileURLToPath(new URL("./perf-child.ts", import.meta.url));
/**
 * Measured runs per round and JavaScript implementation, totalled: a 1M-request run lasts about
 * half a second against SimPy's ten, so the JavaScript side samples the machine's speed over a
 * much shorter stretch. Five runs (about 2.5 s a round) make a burst of load on a shared machine
 * weigh less; with two, single benches of the same code ranged from 19.7× to 21.9×.
 */
const MEASURED_RUNS = 5;

/** One measurement in a fresh Node process (tsx loads the TypeScript sources, as in this bench). */
function child(
  root: string,
  which: "routesim" | "loop",
  requests: number,
  warmups: number,
  runs: number,
): ChildRow {
  const args = [CHILD, which, String(requests), String(warmups), String(runs)];
  const r = spawnSync(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`perf-child ${which} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildRow;
}

export function sideBySide(root: string, requests: number, rounds: number, withSimpy = true): SideBySide {
  const python = withSimpy ? findSimpyPython() : null;
  const simpy = new Total();
  const routesim = new Total();
  const second = new Total();
  const first = new Total();
  const typed = new Total();
  const add = (to: Total, x: ChildRow) =>
    to.add(x.requests, x.wallMs / 1000, x.cpuMs / 1000, x.meanLatencyMs / 1000);
  let version = "";
  for (let r = 0; r < rounds; r++) {
    if (python) {
      const s = runSimpy(python, requests, 1 + r);
      simpy.add(s.requests, s.wall_s, s.cpu_s, s.mean_latency_s);
      version = `SimPy ${s.simpy} (Python ${s.python})`;
    }
    add(routesim, child(root, "routesim", requests, WARMUPS, MEASURED_RUNS));
    add(typed, child(root, "loop", requests, WARMUPS, MEASURED_RUNS));
    add(second, child(root, "routesim", requests, 1, 1));
    add(first, child(root, "routesim", requests, 0, 1));
  }
  const sp = python ? { ...simpy.result(version), version } : null;
  const rs = routesim.result(
    `routesim (scenarios/bench/perf-model.yaml, summary only; after ${WARMUPS} warm-up runs)`,
  );
  const rs2 = second.result("routesim, second run in its process (after 1 warm-up run)");
  const rs1 = first.result("routesim, first run in its process (no warm-up: JIT compilation included)");
  const tl = typed.result(`typed-array loop (bench/reference/typed-loop.ts; after ${WARMUPS} warm-up runs)`);
  return {
    requests,
    rounds,
    warmups: WARMUPS,
    measuredRuns: MEASURED_RUNS,
    simpy: sp,
    simpySkipped: python
      ? null
      : withSimpy
        ? "no python3 with SimPy found (apt-get install python3-simpy3)"
        : "skipped (--no-simpy)",
    routesim: rs,
    routesimSecondRun: rs2,
    routesimFirstRun: rs1,
    typedLoop: tl,
    speedupVsSimpy: sp ? rs.perCpuSecond / sp.perCpuSecond : null,
    speedupVsSimpyWall: sp ? rs.perWallSecond / sp.perWallSecond : null,
    speedupVsSimpySecondRun: sp ? rs2.perCpuSecond / sp.perCpuSecond : null,
    speedupVsSimpyFirstRun: sp ? rs1.perCpuSecond / sp.perCpuSecond : null,
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
