/**
 * The speed targets as a user feels them: whole processes, start-up included, timed from outside
 * (spawn to exit) and run side by side in rounds (A B A B …), each figure the median of the
 * per-round ratios. routesim runs as `node bin/routesim.js` from the built dist/ (`npm ci` builds
 * it), the floor loops as `node <file>`, SimPy as `python3 <file>`.
 *
 * The floors: the shared plain-JS loop (../shared/bench/js_floor_perf_model.mjs, or
 * ROUTESIM_FLOOR_LOOP) when it is there, and always this repository's own
 * bench/reference/typed-loop.ts, bundled to plain JavaScript first so that it, too, starts as a
 * bare `node` process.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { median } from "./two-cores.js";

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every round's value, in order. */
  values: number[];
}

export interface ProcessFigures {
  rounds: number;
  floor: { source: "shared" | "own"; file: string };
  /** Whole-process wall seconds of each command, per round. */
  wallS: Record<string, Spread>;
  /** routesim perf model 1M ÷ floor loop, in requests per second (floor wall ÷ routesim wall). */
  perfVsFloor: Spread;
  /** The same against the shared floor's twin in this repository (bench/reference/typed-loop.ts). */
  perfVsOwnLoop: Spread;
  /** Own loop ÷ shared floor in requests per second (1.00 = as fast); null without the shared one. */
  ownLoopVsFloor: Spread | null;
  /** routesim perf model 1M ÷ SimPy 200k, per request; null when SimPy is not installed. */
  perfVsSimpy: Spread | null;
  simpySkipped: string | null;
  or20Requests: number;
  /** OpenRouter default routing, 20 endpoints, 1M requests: requests per wall second, and ÷ floor. */
  or20RequestsPerS: Spread;
  or20VsFloor: Spread;
  /** `run` of the perf model with 1,000 requests (all outputs written) minus `node -e 0`, in ms. */
  startupMs: { run: number; node: number; startup: number; runs: number };
  /** Bytes allocated per simulated request in steady state (V8's sampling heap profiler). */
  bytesPerRequest: {
    value: number;
    small: number;
    large: number;
    bytesSmall: number;
    bytesLarge: number;
    /** Every run's bytes, three of each size: their spread bounds the figure's noise. */
    runsSmall: number[];
    runsLarge: number[];
  };
}

function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), values };
}

/** Wall seconds of one whole process (spawn to exit); throws when it fails. */
function wall(cmd: string, args: readonly string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 1 << 24 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}: ${r.stderr}`);
  return s;
}

/** The shared floor loop, where the checkout sits beside ../shared (or ROUTESIM_FLOOR_LOOP names it). */
export function sharedFloor(root: string): string | null {
  const f = process.env.ROUTESIM_FLOOR_LOOP ?? join(root, "..", "shared", "bench", "js_floor_perf_model.mjs");
  return existsSync(f) ? f : null;
}

/** bench/reference/typed-loop.ts as one plain .mjs file that `node` runs with no loader. */
async function bundleOwnLoop(dir: string, root: string): Promise<string> {
  const entry = join(dir, "typed-loop-main.mjs");
  writeFileSync(
    entry,
    `import { typedLoopMain } from ${JSON.stringify(join(root, "bench/reference/typed-loop.ts"))};\ntypedLoopMain(process.argv.slice(2));\n`,
  );
  const out = join(dir, "typed-loop.mjs");
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning",
  });
  return out;
}

/**
 * Bytes one run allocates, dead objects included, by V8's sampling heap profiler (bench/alloc-hook.mjs,
 * one sample per KB). Summing `--trace-gc-nvp`'s `allocated=` missed what was allocated after the last
 * collection, up to a young generation: more than a 2M-request run now allocates in all.
 */
function allocatedBytes(root: string, bin: string, requests: number, out: string): number {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      pathToFileURL(join(root, "bench/alloc-hook.mjs")).href,
      bin,
      "run",
      "scenarios/bench/perf-model.yaml",
      "--requests",
      String(requests),
      "--summary-only",
      "--out",
      out,
      "--force",
      "-q",
    ],
    { cwd: root, encoding: "utf8" },
  );
  const m = /ALLOCATED_BYTES=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`allocation run failed: ${r.stderr}`);
  return Number(m[1]);
}

export async function wholeProcessFigures(
  root: string,
  o: {
    rounds: number;
    perfRequests: number;
    or20Requests: number;
    simpyRequests: number;
    python: string | null;
    simpyScript: string;
    startupRuns: number;
    log: (s: string) => void;
  },
): Promise<ProcessFigures> {
  const bin = join(root, "bin/routesim.js");
  if (!existsSync(join(root, "dist/routesim.cjs")))
    throw new Error("dist/ is missing: run `npm run build` first");
  const tmp = mkdtempSync(join(tmpdir(), "routesim-bench-proc-"));
  try {
    const own = await bundleOwnLoop(tmp, root);
    const shared = sharedFloor(root);
    const floor = shared ?? own;
    const node = process.execPath;
    const n = String(o.perfRequests);
    const cmds: Record<string, [string, string[]]> = {
      floor: [node, [floor, n, "1"]],
      ownLoop: [node, [own, n, "1"]],
      perf: [
        node,
        [
          bin,
          "run",
          "scenarios/bench/perf-model.yaml",
          "--requests",
          n,
          "--summary-only",
          "--out",
          join(tmp, "perf"),
          "--force",
          "-q",
        ],
      ],
      or20: [
        node,
        [
          bin,
          "run",
          "scenarios/bench/openrouter-20.yaml",
          "--requests",
          String(o.or20Requests),
          "--summary-only",
          "--out",
          join(tmp, "or20"),
          "--force",
          "-q",
        ],
      ],
    };
    if (o.python) cmds.simpy = [o.python, [o.simpyScript, String(o.simpyRequests), "1"]];
    const walls: Record<string, number[]> = {};
    for (const k of Object.keys(cmds)) wall(...cmds[k], root); // one unmeasured run each: caches warm
    for (let r = 0; r < o.rounds; r++) {
      o.log(`whole processes side by side: round ${r + 1} of ${o.rounds}`);
      // Rotate the order, so no command always runs right after the same neighbour.
      const keys = Object.keys(cmds);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[(i + r) % keys.length];
        (walls[k] ??= []).push(wall(...cmds[k], root));
      }
    }
    const per = (k: string, f: (i: number) => number): Spread => spread(walls[k].map((_, i) => f(i)));
    const w = (k: string, i: number): number => walls[k][i];

    o.log(`start-up: ${o.startupRuns} pairs of node -e 0 and a 1,000-request run`);
    const nodeRuns: number[] = [];
    const runRuns: number[] = [];
    for (let i = 0; i < o.startupRuns; i++) {
      nodeRuns.push(wall(node, ["-e", "0"], root));
      runRuns.push(
        wall(
          node,
          [
            bin,
            "run",
            "scenarios/bench/perf-model.yaml",
            "--requests",
            "1000",
            "--out",
            join(tmp, "startup"),
            "--force",
            "-q",
          ],
          root,
        ),
      );
    }
    const runMs = median(runRuns) * 1000;
    const nodeMs = median(nodeRuns) * 1000;

    o.log("bytes allocated per request");
    const small = Math.round(o.perfRequests / 5);
    const large = o.perfRequests * 2;
    // Medians of three: what compiled code allocates depends on what V8 inlined, run by run.
    const runs = (n: number): number[] => [0, 1, 2].map(() => allocatedBytes(root, bin, n, join(tmp, "gc")));
    const runsSmall = runs(small);
    const runsLarge = runs(large);
    const bytesSmall = median(runsSmall);
    const bytesLarge = median(runsLarge);

    return {
      rounds: o.rounds,
      floor: {
        source: shared ? "shared" : "own",
        file: shared ? relative(root, shared) : "bench/reference/typed-loop.ts",
      },
      wallS: Object.fromEntries(Object.entries(walls).map(([k, v]) => [k, spread(v)])),
      perfVsFloor: per("perf", (i) => w("floor", i) / w("perf", i)),
      perfVsOwnLoop: per("perf", (i) => w("ownLoop", i) / w("perf", i)),
      ownLoopVsFloor: shared ? per("ownLoop", (i) => w("floor", i) / w("ownLoop", i)) : null,
      perfVsSimpy: walls.simpy
        ? per("perf", (i) => o.perfRequests / w("perf", i) / (o.simpyRequests / w("simpy", i)))
        : null,
      simpySkipped: o.python ? null : "python3 with SimPy not found (apt-get install -y python3-simpy3)",
      or20Requests: o.or20Requests,
      or20RequestsPerS: per("or20", (i) => o.or20Requests / w("or20", i)),
      or20VsFloor: per("or20", (i) => ((w("floor", i) / o.perfRequests) * o.or20Requests) / w("or20", i)),
      startupMs: { run: runMs, node: nodeMs, startup: runMs - nodeMs, runs: o.startupRuns },
      bytesPerRequest: {
        value: (bytesLarge - bytesSmall) / (large - small),
        small,
        large,
        bytesSmall,
        bytesLarge,
        runsSmall,
        runsLarge,
      },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
