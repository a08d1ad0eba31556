/** Renders results/bench/bench.md from the bench report object. */

import { median } from "./two-cores.js";

interface Row {
  [k: string]: unknown;
}

const n0 = (x: number): string => Math.round(x).toLocaleString("en-US");
const n2 = (x: number): string => x.toFixed(2);

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

// biome-ignore lint/suspicious/noExplicitAny: the report is plain JSON assembled in bench/index.ts
export function renderBenchMarkdown(r: any): string {
  const out: string[] = [];
  out.push("# routesim benchmarks", "");
  out.push(
    `${r.date} · commit ${r.commit ?? "?"} · Node ${r.node} (V8 ${r.v8}) · ${r.machine.cpu} × ${r.machine.cores} · ${r.machine.memoryGB} GB · ${r.machine.platform} · ${r.mode} run in ${r.durationS} s`,
    "",
    `Load average (1/5/15 min) before: ${r.machine.loadAverageBefore.join(" / ")}, after: ${r.machine.loadAverageAfter.join(" / ")}. Figures from a busy machine are low and noisy; the targets are ratios measured in the same run.`,
    "",
    "Reproduce: `npm run bench` (writes this file and bench.json); the SimPy side of the ratio needs python3 with SimPy (`apt-get install python3-simpy3`), otherwise it is skipped.",
    "",
  );
  out.push("## Targets", "");
  out.push(
    table(
      ["target", "measured", "goal", "met"],
      r.targets.map((t: Row) => [
        String(t.target),
        t.measured === null
          ? "not measured"
          : (t.measured as number) >= 1000
            ? n0(t.measured as number)
            : n2(t.measured as number),
        (t.goal as number) >= 1000 ? n0(t.goal as number) : String(t.goal),
        t.met === null ? "–" : t.met ? "yes" : "**no**",
      ]),
    ),
    "",
  );
  const s = r.ratios;
  out.push(
    `## Perf model side by side (${n0(s.requests)} requests × ${s.rounds} interleaved rounds, totals)`,
    "",
  );
  const impl = (x: Row, name: string): string[] => [
    name,
    n0(x.perCpuSecond as number),
    n0(x.perWallSecond as number),
    n2(x.cpuS as number),
    n2(x.wallS as number),
    (x.meanLatencyS as number).toFixed(3),
  ];
  out.push(
    table(
      ["implementation", "requests / CPU s", "requests / wall s", "CPU s", "wall s", "mean latency s"],
      [
        s.simpy ? impl(s.simpy, s.simpy.version) : [`SimPy: ${s.simpySkipped}`, "–", "–", "–", "–", "–"],
        impl(s.routesim, s.routesim.name),
        impl(s.typedLoop, s.typedLoop.name),
        impl(s.routesimSecondRun, s.routesimSecondRun.name),
        impl(s.routesimFirstRun, s.routesimFirstRun.name),
      ],
    ),
    "",
    `Per CPU second: routesim ÷ SimPy **${s.speedupVsSimpy === null ? "not measured" : `${n2(s.speedupVsSimpy)}×`}**, typed loop ÷ routesim **${n2(s.slowdownVsTypedLoop)}×**, typed loop ÷ SimPy ${s.typedLoopVsSimpy === null ? "not measured" : `${n2(s.typedLoopVsSimpy)}×`}. Per wall second: ${s.speedupVsSimpyWall === null ? "SimPy not measured" : `${n2(s.speedupVsSimpyWall)}×`} and ${n2(s.slowdownVsTypedLoopWall)}×. Each measurement runs in a fresh process; the JavaScript ones after ${s.warmups} short warm-up runs (the steady state a sweep runs in), with ${s.measuredRuns} measured runs per round. Per CPU second as the second run in its process, routesim ÷ SimPy is ${s.speedupVsSimpySecondRun === null ? "not measured" : `${n2(s.speedupVsSimpySecondRun)}×`} (V8 still compiles some functions for the first time in it), and as the only run ${s.speedupVsSimpyFirstRun === null ? "not measured" : `${n2(s.speedupVsSimpyFirstRun)}×`} (JIT compilation included; docs/performance.md, "Warm-up and the second run in a process").`,
    "",
  );
  out.push("## Whole runs (simulated requests per wall-second, best of reps)", "");
  out.push(
    table(
      ["run", "outputs", "requests", "events", "wall s", "requests/s"],
      r.whole.map((w: Row) => [
        `${w.name} (${w.scenario})`,
        String(w.outputs),
        n0(w.requests as number),
        n0(w.events as number),
        n2((w.wallMs as number) / 1000),
        `**${n0(w.requestsPerSec as number)}**`,
      ]),
    ),
    "",
  );
  if (r.memory.length) {
    out.push(
      "## Memory: trace replay with attempts.csv + requests.csv streamed to disk (fresh process each)",
      "",
      "A generated Azure-format trace (100 requests/s) replayed through the perf model's providers and routing (bench/memory-child.ts).",
      "",
    );
    out.push(
      table(
        [
          "requests",
          "trace MB",
          "peak RSS MB",
          "live heap after GC MB",
          "CSV written MB",
          "wall s",
          "requests/s",
        ],
        r.memory.map((m: Row) => [
          n0(m.requests as number),
          m.traceMB === undefined ? "–" : n0(m.traceMB as number),
          n2(m.maxRssMB as number),
          n2(m.liveHeapMB as number),
          n0(m.outputMB as number),
          n2((m.wallMs as number) / 1000),
          n0(m.requestsPerSec as number),
        ]),
      ),
      "",
    );
  }
  if (r.cliJobs.length) {
    out.push(
      "## Replications in parallel: `routesim compare` (perf model, 8 replications, whole process)",
      "",
      "Rounds alternate --jobs 1 and --jobs 2. Compare the speed-up with the worker pool below: when two busy workers each run slower than one alone (cores used near 2, speed-up well below it), the machine's two vCPUs are not delivering two cores' worth of work (a shared physical core, host load or memory bandwidth), and that caps both figures.",
      "",
    );
    out.push(
      table(
        ["--jobs", "requests each", "wall s (mean)", "rounds"],
        r.cliJobs.map((j: Row) => [
          String(j.jobs),
          n0(j.requestsEach as number),
          n2((j.wallMs as number) / 1000),
          String(j.rounds ?? 1),
        ]),
      ),
      "",
    );
    const [one, two] = [1, 2].map(
      (n) => r.cliJobs.find((j: Row) => j.jobs === n)?.roundsMs as number[] | undefined,
    );
    if (one && two && one.length === two.length) {
      const perRound = one.map((w, i) => w / two[i]);
      const middle = median(perRound);
      const probes = (r.coreProbes ?? []) as Row[];
      out.push(
        table(
          ["round", "--jobs 1 s", "--jobs 2 s", "ratio", "typed loop, 2 threads ÷ 1 (just before)"],
          perRound.map((ratio, i) => [
            String(i + 1),
            n2(one[i] / 1000),
            n2(two[i] / 1000),
            `${n2(ratio)}×`,
            probes[i] ? `${n2(probes[i].slowdown as number)}×` : "–",
          ]),
        ),
        "",
        `Median of the rounds ${middle.toFixed(2)}×, fastest runs ${(Math.min(...one) / Math.min(...two)).toFixed(2)}× (load on the host only ever slows a run, and slows --jobs 2, which needs both vCPUs, more). The target uses the ratio of the means above.`,
        "",
        "The last column is a probe of the machine (bench/two-cores.ts): the typed-array loop, which allocates nothing, timed on one thread and then on two at once, just before the round. About 1.00× means the two vCPUs behaved as two cores; well above it, they shared a physical core or the host was busy, and then no program reaches 2× with two threads.",
        "",
      );
    }
  }
  if (r.jobs.length) {
    out.push("## Replications in parallel: bench/jobs.ts worker_threads pool (perf model, 8 seeds)", "");
    out.push(
      table(
        ["workers", "requests each", "wall s", "requests/s", "cores used (CPU time ÷ wall)"],
        r.jobs.map((j: Row) => [
          String(j.jobs),
          n0(j.requestsEach as number),
          n2((j.wallMs as number) / 1000),
          n0(j.requestsPerSec as number),
          n2(j.coresUsed as number),
        ]),
      ),
      "",
      "Cores used near 1 with two workers means the machine had no second core free (other load), so the speed-up cannot show.",
      "",
    );
  }
  out.push("## Hot loops (mitata, median batch)", "");
  out.push(
    table(
      ["loop", "batch", "median ms", "min ms", "per second"],
      r.loops.map((l: Row) => [
        String(l.name),
        `${n0(l.opsPerBatch as number)} ${l.unit}`,
        n2(l.p50Ms as number),
        n2(l.minMs as number),
        n0(l.opsPerSec as number),
      ]),
    ),
    "",
  );
  out.push("## Micro-benchmarks (tinybench, mean)", "");
  out.push(
    table(
      ["group", "operation", "ns/op", "ops/s", "±%"],
      r.micro.map((m: Row) => [
        String(m.group),
        String(m.name),
        n2(m.nsPerOp as number),
        n0(m.opsPerSec as number),
        n2(m.rmePct as number),
      ]),
    ),
    "",
  );
  return `${out.join("\n")}\n`;
}
