/**
 * Entry of dist/routesim.cjs, the command line and the replication worker in one bundle
 * (scripts/build.mjs): bin/routesim.js loads it for `main`, and dist/worker.js loads it in each
 * replication worker thread and calls `serveWorker`, where src/experiment/worker.ts starts serving.
 * One bundle, so that one code cache (scripts/code-cache.mjs) covers both; the worker's modules are
 * imported on demand, so a command that runs no workers does not initialise them.
 */
export { main } from "./cli/main.js";

/** Serves the pool's jobs on this (worker) thread. */
export async function serveWorker(): Promise<void> {
  await import("./experiment/worker.js");
}
