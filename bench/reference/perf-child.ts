/**
 * One side-by-side measurement in a fresh process, as SimPy gets one: `warmups` short runs, then
 * `runs` measured runs of the perf model, printed as one JSON line with their totals (no best-of).
 * Used by side-by-side.ts.
 *
 *   node --import tsx bench/reference/perf-child.ts routesim|loop <requests> [warmups] [runs]
 */
import { fileURLToPath } from "node:url";
import { typedLoopRun, WARMUPS, wholeRun } from "../whole.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const [which, n, w, k] = process.argv.slice(2);
const requests = Number(n);
const warmups = w === undefined ? WARMUPS : Number(w);
const runs = k === undefined ? 1 : Number(k);
if (!(requests > 0) || !(warmups >= 0) || !(runs >= 1) || (which !== "routesim" && which !== "loop")) {
  process.stderr.write("usage: perf-child.ts routesim|loop <requests> [warmups] [runs]\n");
  process.exit(2);
}
const total = { requests: 0, wallMs: 0, cpuMs: 0, latencyMsSum: 0 };
for (let r = 0; r < runs; r++) {
  // Warm-ups only before the first measured run: the later ones follow measured runs.
  const row =
    which === "routesim"
      ? wholeRun(root, "perf model, routesim", "scenarios/bench/perf-model.yaml", {
          requests,
          outputs: false,
          reps: 1,
          warmups: r === 0 ? warmups : 0,
        })
      : typedLoopRun(requests, 1, r === 0 ? warmups : 0);
  total.requests += row.requests;
  total.wallMs += row.wallMs;
  total.cpuMs += row.cpuMs;
  total.latencyMsSum += row.meanLatencyMs * row.requests;
}
process.stdout.write(
  `${JSON.stringify({
    requests: total.requests,
    wallMs: total.wallMs,
    cpuMs: total.cpuMs,
    meanLatencyMs: total.latencyMsSum / total.requests,
  })}\n`,
);
