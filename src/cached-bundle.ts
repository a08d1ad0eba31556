/**
 * Loads one of the build's CommonJS bundles (dist/routesim.cjs, dist/vega.cjs) with the code cache
 * saved next to it (`.cache`); a missing or rejected cache only costs the compilation it saves.
 */
// why this shape: docs/performance.md#bundles-loaded-with-a-code-cache
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { Script } from "node:vm";

export interface CachedBundle<T> {
  exports: T;
  /** The compiled bundle: `script.createCachedData()` is its code cache so far. */
  script: Script;
}

/** Runs the CommonJS bundle `file` (an absolute path) and returns its exports. */
export function loadCachedBundle<T>(file: string): CachedBundle<T> {
  const cacheFile = file.replace(/\.cjs$/, ".cache");
  const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
  // Node's own CommonJS wrapper, on the bundle's first line (stack traces keep their line numbers).
  // Read as latin1: the build checks that each bundle is ASCII, where latin1 is the same text, and
  // decoding 1.7 MB as UTF-8 took ~10 ms of start-up.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, "latin1")}\n})`;
  const script = new Script(source, { filename: file, cachedData });
  // A script's own `import()` has no loader: policy modules (--policy-module) are imported with this one.
  (globalThis as { [k: symbol]: unknown })[Symbol.for("routesim.import")] ??= (url: string) => import(url);
  const module = { exports: {} as T };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, script };
}
