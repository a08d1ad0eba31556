/**
 * Replications in parallel: 8 replications (seeds 1..8) of a scenario on a pool of `jobs`
 * worker threads, timed from pool start to the last result (worker start-up included).
 * This is bench's own worker_threads harness (the same scheme a `--jobs N` flag uses).
 */
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import type { JobMessage } from "./jobs-worker.js";

export interface JobsRow {
  jobs: number;
  replications: number;
  requestsEach: number;
  wallMs: number;
  requestsPerSec: number;
  /** CPU time of all threads ÷ wall time: how many cores the run actually got. */
  coresUsed: number;
}

export async function replications(
  file: string,
  jobs: number,
  replicationCount: number,
  requests: number,
): Promise<JobsRow> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const queue: JobMessage[] = Array.from({ length: replicationCount }, (_, i) => ({
    file,
    seed: i + 1,
    requests,
  }));
  let total = 0;
  // Node 20 will not start a worker from a .ts entry, so a tiny bootstrap registers tsx first.
  const entry = JSON.stringify(new URL("./jobs-worker.ts", import.meta.url).href);
  const boot = `import("tsx/esm/api").then((t) => { t.register(); return import(${entry}); });`;
  const workers = Array.from({ length: jobs }, () => new Worker(boot, { eval: true }));
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          const next = (): void => {
            const m = queue.shift();
            if (m) w.postMessage(m);
            else resolve();
          };
          w.on("message", (r: { requests: number }) => {
            total += r.requests;
            next();
          });
          w.on("error", reject);
          next();
        }),
    ),
  );
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(workers.map((w) => w.terminate()));
  return {
    jobs,
    replications: replicationCount,
    requestsEach: requests,
    wallMs: wall,
    requestsPerSec: total / (wall / 1000),
    coresUsed: (cpu.user + cpu.system) / 1000 / wall,
  };
}
