/**
 * Entry of replication worker threads in the build (dist/worker.js): the bundle with its code cache
 * (src/bundle.ts), in which src/experiment/worker.ts sees the worker's data and starts serving.
 */
import { fileURLToPath } from "node:url";
import { loadCachedBundle } from "./cached-bundle.js";

loadCachedBundle(fileURLToPath(new URL("./routesim.cjs", import.meta.url)));
