/**
 * Entry of dist/routesim.cjs, the command line and the replication worker in one bundle
 * (scripts/build.mjs): bin/routesim.js loads it for `main`, and dist/worker.js loads it in each
 * replication worker thread, where src/experiment/worker.ts starts serving. One bundle, so that one
 * code cache (scripts/code-cache.mjs) covers both.
 */
import "./experiment/worker.js";

export { main } from "./cli/main.js";
