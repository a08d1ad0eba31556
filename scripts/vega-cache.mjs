/**
 * Part of the build (scripts/build.mjs): draws every kind of comparison chart once with the
 * bundled vega (dist/vega.cjs), then saves V8's code cache of that bundle as dist/vega.cache, so
 * that later runs load vega and draw their first charts with those functions compiled already.
 *
 *   node scripts/vega-cache.mjs <dist>
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dist = resolve(process.argv[2]);
const root = resolve(import.meta.dirname, "..");
const load = (rel) => import(pathToFileURL(join(dist, rel)).href);
const { compare } = await load("index.js");
const { renderCompareHtml } = await load("report/html.js");
const { vegaCodeCache, renderHere } = await load("report/charts.js");

// A short flagship comparison: frontier, latency CDF, errors and share charts, one outage window.
const { data, summary } = await compare({
  source: { kind: "file", path: join(root, "scenarios/flagship.yaml") },
  replications: 2,
  requests: 6000,
  jobs: 1,
  outDir: null,
});
// The charts are kept too: a runner that loads vega while it waits for the others draws one of each
// kind to warm it up (warmUpCharts in src/report/charts.ts).
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
const cache = vegaCodeCache();
if (!cache) throw new Error(`vega was not loaded from ${join(dist, "vega.cjs")}`);
writeFileSync(join(dist, "vega.cache"), cache);
