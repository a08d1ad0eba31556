/** report.html of a sweep: the sweep tables plus one chart per metric (mean with CI whiskers). */
import type { TopLevelSpec } from "vega-lite";
import { metricDef } from "../results/headline.js";
import type { SweepMeta, SweepPointResult } from "../results/sweep-folder.js";
import { type ChartRenderer, policyColor, renderHere } from "./charts.js";
import { pageHtml, tableHtml } from "./html.js";
import { SWEEP_METRICS, sweepModel } from "./sweep-markdown.js";

/**
 * One metric over the grid: the first axis along x (its values in the order given), one line per
 * policy, and with two or more axes one small panel per combination of the others. A single x of
 * "point 0, 1, 2 …" drew a 2-D grid as lines zig-zagging between its rows (issue 25 item 10).
 */
export function sweepChart(meta: SweepMeta, points: readonly SweepPointResult[], key: string): TopLevelSpec {
  const h = metricDef(key)!;
  const pct = h.unit === "fraction";
  const scale = pct ? 100 : 1;
  // Every sweep metric is ≥ 0, and percentages ≤ 100 %: a t-interval's whisker can reach past both.
  const clamp = (v: number): number => Math.max(0, pct ? Math.min(100, v) : v);
  const [along, ...others] = meta.axes;
  const panelOf = (p: SweepPointResult): string =>
    others.map((a) => `${a.path} = ${String(p.point.values[a.path])}`).join(", ");
  const data = points.flatMap((p) =>
    p.summary.policies
      .filter((x) => x.metrics[key].mean !== null)
      .map((x) => {
        const s = x.metrics[key];
        return {
          x: String(p.point.values[along.path]),
          panel: panelOf(p),
          policy: x.name,
          mean: scale * (s.mean as number),
          lo: clamp(scale * (s.lo ?? (s.mean as number))),
          hi: clamp(scale * (s.hi ?? (s.mean as number))),
        };
      }),
  );
  const x = {
    field: "x",
    type: "ordinal",
    title: along.path,
    sort: along.values.map(String),
    axis: { labelAngle: 0, labelLimit: 160 },
  } as const;
  const policies = [...new Set(points.flatMap((p) => p.summary.policies.map((x) => x.name)))];
  const color = policyColor(policies);
  const title = `${h.label}${pct ? " (%)" : h.unit === "usd" ? " (USD)" : h.unit === "ms" ? " (ms)" : ""}`;
  const layer = [
    {
      mark: { type: "line", point: true },
      encoding: { x, y: { field: "mean", type: "quantitative", title, scale: { zero: false } }, color },
    },
    {
      mark: { type: "rule" },
      encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
    },
  ];
  if (!others.length)
    return { title: { text: title }, width: 640, height: 220, data: { values: data }, layer } as TopLevelSpec;
  // Panels in grid order; three to a row, each narrower the more values the x axis has not.
  const panels = [...new Set(points.map(panelOf))];
  const columns = Math.min(panels.length, 3);
  return {
    title: { text: title, subtitle: `one panel per ${others.map((a) => a.path).join(" × ")}` },
    data: { values: data },
    columns,
    facet: { field: "panel", type: "ordinal", sort: panels, title: null },
    spec: { width: Math.max(160, Math.floor(600 / columns)), height: 180, layer },
    resolve: { scale: { y: "shared" } },
  } as TopLevelSpec;
}

export async function renderSweepHtml(
  meta: SweepMeta,
  points: readonly SweepPointResult[],
  render: ChartRenderer = renderHere,
): Promise<string> {
  const m = sweepModel(meta, points);
  const svgs = points.length
    ? await render(m.tables.map((_t, i) => sweepChart(meta, points, SWEEP_METRICS[i])))
    : [];
  const parts = m.tables.map(
    (t, i) =>
      `${tableHtml(t, { bestAt: 1 + meta.axes.length })}${svgs[i] ? `<figure>${svgs[i]}</figure>` : ""}`,
  );
  return pageHtml(m.title, m.intro, parts.join("\n"));
}
