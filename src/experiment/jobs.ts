/**
 * A comparison's replications on the thread pool (pool/pool.ts): what a runner does with a job
 * (runReplication), the worker entry that does it on other threads (./worker.ts), and how the
 * report's charts are drawn (report/charts.ts). Results come in job order and each job is a pure
 * function of its inputs, so `--jobs N` gives exactly what `--jobs 1` gives.
 */
import { type JobKind, type Render, type RunJobsOptions, withPool } from "../pool/pool.js";
import { loadRenderer, renderHere, warmUpCharts } from "../report/charts.js";
import { loadScenario } from "../scenario/load.js";
import { type ReplicationJob, type ReplicationResult, runReplication } from "./replicate.js";

/** The drawer's wait for the others: loads vega, then warms it up until `stop()` (see warmUpCharts). */
function prepareToDraw(stop: () => boolean): Promise<void> {
  try {
    loadRenderer();
  } catch {
    // Reported when a chart is drawn.
  }
  return warmUpCharts(stop);
}

export const REPLICATIONS: JobKind<ReplicationJob, ReplicationResult> = {
  run: runReplication,
  // In the bundle import.meta.url is dist/routesim.cjs's, so the worker is dist/worker.js.
  worker: new URL(import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js", import.meta.url),
  renderHere,
  prepareToDraw,
  readAhead: (file) => {
    loadScenario(file);
  },
};

/** Runs the replications, then `use` before the worker threads stop (see withPool). */
export function withJobs<T>(
  jobs: readonly ReplicationJob[],
  parallel: number,
  options: RunJobsOptions<ReplicationResult>,
  use: (results: ReplicationResult[], render: Render, drawer: "this thread" | "worker") => Promise<T>,
): Promise<T> {
  return withPool(REPLICATIONS, jobs, parallel, options, use);
}

/** Runs the replications; the results, in job order. */
export function runJobs(
  jobs: readonly ReplicationJob[],
  parallel: number,
  onDone?: (done: number, total: number) => void,
  options: Omit<RunJobsOptions<ReplicationResult>, "onDone" | "charts"> = {},
): Promise<ReplicationResult[]> {
  return withJobs(jobs, parallel, { ...options, onDone }, async (results) => results);
}
