/** report.md of a sweep: per headline metric, one row per grid point and one column per policy. */

import { metricDef } from "../results/headline.js";
import { pointDir, type SweepMeta, type SweepPointResult } from "../results/sweep-folder.js";
import { metricLabel, type ReportTable, table, winnerCell } from "./compare-markdown.js";
import { stat } from "./format.js";
import { mdEscape } from "./markdown.js";

export const SWEEP_METRICS = [
  "successRate",
  "costPerSuccessUsd",
  "latencyP99Ms",
  "attemptsPerRequest",
  "wastedSpendUsd",
];

export interface SweepModel {
  title: string;
  intro: string[];
  tables: ReportTable[];
}

export function sweepModel(meta: SweepMeta, points: readonly SweepPointResult[]): SweepModel {
  const policies = [...new Set(points.flatMap((p) => p.summary.policies.map((x) => x.name)))];
  const missing = meta.grid.map((g) => g.index).filter((i) => !meta.points.includes(i));
  const intro = [
    // A partial merge says so first: its tables lack those points.
    ...(!meta.shard && missing.length
      ? [`**Partial sweep: grid points ${missing.join(", ")} of ${meta.grid.length} are missing.**`]
      : []),
    `Grid: ${meta.axes.map((a) => `\`${a.path}\` ∈ {${a.values.join(", ")}}`).join(" × ")} → ${meta.grid.length} points, ${meta.replications} replications each (mean ± 95 % CI half-width).`,
    meta.shard
      ? `This folder is shard ${meta.shard.index}/${meta.shard.count}: points ${meta.points.join(", ") || "none"}. Combine shards with \`routesim merge\`.`
      : missing.length
        ? `Missing grid points (no shard had them): ${missing.join(", ")}.`
        : "All grid points present.",
    "Each point has its full comparison report under `points/pNNNN/`.",
  ];
  const tables: ReportTable[] = SWEEP_METRICS.map((key) => {
    const h = metricDef(key)!;
    return {
      id: key,
      title: metricLabel(h),
      note: `${h.better === "higher" ? "Higher" : "Lower"} is better.`,
      head: ["point", ...meta.axes.map((a) => `\`${a.path}\``), ...policies, "best"],
      rows: points.map((p) => [
        `[${p.point.index}](points/${pointDir(p.point.index)}/report.md)`,
        ...meta.axes.map((a) => mdEscape(String(p.point.values[a.path]))),
        ...policies.map((name) => {
          const ps = p.summary.policies.find((x) => x.name === name);
          return ps ? stat(ps.metrics[key], h.unit) : "–";
        }),
        winnerCell(p.summary, key),
      ]),
    };
  });
  return { title: `routesim sweep: ${mdEscape(meta.scenario)}`, intro, tables };
}

export function renderSweepMarkdown(meta: SweepMeta, points: readonly SweepPointResult[]): string {
  const m = sweepModel(meta, points);
  const out = [`# ${m.title}`, ""];
  for (const p of m.intro) out.push(p, "");
  for (const t of m.tables) out.push(`## ${t.title}`, "", t.note, "", table(t.head, t.rows), "");
  return out.join("\n");
}
