/**
 * Child process of the memory benchmark: replays an Azure-format trace (bench/trace-file.ts) through
 * the perf model's providers and routing with every CSV row streamed to disk, then prints its peak
 * RSS. Usage: memory-child.ts <trace.csv> <outDir>.
 *
 * The perf model's providers serve `completion_tokens: 0` at 1 token/s; trace requests carry real
 * output sizes (10–309 tokens), so decoding is set to 1,000 tokens/s here (mean latency about
 * 1.2 s at the trace's 100 requests/s: the 8 × 32 slots stay below half busy and nothing piles up).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { scenarioFromObject } from "../src/scenario/load.js";
import { simulate } from "../src/simulate.js";

const [trace, out] = process.argv.slice(2);
const file = fileURLToPath(new URL("../scenarios/bench/perf-model.yaml", import.meta.url));
const perf = parse(readFileSync(file, "utf8")) as {
  traffic: unknown;
  providers: Record<string, unknown>[];
  [k: string]: unknown;
};
const scenario = {
  ...perf,
  name: "perf-model-trace-replay",
  traffic: { trace: { path: trace, format: "azure-csv" }, model: "perf-model" },
  providers: perf.providers.map((p) => ({ ...p, tokens_per_s: 1000 })),
};
const res = simulate(scenarioFromObject(scenario), {
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
