/**
 * Entry of replication worker threads in the build (dist/worker.js): the bundle with its code cache
 * (src/bundle.ts), whose `serveWorker` imports src/experiment/worker.ts, which sees the worker's
 * data and starts serving.
 */
import { fileURLToPath } from "node:url";
import { loadCachedBundle } from "./cached-bundle.js";

const bundle = loadCachedBundle<{ serveWorker(): Promise<void> }>(
  fileURLToPath(new URL("./routesim.cjs", import.meta.url)),
);
await bundle.exports.serveWorker();
