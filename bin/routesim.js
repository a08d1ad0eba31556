#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into dist/routesim.cjs by `npm run build` (run
// automatically by `npm ci` via prepare; scripts/build.mjs), and loaded with its V8 code cache.
// `compare` and `sweep` with several jobs get their worker threads started first, so that the
// workers load their code while this thread loads the CLI's (src/pool/prestart.ts).
import { fileURLToPath } from "node:url";
import { loadCachedBundle } from "../dist/cached-bundle.js";

const args = process.argv.slice(2);
// Only these two start workers (dist/pool/prestart.js): the others need not load worker_threads.
if (args[0] === "compare" || args[0] === "sweep") {
  const { prestartWorkers } = await import("../dist/pool/prestart.js");
  prestartWorkers(args, new URL("../dist/worker.js", import.meta.url));
}
const { main } = loadCachedBundle(fileURLToPath(new URL("../dist/routesim.cjs", import.meta.url))).exports;

main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.stack ?? String(err));
    process.exitCode = 1;
  },
);
