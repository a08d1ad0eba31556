/** The calibration report of a gateway log (Markdown): fitted vs observed, predicted vs observed. */
import { CHECK_QUANTILES, type Fit } from "../calibrate/fit.js";
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
