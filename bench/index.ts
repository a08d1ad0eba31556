/**
 * `npm run bench`: micro-benchmarks (tinybench), hot loops (mitata), whole-run figures, the perf
 * model against SimPy and a typed-array loop, peak memory and replication parallelism. Writes
 * results/bench/bench.json and results/bench/bench.md.
 *
 *   npm run bench                 # full run (under 5 minutes on a quiet 2-core machine)
 *   npm run bench -- --quick      # smaller sizes, for a smoke test
 *   npm run bench -- --no-simpy --no-memory --no-jobs --out <dir>
 *
 * Absolute figures depend on the machine and on whatever else runs on it; the targets are
 * ratios measured in the same run. The load average before and after is recorded.
 */
import { execSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { compareCliJobs, replications } from "./jobs.js";
import { hotLoops } from "./loops.js";
import { memoryRun } from "./memory.js";
import { microBenchmarks } from "./micro.js";
import { findSimpyPython } from "./reference/simpy.js";
import { renderBenchMarkdown } from "./report.js";
import { type CoreProbe, median, startCoreProber } from "./two-cores.js";
import { type WholeRow, wholeRun } from "./whole.js";
import { wholeProcessFigures } from "./whole-process.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const flag = (f: string): boolean => args.includes(f);
const quick = flag("--quick");
const outIdx = args.indexOf("--out");
const outDir = outIdx >= 0 ? args[outIdx + 1] : join(root, "results/bench");

const sizes = quick
  ? {
      perf: 200_000,
      flagshipReps: 1,
      or20: 50_000,
      memory: [100_000, 1_000_000],
      jobsEach: 50_000,
      microMs: 100,
    }
  : {
      perf: 1_000_000,
      flagshipReps: 2,
      or20: 200_000,
      memory: [1_000_000, 10_000_000],
      jobsEach: 1_000_000, // the perf model's reference N: replications long enough that start-up and report rendering do not dominate
      microMs: 250,
    };

const fmt = (x: number): string => x.toLocaleString("en-US");

function log(s: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);
}
const started = performance.now();

function gitCommit(): string | null {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: root, encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

const load0 = loadavg();
// First, while the machine is at its quietest: the targets, as whole processes side by side.
const python = flag("--no-simpy") ? null : findSimpyPython();
const sharedSimpy = join(root, "..", "shared", "bench", "simpy_perf_model.py");
const processes = await wholeProcessFigures(root, {
  rounds: quick ? 2 : 7,
  perfRequests: sizes.perf,
  or20Requests: quick ? 200_000 : 1_000_000,
  simpyRequests: quick ? 50_000 : 200_000,
  python,
  simpyScript: existsSync(sharedSimpy) ? sharedSimpy : join(root, "bench/reference/simpy_perf_model.py"),
  startupRuns: quick ? 5 : 15,
  log,
});
log("micro-benchmarks (tinybench)");
const micro = await microBenchmarks(root, sizes.microMs);
log("hot loops (mitata)");
const loops = await hotLoops(root, quick);

log("whole runs");
const whole: WholeRow[] = [];
const perfSummary = wholeRun(
  root,
  "perf model (uniform random, 8 × 32 slots)",
  "scenarios/bench/perf-model.yaml",
  {
    requests: sizes.perf,
    outputs: false,
    reps: 3,
  },
);
whole.push(perfSummary);
whole.push(
  wholeRun(root, "perf model (uniform random, 8 × 32 slots)", "scenarios/bench/perf-model.yaml", {
    requests: sizes.perf,
    outputs: true,
    reps: 1,
  }),
);
for (const outputs of [false, true])
  whole.push(
    wholeRun(root, "flagship (4 policies, 6 endpoints, outages)", "scenarios/flagship.yaml", {
      outputs,
      reps: sizes.flagshipReps,
    }),
  );
for (const outputs of [false, true])
  whole.push(
    wholeRun(
      root,
      "OpenRouter default, 20 endpoints, failures + fallbacks",
      "scenarios/bench/openrouter-20.yaml",
      {
        requests: outputs ? sizes.or20 / 2 : sizes.or20,
        outputs,
        reps: outputs ? 1 : 3,
      },
    ),
  );

const memory = flag("--no-memory")
  ? []
  : sizes.memory.map((n) => {
      log(`memory: replaying a ${n.toLocaleString("en-US")}-row trace with CSV rows`);
      return memoryRun(n);
    });

const jobs = [];
const cliJobs = [];
const coreProbes: CoreProbe[] = [];
if (!flag("--no-jobs")) {
  // Rounds interleave --jobs 1 and 2 and each figure is the mean over the rounds: on a shared
  // machine one run of either can land in a slow moment. Single rounds of this VM range from
  // 1.4× to 1.9×, hence five (the report lists each round's ratio too).
  const rounds = quick ? 1 : 5;
  const walls = new Map<number, number[]>();
  // Whether the machine gives two cores, probed just before each round (bench/two-cores.ts).
  const prober = await startCoreProber();
  for (let round = 0; round < rounds; round++) {
    coreProbes.push(await prober.probe());
    for (const j of [1, 2]) {
      log(
        `routesim compare --replications 8 --jobs ${j} (${sizes.jobsEach.toLocaleString("en-US")} requests each, round ${round + 1} of ${rounds})`,
      );
      const row = compareCliJobs(root, j, 8, sizes.jobsEach);
      if (row) walls.set(j, [...(walls.get(j) ?? []), row.wallMs]);
    }
  }
  await prober.stop();
  for (const [j, w] of walls)
    cliJobs.push({
      jobs: j,
      replications: 8,
      requestsEach: sizes.jobsEach,
      wallMs: w.reduce((a, b) => a + b, 0) / w.length,
      rounds: w.length,
      roundsMs: w,
    });
  for (const j of [1, 2]) {
    log(`replications: 8 × ${sizes.jobsEach.toLocaleString("en-US")} requests, jobs ${j}`);
    jobs.push(await replications(join(root, "scenarios/bench/perf-model.yaml"), j, 8, sizes.jobsEach));
  }
}
const load1 = loadavg();

const jobsRatio = cliJobs.length === 2 ? cliJobs[0].wallMs / cliJobs[1].wallMs : null;
const poolRatio = jobs.length === 2 ? jobs[0].wallMs / jobs[1].wallMs : null;
const probeMedian = coreProbes.length ? median(coreProbes.map((p) => p.slowdown)) : null;
const mem10 = memory.length ? memory[memory.length - 1] : null;
const pf = processes;
// Two threads cannot more than double the work: a probe slowdown below 1 (both threads each faster
// than one alone) is noise, and 2 ÷ it would ask compare for more than 2×.
const ceiling = probeMedian === null ? null : 2 / Math.max(1, probeMedian);
const targets = [
  {
    target: `perf model ${fmt(sizes.perf)}: routesim ÷ ${pf.floor.source === "shared" ? "shared floor loop" : "own typed loop (shared floor absent)"} (whole process, requests/s)`,
    measured: pf.perfVsFloor.median,
    goal: 0.5,
    met: pf.perfVsFloor.median >= 0.5,
  },
  {
    target: "perf model: routesim ÷ SimPy, per request (whole processes; SimPy 200k)",
    measured: pf.perfVsSimpy?.median ?? null,
    goal: 20,
    met: pf.perfVsSimpy === null ? null : pf.perfVsSimpy.median >= 20,
  },
  {
    target: `OpenRouter default, 20 endpoints, ${fmt(pf.or20Requests)} requests: requests/s (whole process)`,
    measured: pf.or20RequestsPerS.median,
    goal: 1_000_000,
    met: pf.or20RequestsPerS.median >= 1_000_000,
  },
  {
    target: "OpenRouter default, 20 endpoints ÷ floor loop (same rounds)",
    measured: pf.or20VsFloor.median,
    goal: 0.25,
    met: pf.or20VsFloor.median >= 0.25,
  },
  {
    target: "start-up: `run` of 1,000 requests (all outputs) minus `node -e 0`, ms (at most)",
    measured: pf.startupMs.startup,
    goal: 50,
    met: pf.startupMs.startup <= 50,
  },
  {
    target: "bytes allocated per simulated request, steady state (at most)",
    measured: pf.bytesPerRequest.value,
    goal: 100,
    met: pf.bytesPerRequest.value <= 100,
  },
  {
    target: `compare --jobs 2 ÷ --jobs 1 ÷ two-thread ceiling (${ceiling === null ? "not probed" : `${ceiling.toFixed(2)}× = 2 ÷ max(1, probe slowdown ${probeMedian!.toFixed(2)})`}; speed-up ${jobsRatio === null ? "–" : `${jobsRatio.toFixed(2)}×`}; bench pool ${poolRatio === null ? "–" : `${poolRatio.toFixed(2)}×`})`,
    measured: jobsRatio === null || ceiling === null ? null : jobsRatio / ceiling,
    goal: 0.95,
    met: jobsRatio === null || ceiling === null ? null : jobsRatio / ceiling >= 0.95,
  },
  {
    target: "own typed loop ÷ shared floor loop (requests/s; within 5 %)",
    measured: pf.ownLoopVsFloor?.median ?? null,
    goal: 0.95,
    met: pf.ownLoopVsFloor === null ? null : pf.ownLoopVsFloor.median >= 0.95,
  },
  {
    target: `peak RSS ≤ 300 MB replaying a trace with rows streamed to disk (at ${mem10 ? fmt(mem10.requests) : "-"} requests)`,
    measured: mem10?.maxRssMB ?? null,
    goal: 300,
    met: mem10 ? memory.every((m) => m.maxRssMB <= 300) : null,
  },
];

const report = {
  date: new Date().toISOString(),
  commit: gitCommit(),
  node: process.version,
  v8: process.versions.v8,
  machine: {
    platform: `${platform()} ${release()}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageBefore: load0.map((x) => Math.round(x * 100) / 100),
    loadAverageAfter: load1.map((x) => Math.round(x * 100) / 100),
  },
  mode: quick ? "quick" : "full",
  durationS: Math.round((performance.now() - started) / 100) / 10,
  targets,
  perfRequests: sizes.perf,
  simpyRequests: quick ? 50_000 : 200_000,
  processes,
  whole,
  memory,
  cliJobs,
  coreProbes,
  jobs,
  micro,
  loops,
};
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, "bench.json"), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(outDir, "bench.md"), renderBenchMarkdown(report));
log(`wrote ${join(outDir, "bench.md")} and bench.json in ${report.durationS} s`);
