/**
 * Worker of the replication-parallelism benchmark: runs one replication (scenario, seed) per
 * message with summary-only output and posts back the simulated request count.
 */
import { parentPort } from "node:worker_threads";
import { loadScenario } from "../src/scenario/load.js";
import { simulate } from "../src/simulate.js";

export interface JobMessage {
  file: string;
  seed: number;
  requests: number;
}

parentPort!.on("message", (m: JobMessage) => {
  const res = simulate(loadScenario(m.file, { seed: m.seed, requests: m.requests }), {});
  parentPort!.postMessage({ seed: m.seed, requests: res.summary.requests * res.summary.policies.length });
});
