/**
 * The comparison charts as Vega-Lite specs, compiled by vega-lite and rendered to SVG by vega in
 * Node (no canvas, no browser, no network): cost per success vs success rate with CI whiskers and
 * the efficient frontier, latency CDFs, provider share over time with outage windows shaded, and
 * the error rate over time.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Script } from "node:vm";
import type { TopLevelSpec } from "vega-lite";
import { loadCachedBundle } from "../cached-bundle.js";
import type { CompareData } from "../results/compare-folder.js";
import type { CompareSummary } from "../results/compare-summary.js";

const WIDTH = 640;
const FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";

const CONFIG = {
  font: FONT,
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#eee" },
  // labelLimit 0: no limit, so that long policy and endpoint names are never cut to "portkey-lb-fallba…".
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
  header: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
  title: { fontSize: 14, anchor: "start" as const },
};

/** vega and vega-lite load on first use, from dist/vega.cjs when built, else node_modules. */
// why this shape: docs/performance.md#loading-the-chart-renderer
const require = createRequire(import.meta.url);
type Renderer = { vega: typeof import("vega"); vl: typeof import("vega-lite") };
let renderer: Renderer | null = null;
let bundled: Script | null = null;

/** dist/vega.cjs, from the bundled CLI (dist/routesim.cjs) or the compiled library (dist/report/). */
function bundlePath(): string | null {
  for (const rel of ["./vega.cjs", "../vega.cjs"]) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return file;
  }
  return null;
}

function loadBundle(file: string): Renderer {
  const loaded = loadCachedBundle<Renderer>(file);
  bundled = loaded.script;
  return loaded.exports;
}

/** Loads vega and vega-lite now, if not yet loaded (a replication runner does this when it is idle). */
export function loadRenderer(): Renderer {
  if (!renderer) {
    const file = bundlePath();
    renderer = file ? loadBundle(file) : { vega: require("vega"), vl: require("vega-lite") };
  }
  return renderer;
}

/** V8's code cache of dist/vega.cjs with what has been compiled so far (the build saves it). */
export function vegaCodeCache(): Buffer | null {
  return bundled?.createCachedData() ?? null;
}

/**
 * Draws the build's warm-up charts (dist/vega-warmup.json: one comparison chart of each kind, saved
 * by scripts/code-cache.mjs), one at a time, until `stop()` says the real ones are wanted; the SVG
 * is thrown away. A runner that loaded vega because it ran out of replications before the others
 * does this while it waits. `stop` is asked before each chart, after a turn of the event loop (so
 * that messages are read in between); a chart begun is finished first.
 */
// why this shape: docs/performance.md#loading-the-chart-renderer
export async function warmUpCharts(
  stop: () => boolean,
  file = bundlePath()?.replace(/\.cjs$/, "-warmup.json"),
): Promise<void> {
  if (!file || !existsSync(file)) return;
  let specs: TopLevelSpec[];
  try {
    specs = JSON.parse(readFileSync(file, "utf8")) as TopLevelSpec[];
  } catch {
    return; // Only a warm-up: the real charts report their own errors.
  }
  for (const spec of specs) {
    await new Promise((resolve) => setImmediate(resolve));
    if (stop()) return;
    try {
      await renderSvg(spec);
    } catch {
      return;
    }
  }
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = loadRenderer();
  // Clip-path and gradient ids count up across views: start each chart from the same ids, so that
  // its SVG does not depend on what this thread drew before (the warm-up, another report).
  // (vega exports resetSVGDefIds from vega-scenegraph; its type declarations leave it out.)
  (vega as unknown as { resetSVGDefIds(): void }).resetSVGDefIds();
  const compiled = vl.compile({
    ...spec,
    config: { ...CONFIG, ...(spec.config ?? {}) },
  } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/**
 * Draws chart specs as SVG, in order. Reports take one, so that a comparison run on several
 * threads can have its charts drawn by whichever thread loaded vega while it had nothing else to
 * do (src/pool/pool.ts); the SVG is the same wherever it is drawn.
 */
export type ChartRenderer = (specs: readonly TopLevelSpec[]) => Promise<string[]>;

/** Draws the charts on this thread. */
export const renderHere: ChartRenderer = async (specs) => {
  const out: string[] = [];
  for (const spec of specs) out.push(await renderSvg(spec));
  return out;
};

/** Policies on the cost/success frontier: nobody else is at least as good on both and better on one. */
export function frontier(points: readonly { name: string; success: number; cost: number }[]): string[] {
  return points
    .filter(
      (p) =>
        !points.some(
          (q) =>
            q !== p &&
            q.success >= p.success &&
            q.cost <= p.cost &&
            (q.success > p.success || q.cost < p.cost),
        ),
    )
    .map((p) => p.name);
}

/**
 * Tableau 10, then Tableau 20's light shades and dark grey: 20 distinct colours before a repeat. A
 * policy's colour is its place in the scenario's policy list, so the same policy has the same
 * colour in every chart of a report (and in a sweep's charts), whichever policies a chart shows.
 */
// biome-ignore format: two rows of ten
export const PALETTE = [
  "#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
  "#9ecae9", "#ffbf79", "#ff9d98", "#83bcb6", "#88d27a", "#f2cf5b", "#d6a5c9", "#fcbfd2", "#d8b5a5", "#79706e",
];

/** An explicit domain → colour mapping (no scheme: a scheme of 10 repeats colours from the 11th name). */
export function colorScale(domain: readonly string[]): { domain: string[]; range: string[] } {
  return { domain: [...domain], range: domain.map((_d, i) => PALETTE[i % PALETTE.length]) };
}

/** One colour per policy, the same in every chart (scenario order). */
export function policyColor(policies: readonly string[], title = "policy"): object {
  return { field: "policy", type: "nominal", title, scale: colorScale(policies) };
}

/** Percentages stay within 0–100 % (a t-interval's whisker can reach past them). */
const pct = (x: number): number => Math.min(100, Math.max(0, x));

/**
 * The x range of the frontier chart: the success rates and their whiskers, a little margin, never
 * past 100 % (issue 25 item 5: the padded, rounded scale ran to 105 %), at least 2 points wide.
 */
export function successDomain(lo: number, hi: number): [number, number] {
  const span = Math.max(hi - lo, 2);
  const pad = 0.06 * span;
  const top = Math.min(100, hi + pad);
  return [Math.max(0, Math.min(lo - pad, top - span)), top];
}

/**
 * The Pareto frontier drawn as a staircase: at success rate x, the lowest cost per success of a
 * policy with success at least x, from the left edge of the chart to the most successful policy on
 * the frontier. Policies above or left of it are beaten on both axes; with one undominated policy
 * it is a level line to that policy (a line through the frontier points alone drew nothing then).
 */
export function frontierSteps(
  points: readonly { success: number; cost: number }[],
  left: number,
): { success: number; cost: number; step: number }[] {
  const sorted = [...points].sort((a, b) => a.success - b.success || a.cost - b.cost);
  const out: { success: number; cost: number }[] = [];
  let x = left;
  for (const p of sorted) {
    out.push({ success: x, cost: p.cost }, { success: p.success, cost: p.cost });
    x = p.success;
  }
  return out.map((p, step) => ({ ...p, step }));
}

export function frontierSpec(s: CompareSummary): TopLevelSpec {
  const color = policyColor(s.policies.map((p) => p.name));
  const rows = s.policies
    .filter((p) => p.metrics.successRate.mean !== null && p.metrics.costPerSuccessUsd.mean !== null)
    .map((p) => {
      const sr = p.metrics.successRate;
      const c = p.metrics.costPerSuccessUsd;
      return {
        policy: p.name,
        success: 100 * (sr.mean as number),
        successLo: pct(100 * (sr.lo ?? (sr.mean as number))),
        successHi: pct(100 * (sr.hi ?? (sr.mean as number))),
        cost: 1000 * (c.mean as number),
        costLo: Math.max(0, 1000 * (c.lo ?? (c.mean as number))),
        costHi: 1000 * (c.hi ?? (c.mean as number)),
      };
    });
  const onFrontier = new Set(
    frontier(rows.map((r) => ({ name: r.policy, success: r.success, cost: r.cost }))),
  );
  const data = rows.map((r) => ({ ...r, frontier: onFrontier.has(r.policy) }));
  // No policy with figures (none served a request): an empty chart over the whole range.
  const domain: [number, number] = rows.length
    ? successDomain(Math.min(...rows.map((r) => r.successLo)), Math.max(...rows.map((r) => r.successHi)))
    : [0, 100];
  const steps = frontierSteps(
    data.filter((r) => r.frontier),
    domain[0],
  );
  const x = {
    field: "success",
    type: "quantitative",
    title: "success rate (%)",
    scale: { domain, nice: false, zero: false },
  } as const;
  const y = {
    field: "cost",
    type: "quantitative",
    title: "cost per success (USD per 1,000 requests)",
    scale: { zero: false, padding: 20 },
  } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "Cost per success vs success rate",
      subtitle:
        "mean with 95 % CI whiskers; dashed staircase = Pareto frontier (squares); down and to the right is better",
    },
    width: WIDTH,
    height: 340,
    layer: [
      {
        data: { values: steps },
        mark: { type: "line", color: "#888", strokeDash: [4, 3] },
        encoding: { x, y, order: { field: "step" } },
      },
      {
        data: { values: data },
        layer: [
          {
            mark: { type: "rule", strokeWidth: 2 },
            encoding: { x: { ...x, field: "successLo" }, x2: { field: "successHi" }, y, color },
          },
          {
            mark: { type: "rule", strokeWidth: 2 },
            encoding: { x, y: { ...y, field: "costLo" }, y2: { field: "costHi" }, color },
          },
          {
            mark: { type: "point", filled: true, size: 90 },
            encoding: {
              x,
              y,
              color,
              shape: {
                field: "frontier",
                type: "nominal",
                title: "on the frontier",
                scale: { domain: [true, false], range: ["square", "circle"] },
              },
            },
          },
          // Names right of their point, or left of it in the right half, where they would run
          // into the legend (points at 100 % sit on the edge of the chart).
          ...[true, false].map((right) => ({
            transform: [{ filter: `(datum.success > ${(domain[0] + domain[1]) / 2}) == ${right}` }],
            mark: { type: "text", dx: right ? -8 : 8, dy: -8, align: right ? "right" : "left", fontSize: 11 },
            encoding: { x, y, text: { field: "policy" } },
          })),
        ],
      },
    ],
  } as TopLevelSpec;
}

/**
 * Share of all requests served within x ms: the served requests' latency quantiles, scaled by the
 * policy's mean success rate, so a curve levels off at its success rate and fast failures never
 * look like fast answers (issue 25 item 4).
 */
export function latencyCdfSpec(d: CompareData, s: CompareSummary): TopLevelSpec {
  const success = new Map(s.policies.map((p) => [p.name, p.metrics.successRate.mean ?? 1]));
  const rate = (p: string): number => success.get(p) ?? 1;
  const data = d.cdf
    .filter((r) => r.latencyMs > 0)
    .map((r) => ({ policy: r.policy, q: 100 * r.quantile * rate(r.policy), ms: r.latencyMs }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "Requests served within a latency",
      subtitle:
        "end to end, of all requests: each curve levels off at the policy's success rate; log scale; up and to the left is better",
    },
    width: WIDTH,
    height: 300,
    data: { values: data },
    mark: { type: "line", interpolate: "monotone" },
    encoding: {
      x: { field: "ms", type: "quantitative", title: "latency (ms, log scale)", scale: { type: "log" } },
      y: {
        field: "q",
        type: "quantitative",
        title: "requests served within (%)",
        scale: { domain: [0, 100] },
      },
      color: policyColor(d.meta.policies),
    },
  } as TopLevelSpec;
}

/** Outage windows as rectangles (replication 0's; scheduled ones are the same in all). */
function outageRects(d: CompareData): { start: number; end: number; what: string }[] {
  const first = d.outages[0]?.replication;
  return d.outages
    .filter((o) => o.replication === first)
    .map((o) => ({
      start: o.startS,
      end: o.endS,
      what: `${o.endpoint} ${o.status} (${Math.round(100 * o.errorRate)} %)`,
    }));
}

/** Outage windows: red bands behind line charts, or dashed outlines on top of filled areas. */
function outageLayer(d: CompareData, style: "band" | "outline"): object[] {
  const rects = outageRects(d);
  if (!rects.length) return [];
  const mark =
    style === "band"
      ? { type: "rect", opacity: 0.18, color: "#d62728" }
      : { type: "rect", fillOpacity: 0, stroke: "#b00", strokeWidth: 2, strokeDash: [6, 3] };
  return [
    {
      data: { values: rects },
      mark,
      encoding: { x: { field: "start", type: "quantitative" }, x2: { field: "end" } },
    },
    {
      data: { values: rects },
      mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3, fontSize: 10, color: "#900" },
      encoding: { x: { field: "start", type: "quantitative" }, y: { value: 0 }, text: { field: "what" } },
    },
  ];
}

export function shareSpec(d: CompareData, policy: string): TopLevelSpec {
  const rows = d.timeline.filter((r) => r.policy === policy);
  const served = new Map<number, number>();
  for (const r of rows)
    if (r.series.startsWith("served:")) served.set(r.tS, (served.get(r.tS) ?? 0) + r.count);
  const data = rows
    .filter((r) => r.series.startsWith("served:"))
    .map((r) => ({ t: r.tS, provider: r.series.slice(7), share: (100 * r.count) / (served.get(r.tS) || 1) }));
  const tags = d.meta.endpoints.map((e) => e.tag);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: `Provider share over time: ${policy}`,
      subtitle: "share of served requests by arrival time, all replications; dashed boxes = outage windows",
    },
    width: WIDTH,
    height: 180,
    layer: [
      {
        data: { values: data },
        mark: { type: "area", interpolate: "step-after", opacity: 0.9 },
        encoding: {
          x: { field: "t", type: "quantitative", title: "simulated time (s)" },
          y: {
            field: "share",
            type: "quantitative",
            stack: "zero",
            title: "share (%)",
            scale: { domain: [0, 100] },
          },
          color: {
            field: "provider",
            type: "nominal",
            sort: tags,
            // Every endpoint of the scenario, in its order: an endpoint has one colour across the
            // per-policy charts, whether or not a policy used it.
            scale: colorScale(tags),
            title: "endpoint",
          },
          order: { field: "provider" },
        },
      },
      // On top: the stacked area fills the whole height, so a band behind it would be hidden.
      ...outageLayer(d, "outline"),
    ],
  } as TopLevelSpec;
}

export function errorsSpec(d: CompareData): TopLevelSpec {
  const req = new Map<string, number>();
  for (const r of d.timeline) if (r.series === "requests") req.set(`${r.policy}|${r.tS}`, r.count);
  const data = d.timeline
    .filter((r) => r.series === "failed")
    .map((r) => ({
      t: r.tS,
      policy: r.policy,
      rate: (100 * r.count) / (req.get(`${r.policy}|${r.tS}`) || 1),
    }));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: "Failed requests over time",
      subtitle:
        "% of requests arriving in each interval that finally failed, all replications; red bands = outage windows",
    },
    width: WIDTH,
    height: 240,
    layer: [
      ...outageLayer(d, "band"),
      {
        data: { values: data },
        mark: { type: "line", interpolate: "step-after" },
        encoding: {
          x: { field: "t", type: "quantitative", title: "simulated time (s)" },
          y: { field: "rate", type: "quantitative", title: "failed (%)" },
          color: policyColor(d.meta.policies),
        },
      },
    ],
  } as TopLevelSpec;
}
