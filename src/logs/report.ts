/** The calibration report of a gateway log (Markdown): fitted vs observed, predicted vs observed. */
import type { TopLevelSpec } from "vega-lite";
import { CHECK_QUANTILES, type Fit, quantile } from "../calibrate/fit.js";
import { type ChartRenderer, renderHere } from "../report/charts.js";
import { escapeHtml } from "../report/html.js";
import { compileDist } from "../rng/distributions.js";
import { Rng } from "../rng/rng.js";
import type { LogCalibration } from "./calibrate.js";
import type { Skipped } from "./litellm.js";

const f = (x: number): string =>
  !Number.isFinite(x)
    ? "–"
    : Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 10
        ? x.toFixed(1)
        : x.toFixed(3);
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;

function quantiles(fit: Fit | null): string {
  if (!fit) return "– | – | –";
  return CHECK_QUANTILES.map((_, i) => `${f(fit.observed[i])} / ${f(fit.simulated[i])}`).join(" | ");
}

export function calibrationMarkdown(c: LogCalibration, source: string, skipped: Skipped): string {
  const out: string[] = [`# Calibration of ${c.scenario.name}`, ""];
  out.push(
    `Source: ${source} · ${c.records} records, ${c.requests} requests over ${f(c.spanS)} s · ${c.fitRequests} requests in the fit part${c.holdout ? `, ${c.holdout.observed.requests} held out` : ""}.`,
    "",
  );
  if (skipped.not_chat || skipped.cache_hit)
    out.push(
      `Left out: ${skipped.not_chat} rows that are not chat completions, ${skipped.cache_hit} cache hits.`,
      "",
    );
  out.push(
    "## Endpoints",
    "",
    "Fitted over the fit part: observed / fitted (sampled from the fitted distribution) at p50 | p90 | p99.",
    "",
    "| endpoint | model | calls | error rate (base) | error mix | outages | TTFT from | TTFT ms p50 | p90 | p99 | tokens/s p50 | p90 | p99 | price $/M prompt, completion (from) |",
    "|---|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|---|",
  );
  for (const e of c.fits) {
    const p = e.provider as {
      name: string;
      model: string;
      error_mix?: Record<string, number>;
      price: { prompt: number; completion: number };
    };
    const mix = Object.entries(p.error_mix ?? {})
      .map(([k, v]) => `${k}: ${pct(v)}`)
      .join(", ");
    const outages = e.outages
      .map((w) => `${f(w.start_s)}–${f(w.start_s + w.duration_s)} s (${w.status})`)
      .join(", ");
    out.push(
      `| ${p.name} | ${p.model} | ${e.stats.calls} | ${pct(e.errorRate)} | ${mix || "–"} | ${outages || "–"} | ${e.ttftFrom === "ttft" ? "first token" : "whole latency (not streamed)"} | ${quantiles(e.ttft)} | ${quantiles(e.tps)} | ${p.price.prompt}, ${p.price.completion} (${e.priceFrom}) |`,
    );
  }
  out.push("");
  if (c.holdout) {
    const h = c.holdout;
    const ok = h.rows.filter((r) => r.ok).length;
    out.push(
      "## Predicted vs observed on the held-out part",
      "",
      `Policy **${h.policy}**, simulated on the held-out requests with the endpoints fitted above (outage windows as they were detected). Fidelity: ${ok} of ${h.rows.length} metrics within tolerance.`,
      "",
      "| metric | observed | predicted | error | tolerance | within |",
      "|---|---:|---:|---:|---:|---|",
    );
    for (const r of h.rows) {
      const isShare = r.metric.startsWith("provider share") || r.metric === "success rate";
      const v = (x: number) => (isShare ? pct(x) : f(x));
      const err = r.relative
        ? `${r.error >= 0 ? "+" : ""}${pct(r.error)}`
        : `${r.error >= 0 ? "+" : ""}${(100 * r.error).toFixed(2)} pp`;
      const tol = r.relative ? `± ${pct(r.tolerance)}` : `± ${(100 * r.tolerance).toFixed(0)} pp`;
      out.push(
        `| ${r.metric} | ${v(r.observed)} | ${v(r.predicted)} | ${err} | ${tol} | ${r.ok ? "yes" : "**no**"} |`,
      );
    }
    out.push("");
  }
  if (c.notes.length) out.push("## Notes", "", ...c.notes.map((n) => `- ${n}`), "");
  out.push(
    "## How to read this",
    "",
    "- The scenario replays the whole log as its traffic (the `.trace.csv` beside it) against these endpoints; add your own policies to compare them on the same traffic.",
    "- Error rate (base) leaves out failures inside detected outage windows (bins where most calls failed); those windows are written as `outages`.",
    "- Prices come from cost ÷ tokens: a least-squares split into prompt and completion prices, or one price for both when the split is not identifiable.",
    "- Without first-token times (calls not streamed), TTFT is fitted to the whole latency and decoding is instant, so end-to-end latency is right and TTFT is not.",
    "",
  );
  return out.join("\n");
}

const GRID = Array.from({ length: 99 }, (_v, i) => (i + 1) / 100);

/** Observed (the fit's sample) and fitted (draws from the fitted spec) quantiles, for a CDF chart. */
function cdfRows(
  c: LogCalibration,
  what: "ttft" | "tps",
): { endpoint: string; source: string; x: number; q: number }[] {
  const rows: { endpoint: string; source: string; x: number; q: number }[] = [];
  for (const e of c.fits) {
    const fit = what === "ttft" ? e.ttft : e.tps;
    const sample =
      what === "ttft" ? (e.ttftFrom === "ttft" ? e.stats.ttft.xs : e.stats.latency.xs) : e.stats.tps.xs;
    if (!fit || sample.length < 2) continue;
    const obs = [...sample].sort((a, b) => a - b);
    const d = compileDist(fit.spec);
    const rng = new Rng(0, "calibration-chart", e.provider.name, what);
    const sim = Float64Array.from({ length: 20_000 }, () => d.sample(rng)).sort();
    for (const q of GRID) {
      rows.push({ endpoint: e.provider.name, source: "observed", x: quantile(obs, q), q: 100 * q });
      rows.push({
        endpoint: e.provider.name,
        source: "fitted",
        x: quantile(sim as unknown as number[], q),
        q: 100 * q,
      });
    }
  }
  return rows;
}

function cdfSpec(title: string, axis: string, rows: ReturnType<typeof cdfRows>): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: {
      text: title,
      subtitle: "solid: observed in the log's fit part; dashed: the fitted distribution",
    },
    width: 640,
    height: 260,
    data: { values: rows },
    mark: { type: "line" },
    encoding: {
      x: { field: "x", type: "quantitative", title: axis, scale: { type: "log" } },
      y: { field: "q", type: "quantitative", title: "calls at or below (%)", scale: { domain: [0, 100] } },
      color: { field: "endpoint", type: "nominal" },
      strokeDash: { field: "source", type: "nominal", sort: ["observed", "fitted"] },
    },
  } as TopLevelSpec;
}

function holdoutSpec(c: LogCalibration): TopLevelSpec | null {
  if (!c.holdout) return null;
  const rows = c.holdout.rows
    .filter((r) => r.metric.startsWith("provider share") || r.metric === "success rate")
    .flatMap((r) => [
      { metric: r.metric, source: "observed", v: 100 * r.observed },
      { metric: r.metric, source: "predicted", v: 100 * r.predicted },
    ]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: "Held-out part: predicted vs observed", subtitle: `policy ${c.holdout.policy}` },
    width: 640,
    height: 220,
    data: { values: rows },
    mark: { type: "bar" },
    encoding: {
      y: { field: "metric", type: "nominal", title: null },
      yOffset: { field: "source" },
      x: { field: "v", type: "quantitative", title: "%", scale: { domain: [0, 100] } },
      color: { field: "source", type: "nominal" },
    },
  } as TopLevelSpec;
}

/** calibration.html: the fitted-vs-observed CDFs and the held-out comparison as charts. */
export async function calibrationHtml(
  c: LogCalibration,
  render: ChartRenderer = renderHere,
): Promise<string> {
  const specs = [
    cdfSpec("TTFT", "TTFT (ms, log scale)", cdfRows(c, "ttft")),
    cdfSpec("Decode speed", "tokens/s (log scale)", cdfRows(c, "tps")),
    ...[holdoutSpec(c)].filter((x): x is TopLevelSpec => x !== null),
  ];
  const svgs = await render(specs);
  const name = escapeHtml(String(c.scenario.name));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Calibration of ${name}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:760px;margin:2em auto;padding:0 1em}figure{margin:1.5em 0}</style>
</head><body><h1>Calibration of ${name}</h1>
<p>The tables (fit quality per quantile, prices, outage windows, predicted vs observed with tolerances) are in the calibration.md beside this page.</p>
${svgs.map((s) => `<figure>${s}</figure>`).join("\n")}
</body></html>
`;
}
