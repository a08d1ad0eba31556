/**
 * The build (`npm run build`, and `npm ci` through `prepare`):
 *   1. tsc compiles src/ to dist/ (the library: dist/index.js and its modules, with declarations);
 *   2. esbuild bundles the command line and the replication worker from that output into one
 *      CommonJS file, dist/routesim.cjs (entry src/bundle.ts), which bin/routesim.js loads, and
 *      dist/worker.js (src/worker.ts) in each worker thread of `compare --jobs N`;
 *   3. esbuild bundles vega and vega-lite into dist/vega.cjs;
 *   4. scripts/code-cache.mjs runs a short comparison through both bundles and saves V8's code
 *      cache of each (dist/routesim.cache, dist/vega.cache), and the sample charts a runner draws
 *      to warm vega up (dist/vega-warmup.json). src/cached-bundle.ts loads a bundle with its cache.
 * Why bundle: Node loads ES modules one file at a time, and the CLI's graph is about 200 of them
 * (95 are zod's): one file takes start-up from about 0.28 s to 0.18 s for every command, and the
 * same again for each worker thread. Why CommonJS: Node 20 has no compile cache for modules, but
 * a script (vm.Script) takes V8's code cache, which takes loading the bundle from about 85 ms to
 * 50. The bundles are made from tsc's output, so they run exactly the compiled code (class fields
 * as tsconfig says, and so on). vega and vega-lite stay outside dist/routesim.cjs: they load only
 * when a report draws charts.
 *
 *   node scripts/build.mjs [--out <dir>] [--no-declarations]   (dist/ goes into <dir>, default .)
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const outIndex = args.indexOf("--out");
const dist = join(resolve(outIndex >= 0 ? args[outIndex + 1] : root), "dist");
const declarations = !args.includes("--no-declarations");

// From scratch, so no module deleted from src/ lingers in dist/.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compiled = spawnSync(
  process.execPath,
  [
    tsc,
    "-p",
    join(root, "tsconfig.build.json"),
    "--outDir",
    dist,
    ...(declarations ? [] : ["--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"]),
  ],
  { stdio: "inherit" },
);
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

await build({
  entryPoints: [join(dist, "bundle.js")],
  outfile: join(dist, "routesim.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // Resolved from the repository, wherever dist/ is written (tests build into a private folder).
  nodePaths: [join(root, "node_modules")],
  // pg loads only for `calibrate --from postgres://…`, from node_modules (its optional native part too).
  external: ["vega", "vega-lite", "pg"],
  // A script has no import.meta: modules that find files next to themselves get the bundle's URL.
  define: { "import.meta.url": "__routesimBundleUrl" },
  banner: { js: 'var __routesimBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
});

// Loaded with vm.Script (so that it can use a code cache), hence CommonJS; `canvas` is optional in
// vega and not installed (charts are drawn as SVG).
await build({
  stdin: {
    contents: 'module.exports = { vega: require("vega"), vl: require("vega-lite") };',
    resolveDir: root,
  },
  outfile: join(dist, "vega.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["canvas"],
  logLevel: "warning",
});
// src/cached-bundle.ts reads the bundles as latin1 (no UTF-8 decoding at start-up): that is only
// the same text when they are ASCII, which esbuild's default charset gives except in regex literals.
for (const bundle of ["routesim.cjs", "vega.cjs"]) {
  const at = readFileSync(join(dist, bundle)).findIndex((b) => b > 0x7f);
  if (at >= 0) {
    console.error(
      `build: dist/${bundle} has a non-ASCII byte at offset ${at}; escape it in the source (\\uXXXX)`,
    );
    process.exit(1);
  }
}
const cache = spawnSync(process.execPath, [join(root, "scripts", "code-cache.mjs"), dist], {
  stdio: "inherit",
});
if (cache.status !== 0) process.exit(cache.status ?? 1);
