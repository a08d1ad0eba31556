/**
 * Child process of the memory benchmark: runs the perf model with N requests and every CSV row
 * streamed to disk, then prints its peak RSS. Usage: memory-child.ts <requests> <outDir>.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { loadScenario } from "../src/scenario/load.js";
import { simulate } from "../src/simulate.js";

const [n, out] = process.argv.slice(2);
const file = fileURLToPath(new URL("../scenarios/bench/perf-model.yaml", import.meta.url));
const res = simulate(loadScenario(file, { requests: Number(n) }), {
  outDir: out,
  wallClock: () => performance.now(),
});
// Live heap after a full collection (the parent starts this process with --expose-gc): what the
// run really retains, without garbage V8 had not collected yet.
globalThis.gc?.();
process.stdout.write(
  `${JSON.stringify({
    requests: res.summary.requests,
    wallMs: res.run.wallTimeMs,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    liveHeapMB: process.memoryUsage().heapUsed / 2 ** 20,
  })}\n`,
);
