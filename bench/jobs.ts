/**
 * Replications in parallel, two ways: `routesim compare --jobs N` itself (compareCliJobs), and the
 * bench's own worker_threads pool (replications), which also reports how many cores the run
 * actually got (CPU time ÷ wall time) — on a shared machine the second worker may get none.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** A worker thread running a TypeScript entry of the bench. */
export function tsWorker(entry: URL): Worker {
  // Node 20 will not start a worker from a .ts entry, so a tiny bootstrap registers tsx first.
  const boot = `import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true });
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
  const workers = Array.from({ length: jobs }, () => tsWorker(new URL("./jobs-worker.ts", import.meta.url)));
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

export interface CliJobsRow {
  jobs: number;
  replications: number;
  requestsEach: number;
  /** Wall time of the whole process (the mean over `rounds` runs when there are several). */
  wallMs: number;
  rounds?: number;
  /** Each round's wall time, in round order. */
  roundsMs?: number[];
}

/**
 * The real thing: `routesim compare <perf model> --replications 8 --jobs N` from the compiled CLI
 * (dist/, built by `npm ci` / `npm run build`), timed as a whole process. Null when dist/ is missing.
 */
export function compareCliJobs(
  root: string,
  jobs: number,
  replicationCount: number,
  requests: number,
): CliJobsRow | null {
  const bin = join(root, "bin/routesim.js");
  if (!existsSync(join(root, "dist/routesim.cjs"))) return null;
  const dir = mkdtempSync(join(tmpdir(), "routesim-jobs-"));
  try {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        bin,
        "compare",
        join(root, "scenarios/bench/perf-model.yaml"),
        "--replications",
        String(replicationCount),
        "--jobs",
        String(jobs),
        "--requests",
        String(requests),
        "--no-rows",
        "-q",
        "-o",
        join(dir, "out"),
      ],
      { encoding: "utf8" },
    );
    const wall = performance.now() - t0;
    if (r.status !== 0) throw new Error(`routesim compare --jobs ${jobs} failed: ${r.stderr}`);
    return { jobs, replications: replicationCount, requestsEach: requests, wallMs: wall };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
