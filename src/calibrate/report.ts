/** Fit-quality table and provider-block YAML for `routesim calibrate`. */
import { isMap, parseDocument, stringify, type YAMLMap, type YAMLSeq } from "yaml";
import { CHECK_QUANTILES, type Fit } from "./fit.js";
import type { RunCalibration } from "./llmperf.js";

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function cells(f: Fit): string {
  return CHECK_QUANTILES.map(
    (_, i) => `${fmt(f.observed[i])} / ${fmt(f.simulated[i])} (${pct(f.simulated[i], f.observed[i])})`,
  ).join(" | ");
}

function pct(sim: number, obs: number): string {
  const d = (100 * (sim - obs)) / obs;
  return `${d >= 0 ? "+" : ""}${d.toFixed(1)} %`;
}

/** Markdown table: observed / simulated p50, p90, p99 of TTFT and inter-token latency per run. */
export function fitTable(runs: readonly RunCalibration[]): string {
  const head =
    "| run | ok / requests | errors | error rate obs / sim | TTFT fit | TTFT p50 ms obs / sim | p90 | p99 | ITL fit | ITL p50 ms/token obs / sim | p90 | p99 |";
  const sep = "|---|---:|---|---:|---|---:|---:|---:|---|---:|---:|---:|";
  const rows = runs.map((r) => {
    const errs = Object.entries(r.errors)
      .map(([k, v]) => `${v}× ${k}`)
      .join(", ");
    const rates = `${(100 * r.errorRate).toFixed(1)} / ${(100 * r.simulatedErrorRate).toFixed(1)} %`;
    return `| ${r.name} | ${r.ok} / ${r.requests} | ${errs || "–"} | ${rates} | ${r.ttft.kind} | ${cells(r.ttft)} | ${r.itl.kind} | ${cells(r.itl)} |`;
  });
  return [head, sep, ...rows].join("\n");
}

/** Provider blocks as YAML, each with a comment giving its source and fit quality. */
export function calibrationYaml(runs: readonly RunCalibration[], header: string[]): string {
  const doc = parseDocument(stringify({ providers: runs.map((r) => r.provider) }, { lineWidth: 0 }));
  doc.commentBefore = header.map((h) => ` ${h}`).join("\n");
  const seq = doc.get("providers", true) as unknown as YAMLSeq<YAMLMap>;
  runs.forEach((r, i) => {
    const item = seq.items[i];
    for (const pair of item.items) if (isMap(pair.value)) pair.value.flow = true;
    const worst = Math.max(r.ttft.maxError, r.itl.maxError);
    item.commentBefore = [
      ` ${r.name}: ${r.ok} of ${r.requests} requests with latencies${r.shortOutputs ? ` (${r.shortOutputs} short outputs kept)` : ""}; ` +
        `TTFT ${r.ttft.kind}, ITL ${r.itl.kind}; worst p50/p90/p99 error ${(100 * worst).toFixed(1)} %`,
      " price: LLMPerf has no prices; fill in",
    ].join("\n");
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
