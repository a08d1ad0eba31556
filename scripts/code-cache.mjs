/**
 * Part of the build (scripts/build.mjs): runs short comparisons through the bundles and saves V8's
 * code cache of each, so that later runs load them with the functions those runs used compiled
 * already (src/cached-bundle.ts):
 *   - dist/vega.cache: vega and vega-lite (dist/vega.cjs), after drawing every kind of comparison
 *     chart; those charts, one of each kind, are also saved as dist/vega-warmup.json, which a
 *     replication runner draws to warm vega up while it waits for the others (src/report/charts.ts);
 *   - dist/routesim.cache: the command line and the replication worker (dist/routesim.cjs), after
 *     `routesim compare` of the flagship and the perf-model scenarios.
 *
 *   node scripts/code-cache.mjs <dist>
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dist = resolve(process.argv[2]);
const root = resolve(import.meta.dirname, "..");
const load = (rel) => import(pathToFileURL(join(dist, rel)).href);

// vega, from the library's modules: a short flagship comparison has a frontier, latency CDF, errors
// and share charts, and one outage window.
const { compare } = await load("index.js");
const { renderCompareHtml } = await load("report/html.js");
const { vegaCodeCache, renderHere } = await load("report/charts.js");
const { data, summary } = await compare({
  source: { kind: "file", path: join(root, "scenarios/flagship.yaml") },
  replications: 2,
  requests: 6000,
  jobs: 1,
  outDir: null,
});
let drawn = [];
await renderCompareHtml(data, summary, async (specs) => {
  drawn = specs;
  return renderHere(specs);
});
const kinds = new Set();
const warmup = drawn.filter((spec) => {
  const kind = JSON.stringify(spec.mark ?? spec.layer?.map((l) => l.mark));
  return !kinds.has(kind) && kinds.add(kind);
});
writeFileSync(join(dist, "vega-warmup.json"), JSON.stringify(warmup));
const vegaCache = vegaCodeCache();
if (!vegaCache) throw new Error(`vega was not loaded from ${join(dist, "vega.cjs")}`);
writeFileSync(join(dist, "vega.cache"), vegaCache);

// The CLI bundle, as bin/routesim.js loads it, running comparisons on this thread (the functions a
// worker thread runs are the same).
const { loadCachedBundle } = await load("cached-bundle.js");
const cli = loadCachedBundle(join(dist, "routesim.cjs"));
// The worker's modules too (on this thread it serves nothing and returns).
await cli.exports.serveWorker();
const out = mkdtempSync(join(tmpdir(), "routesim-code-cache-"));
try {
  for (const scenario of ["flagship.yaml", "bench/perf-model.yaml"]) {
    const args = ["compare", join(root, "scenarios", scenario), "--replications", "2", "--requests", "2000"];
    const code = await cli.exports.main([...args, "--jobs", "1", "-q", "-o", join(out, "c")]);
    if (code !== 0) throw new Error(`routesim ${args.join(" ")} exited with ${code}`);
    rmSync(join(out, "c"), { recursive: true, force: true });
  }
  // `run` writes rows and report.md, which a comparison does not: its functions go in the cache too.
  for (const scenario of ["flagship.yaml", "bench/perf-model.yaml"]) {
    const args = ["run", join(root, "scenarios", scenario), "--requests", "2000"];
    const code = await cli.exports.main([...args, "-q", "-o", join(out, "r")]);
    if (code !== 0) throw new Error(`routesim ${args.join(" ")} exited with ${code}`);
    rmSync(join(out, "r"), { recursive: true, force: true });
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
writeFileSync(join(dist, "routesim.cache"), cli.script.createCachedData());
