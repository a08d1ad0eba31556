#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled into dist/cli.js by `npm run build` (run automatically
// by `npm ci` via prepare; scripts/build.mjs).
// `compare` and `sweep` with several jobs get their worker threads started first, so that the
// workers load their modules while this thread loads the CLI's (src/compare/prestart.ts).
import { prestartWorkers } from "../dist/compare/prestart.js";

const args = process.argv.slice(2);
prestartWorkers(args, new URL("../dist/worker.js", import.meta.url));
const { main } = await import("../dist/cli.js");

main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err?.stack ?? String(err));
    process.exitCode = 1;
  },
);
