/**
 * The build (`npm run build`, and `npm ci` through `prepare`):
 *   1. tsc compiles src/ to dist/ (the library: dist/index.js and its modules, with declarations);
 *   2. esbuild bundles the command line and the replication worker from that output into one file
 *      each, dist/cli.js and dist/worker.js, which bin/routesim.js loads;
 *   3. esbuild bundles vega and vega-lite into dist/vega.cjs, and scripts/vega-cache.mjs draws
 *      each kind of chart with it and saves V8's code cache as dist/vega.cache (src/report/charts.ts
 *      loads both when it first draws).
 * Why bundle: Node loads ES modules one file at a time, and the CLI's graph is about 200 of them
 * (95 are zod's). One file each takes start-up from about 0.28 s to 0.18 s for every command, and
 * the same again for each worker thread of `compare --jobs N`. The bundles are made from tsc's
 * output, so they run exactly the compiled code (class fields as tsconfig says, and so on).
 * vega and vega-lite stay outside dist/cli.js: they load only when a report draws charts.
 *
 *   node scripts/build.mjs [--out <dir>] [--no-declarations]   (dist/ goes into <dir>, default .)
 */
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
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
  entryPoints: { cli: join(dist, "cli/main.js"), worker: join(dist, "compare/worker.js") },
  outdir: dist,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // Resolved from the repository, wherever dist/ is written (tests build into a private folder).
  nodePaths: [join(root, "node_modules")],
  external: ["vega", "vega-lite"],
  // CommonJS dependencies (yaml, commander, cli-progress) call require(); an ES bundle has none.
  banner: {
    js: 'import { createRequire as __routesimRequire } from "node:module"; const require = __routesimRequire(import.meta.url);',
  },
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
const cache = spawnSync(process.execPath, [join(root, "scripts", "vega-cache.mjs"), dist], {
  stdio: "inherit",
});
if (cache.status !== 0) process.exit(cache.status ?? 1);
