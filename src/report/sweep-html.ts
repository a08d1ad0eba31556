/** report.html of a sweep: the sweep tables plus one chart per metric (mean with CI whiskers). */
import type { TopLevelSpec } from "vega-lite";
import { metricDef } from "../compare/defs.js";
import type { SweepMeta, SweepPointResult } from "../compare/sweep-run.js";
import { type ChartRenderer, renderHere } from "./charts.js";
import { pageHtml, tableHtml } from "./html.js";
import { SWEEP_METRICS, sweepModel } from "./sweep-markdown.js";

function sweepChart(meta: SweepMeta, points: readonly SweepPointResult[], key: string): TopLevelSpec {
  const h = metricDef(key)!;
  const scale = h.unit === "fraction" ? 100 : 1;
  const data = points.flatMap((p) =>
    p.summary.policies
      .filter((x) => x.metrics[key].mean !== null)
      .map((x) => {
        const s = x.metrics[key];
        return {
          point: `${p.point.index}: ${meta.axes.map((a) => String(p.point.values[a.path])).join(" / ")}`,
          policy: x.name,
          mean: scale * (s.mean as number),
          lo: scale * (s.lo ?? (s.mean as number)),
          hi: scale * (s.hi ?? (s.mean as number)),
        };
      }),
  );
  const x = {
    field: "point",
    type: "ordinal",
    title: `grid point: ${meta.axes.map((a) => a.path).join(" / ")}`,
    sort: null,
    axis: { labelAngle: 0, labelLimit: 160 },
  } as const;
  const policies = [...new Set(points.flatMap((p) => p.summary.policies.map((x) => x.name)))];
  const color = {
    field: "policy",
    type: "nominal",
    scale: { domain: policies, scheme: "tableau10" },
  } as const;
  const title = `${h.label}${h.unit === "fraction" ? " (%)" : h.unit === "usd" ? " (USD)" : h.unit === "ms" ? " (ms)" : ""}`;
  return {
    title: { text: title },
    width: 640,
    height: 220,
    data: { values: data },
    layer: [
      {
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: { field: "mean", type: "quantitative", title, scale: { zero: false } },
          color,
        },
      },
      {
        mark: { type: "rule" },
        encoding: {
          x,
          y: { field: "lo", type: "quantitative" },
          y2: { field: "hi" },
          color,
        },
      },
    ],
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
  const parts = m.tables.map((t, i) => `${tableHtml(t)}${svgs[i] ? `<figure>${svgs[i]}</figure>` : ""}`);
  return pageHtml(m.title, m.intro, parts.join("\n"));
}
