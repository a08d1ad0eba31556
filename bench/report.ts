/** Renders results/bench/bench.md from the bench report object. */

import { median } from "./two-cores.js";

interface Row {
  [k: string]: unknown;
}

const n0 = (x: number): string => Math.round(x).toLocaleString("en-US");
const n2 = (x: number): string => x.toFixed(2);

/** How far the bytes-per-request figure can move with which runs fell in the middle. */
function allocationNoise(b: {
  small: number;
  large: number;
  runsSmall: number[];
  runsLarge: number[];
}): number {
  const range = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
  return (range(b.runsSmall) + range(b.runsLarge)) / (b.large - b.small);
}

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
  const p = r.processes;
  const sp = (x: Row | null, f = n2): string =>
    x === null
      ? "not measured"
      : `**${f(x.median as number)}** (${f(x.min as number)}–${f(x.max as number)})`;
  out.push(
    `## Whole processes side by side (${p.rounds} rounds, medians of the per-round ratios, min–max)`,
    "",
  );
  out.push(
    `Each command is one process, timed from spawn to exit (start-up, scenario loading, simulation and writing included), the way a user runs it. In each round every command runs once, in an order rotated from round to round; a ratio is taken within a round. The floor loop is ${p.floor.source === "shared" ? `the shared plain-JS loop (${p.floor.file})` : "bench/reference/typed-loop.ts (the shared loop was not found)"}.`,
    "",
  );
  const wallRow = (k: string, what: string): string[] => {
    const x = p.wallS[k];
    return x ? [what, n2(x.median), `${n2(x.min)}–${n2(x.max)}`] : [what, "not run", "–"];
  };
  out.push(
    table(
      ["process", "wall s (median)", "min–max"],
      [
        wallRow("floor", `floor loop, ${n0(r.perfRequests)} requests`),
        wallRow("ownLoop", `bench/reference/typed-loop.ts (bundled), ${n0(r.perfRequests)} requests`),
        wallRow(
          "perf",
          `routesim run scenarios/bench/perf-model.yaml --requests ${n0(r.perfRequests)} --summary-only`,
        ),
        wallRow(
          "or20",
          `routesim run scenarios/bench/openrouter-20.yaml --requests ${n0(p.or20Requests)} --summary-only`,
        ),
        wallRow(
          "simpy",
          `SimPy (simpy_perf_model.py), ${n0(r.simpyRequests)} requests${p.simpySkipped ? ` (${p.simpySkipped})` : ""}`,
        ),
      ],
    ),
    "",
    table(
      ["ratio", "median (min–max)"],
      [
        ["perf model: routesim ÷ floor loop (requests/s)", sp(p.perfVsFloor)],
        ["perf model: routesim ÷ own typed loop", sp(p.perfVsOwnLoop)],
        ["own typed loop ÷ shared floor loop", sp(p.ownLoopVsFloor)],
        ["perf model: routesim ÷ SimPy, per request", sp(p.perfVsSimpy)],
        ["OpenRouter-20: requests per wall second", sp(p.or20RequestsPerS, n0)],
        ["OpenRouter-20 ÷ floor loop (requests/s)", sp(p.or20VsFloor)],
      ],
    ),
    "",
    `Start-up: a \`run\` of the perf model with 1,000 requests, every output written, takes ${n2(p.startupMs.run)} ms against ${n2(p.startupMs.node)} ms for \`node -e 0\` (medians of ${p.startupMs.runs} pairs): **${n2(p.startupMs.startup)} ms** of start-up and work.`,
    "",
    `Allocation: V8 counts ${n0(p.bytesPerRequest.bytesSmall)} bytes allocated in a ${n0(p.bytesPerRequest.small)}-request perf-model run and ${n0(p.bytesPerRequest.bytesLarge)} in a ${n0(p.bytesPerRequest.large)}-request one (V8's sampling heap profiler, collected objects included, one sample per KB; medians of three runs each): **${p.bytesPerRequest.value.toFixed(1)} bytes per request** in steady state, give or take ${allocationNoise(p.bytesPerRequest).toFixed(1)} (the spread of the three runs of each size, over the requests between them).`,
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
