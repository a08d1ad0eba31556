/**
 * Worker of the two-core probe (bench/two-cores.ts): runs the typed-array loop for the requested
 * size and posts back how long it took on this thread (wall ms).
 */
import { parentPort } from "node:worker_threads";
import { typedLoop } from "./reference/typed-loop.js";

parentPort!.on("message", (m: { requests: number; seed: number }) => {
  const t0 = performance.now();
  typedLoop(m.requests, m.seed);
  parentPort!.postMessage(performance.now() - t0);
});
