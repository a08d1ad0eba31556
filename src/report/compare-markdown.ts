/** report.md for a comparison: tables with units and CIs, winners, a plain-language summary. */

import { numericOrder } from "../metrics/order.js";
import { timeoutText } from "../policies/describe.js";
import type { CompareData, CompareMeta } from "../results/compare-folder.js";
import type { CompareSummary, PolicyStats } from "../results/compare-summary.js";
import { COUNTS_FAILURES, HEADLINE, type MetricDef, metricDef } from "../results/headline.js";
import { excludesZero, type Stat } from "../stats/ci.js";
import { absDiff, failsCaveat, relDiff, sloText, stat, thousands, unitLabel, value } from "./format.js";
import { mdEscape, mdEscapeLines } from "./markdown.js";

export function table(head: string[], rows: string[][]): string {
  const line = (r: string[]): string => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map((_h, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

/** Headline metrics that have a value for at least one policy. */
export function shownMetrics(s: CompareSummary): MetricDef[] {
  return HEADLINE.filter((h) => s.policies.some((p) => p.metrics[h.key].mean !== null));
}

export function metricLabel(h: MetricDef): string {
  return `${h.label} (${unitLabel(h.unit)})`;
}

/** "best" or "≈ best" when the runner-up is within the interval. */
export function winnerCell(s: CompareSummary, key: string): string {
  const w = s.winners.find((x) => x.metric === key);
  if (!w?.best) return "–";
  // No "best" where every policy has the same value ($0 wasted spend for all): issue 25 item 5.
  const means = s.policies.map((p) => p.metrics[key].mean).filter((m): m is number => m !== null);
  if (
    means.length > 1 &&
    means.every((m) => Math.abs(m - means[0]) <= 1e-12 * Math.max(1, Math.abs(means[0])))
  )
    return "all equal";
  const caveat = successCaveat(s, key, w.best);
  if (!w.runnerUp) return `${w.best}${caveat}`;
  return `${w.clear ? `**${w.best}**` : `${w.best} ≈ ${w.runnerUp}`}${caveat}`;
}

/**
 * ", but fails 48.0 %" when a metric's best policy serves far less than the most successful one (more
 * than a percentage point): a policy failing fast with 429s is not the latency winner (issue 25
 * item 4). Empty for success rate and goodput, which count failures themselves.
 */
export function successCaveat(s: CompareSummary, key: string, best: string): string {
  if (COUNTS_FAILURES.has(key)) return "";
  const top = Math.max(...s.policies.map((x) => x.metrics.successRate.mean ?? 0));
  const sr = s.policies.find((x) => x.name === best)?.metrics.successRate.mean ?? 0;
  return failsCaveat(top, sr);
}

const direction = (d: Stat, better: "higher" | "lower", words: [string, string]): string =>
  (d.mean as number) < 0 ? words[better === "lower" ? 0 : 1] : words[better === "lower" ? 1 : 0];

/** Plain-language sentences (Markdown emphasis) about the winners and the baseline comparisons. */
export function plainSummary(s: CompareSummary, batches = false, slo: string | null = null): string[] {
  const unit = batches ? "batches" : "replications";
  const out: string[] = [];
  const wins = (key: string, what: string): void => {
    const w = s.winners.find((x) => x.metric === key);
    const h = metricDef(key)!;
    if (!w?.best) return;
    const p = s.policies.find((x) => x.name === w.best)!;
    const tie =
      w.runnerUp && !w.clear && w.margin?.lo != null
        ? ` (not distinguishable from **${w.runnerUp}** at ${s.replications} ${unit})`
        : "";
    // A fast or cheap policy that fails many requests is not a winner without a caveat.
    const sr = p.metrics.successRate.mean ?? 0;
    const caveat = successCaveat(s, key, p.name)
      ? `, but it fails ${value(1 - sr, "fraction")} of requests`
      : "";
    out.push(
      `**${w.best}** has the ${what}: ${stat(p.metrics[key], h.unit)}${h.unit === "ms" ? " ms" : ""}${tie}${caveat}.`,
    );
  };
  if (s.replications < 2)
    out.push(
      batches
        ? "One batch gives no confidence intervals: use `--batches 2` or more (or a longer run) to tell noise from differences."
        : "One replication gives no confidence intervals: run `--replications 2` or more to tell noise from differences.",
    );
  if (slo) wins("goodput", `highest goodput (requests served within ${slo})`);
  wins("successRate", "highest success rate");
  wins("costPerSuccessUsd", "lowest cost per successful request");
  wins("servedLatencyP99Ms", "lowest p99 latency of successful requests");
  for (const d of s.differences) {
    const parts: string[] = [];
    for (const [key, words] of [
      ["costPerSuccessUsd", ["cheaper per success", "more expensive per success"]],
      ["servedLatencyP99Ms", ["faster at p99", "slower at p99"]],
    ] as const) {
      const r = d.metrics[key].relative;
      if (r.mean === null) continue;
      const h = metricDef(key)!;
      const sig = excludesZero(r) ? "" : ", within noise";
      parts.push(
        `${(100 * Math.abs(r.mean)).toFixed(1)} % ${direction(r, h.better, words as unknown as [string, string])}${
          r.lo !== null && r.hi !== null ? ` (± ${((100 * (r.hi - r.lo)) / 2).toFixed(1)} %${sig})` : ""
        }`,
      );
    }
    const sr = d.metrics.successRate.absolute;
    if (sr.mean !== null)
      parts.push(
        `success rate ${absDiff(sr, "fraction")}${excludesZero(sr) || sr.lo === null ? "" : " (within noise)"}`,
      );
    if (parts.length) out.push(`**${d.policy}** vs **${d.baseline}**: ${parts.join(", ")}.`);
  }
  if (s.precision.length) {
    // The need that matters is the decision metrics' (goodput, success, cost, p99), not that of
    // a noisy secondary one (issue 25 item 5); the table lists them all.
    const key = ["goodput", "successRate", "costPerSuccessUsd", "servedLatencyP99Ms"];
    const primary = s.precision.filter((x) => key.includes(x.metric));
    const decision = `${slo ? "goodput, " : ""}success rate, cost per success and p99 latency of successes`;
    if (!primary.length)
      out.push(
        `The intervals of ${decision} are within the target; ${s.precision.length} interval(s) of secondary metrics are wider (see "Precision" below).`,
      );
    else {
      const worst = [...primary].sort((a, b) => (b.replicationsNeeded ?? 0) - (a.replicationsNeeded ?? 0))[0];
      out.push(
        `${s.precision.length} interval(s) are wider than the target; among ${decision} the widest needs ${worst.replicationsNeeded ?? "?"} ${unit} (${worst.policy}, ${metricDef(worst.metric)?.label ?? worst.metric}). See "Precision" below.`,
      );
    }
  }
  return out;
}

function groupTable(
  s: CompareSummary,
  pick: (p: PolicyStats) => Record<string, Stat>,
  unit: "fraction" | "ratio",
): { head: string[]; rows: string[][] } | null {
  const keys = [...new Set(s.policies.flatMap((p) => Object.keys(pick(p))))].sort(numericOrder);
  if (!keys.length) return null;
  return {
    head: ["", ...s.policies.map((p) => p.name)],
    rows: keys.map((k) => [
      mdEscape(k),
      ...s.policies.map((p) => (pick(p)[k] ? stat(pick(p)[k], unit) : "–")),
    ]),
  };
}

const pctOf = (x: Stat | undefined): string => (x?.mean == null ? "–" : stat(x, "fraction"));

/**
 * "Why traffic went where it went" (issue 25 item 8): per policy, for each endpoint it could use,
 * the share it served next to how often it was tried first, left out, deprioritised, or retried
 * onto, with a sentence naming what kept an endpoint's share down.
 */
function whyTables(s: CompareSummary, batches: boolean): ReportTable[] {
  const out: ReportTable[] = [];
  const has = (x: Stat | undefined): boolean => x?.mean != null;
  for (const p of s.policies) {
    const w = p.why;
    if (!w) continue;
    const labels = Object.keys(w.first).filter((k) =>
      [w.first[k], p.providerShare[k], w.retried[k], w.leftOut[k]].some((x) => (x?.mean ?? 0) > 0),
    );
    if (!labels.length) continue;
    const measuredLeftOut = labels.some((k) => has(w.leftOut[k]));
    const measuredGroups = labels.some((k) => has(w.deprioritised[k]));
    const sentences: string[] = [];
    const always = labels.filter((k) => (w.leftOut[k]?.mean ?? 0) >= 0.999);
    if (always.length)
      sentences.push(
        `Left out of every request for their model: ${always.map((k) => `**${mdEscape(k)}**`).join(", ")}.`,
      );
    for (const k of labels) {
      const dep = w.deprioritised[k]?.mean ?? 0;
      const left = w.leftOut[k]?.mean ?? 0;
      const ws = w.weightShare[k]?.mean;
      const served = p.providerShare[k]?.mean ?? 0;
      const name = `**${mdEscape(k)}** served ${value(served, "fraction")}`;
      if (dep >= 0.2 && ws != null && served < 0.8 * ws)
        sentences.push(
          `${name} (${value(ws, "fraction")} by price weight): recent failures deprioritised it in ${value(dep, "fraction")} of its decisions.`,
        );
      else if (ws != null && served > 1.25 * ws && served - ws > 0.02)
        sentences.push(
          `${name} with ${value(ws, "fraction")} of the price weight: it was first in line while others were deprioritised (itself in ${value(dep, "fraction")} of its decisions).`,
        );
      else if (dep >= 0.2)
        sentences.push(
          `${name}: recent failures deprioritised it in ${value(dep, "fraction")} of its decisions.`,
        );
      if (left >= 0.2 && left < 0.999)
        sentences.push(
          `**${mdEscape(k)}** was left out of ${value(left, "fraction")} of the requests for its model.`,
        );
    }
    // The columns' meaning once, under the first of these tables.
    const legend = out.length
      ? ""
      : ` Served: share of served requests. First try: share of all requests whose first attempt went there.${measuredLeftOut ? " Left out: share of the requests for the endpoint's model whose routing decision did not include it (filters, cooldowns, ejections, `only`/`ignore`)." : batches ? " What the gateway left out is not known from a run folder." : ""}${measuredGroups ? " Weight share: its share of the load-balancing weight (OpenRouter: 1/price², 1/price in lb v1) among the endpoints ranked, the share it would get if all were healthy. Deprioritised: share of the decisions that ranked it that put it in a lower health group (OpenRouter's load balancing after recent failures; – where the decision does not say)." : ""} After a failure: attempts per request sent there after an earlier attempt failed.`;
    const rejected =
      (w.rejected.mean ?? 0) > 0
        ? ` ${value(w.rejected.mean, "fraction")} of requests were rejected before any attempt.`
        : "";
    out.push({
      id: `why-${out.length}`,
      title: `Why traffic went where it went: ${p.name}`,
      note: `${sentences.join(" ")}${rejected}${legend}`.trim() || "Columns as in the first of these tables.",
      head: [
        "endpoint",
        "served",
        "first try",
        ...(measuredLeftOut ? ["left out"] : []),
        ...(measuredGroups ? ["weight share", "deprioritised"] : []),
        "after a failure",
      ],
      rows: labels.map((k) => [
        mdEscape(k),
        pctOf(p.providerShare[k]),
        pctOf(w.first[k]),
        ...(measuredLeftOut ? [pctOf(w.leftOut[k])] : []),
        ...(measuredGroups ? [pctOf(w.weightShare[k]), pctOf(w.deprioritised[k])] : []),
        has(w.retried[k]) ? stat(w.retried[k], "ratio") : "–",
      ]),
    });
  }
  return out;
}

/** One table of the report, shared by report.md and report.html. Cells may use **bold** and `code`. */
export interface ReportTable {
  id: string;
  title: string;
  note: string;
  head: string[];
  rows: string[][];
}

/** Everything both reports say, in order. */
export interface ReportModel {
  title: string;
  intro: string[];
  summary: string[];
  tables: ReportTable[];
  outagesNote: string;
  outages: string[];
  notes: string[];
}

/** How a comparison of single runs was measured: batch means (see experiment/batch-means.ts). */
function batchIntro(m: CompareMeta, bm: NonNullable<CompareMeta["batchMeans"]>): string[] {
  const from = bm.sources.map(
    (x) =>
      `**${x.policy}**: ${x.kind === "live" ? `live through ${x.gateway} (time scale ${x.timeScale}×)` : "simulated"}, ${thousands(x.requests)} requests`,
  );
  return [
    `One run per policy, not replications · seed ${m.seed} · ${m.endpoints.length} endpoints · ${m.policies.length} policies · routesim ${m.routesimVersion}`,
    `Where each policy comes from: ${from.join("; ")}.`,
    `Each run's requests, in arrival order, are cut into ${bm.batches} consecutive batches of about ${thousands(m.requests)}; every figure is the mean of the batch values ± the half-width of its ${Math.round(100 * m.confidence)} % t-interval (batch means). This treats batches as independent, which holds when a batch is much longer than what correlates requests (outage windows, cooldowns); quantiles of small batches (p99 of fewer than 100 requests) run low. Runs of the same traffic hold the same requests in batch k, so differences against **${m.baseline}** are paired by batch. Time to recover and load during incidents are measured once over each whole run (no interval).`,
  ];
}

export function reportModel(d: CompareData, s: CompareSummary): ReportModel {
  const m = d.meta;
  const intro: string[] = [];
  if (m.description) intro.push(mdEscapeLines(m.description.trim()));
  if (m.point)
    intro.push(
      `Sweep point: ${Object.entries(m.point)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(", ")}`,
    );
  const bm = m.batchMeans;
  if (bm) intro.push(...batchIntro(m, bm));
  else
    intro.push(
      `${m.replications} replications × ${thousands(m.requests)} requests per policy · root seed ${m.seed} · ${m.endpoints.length} endpoints · ${m.policies.length} policies · routesim ${m.routesimVersion}`,
      `Every figure is the mean across replications ± the half-width of its ${Math.round(100 * m.confidence)} % t-interval. Differences are paired by replication against the baseline **${m.baseline}**: each replication gives every policy the same arrivals, token sizes and provider draws (common random numbers).`,
    );
  const shown = shownMetrics(s);
  const tables: ReportTable[] = [];
  // What the simulation could not reproduce comes before any figure built on it (issue 25 item 2).
  if (m.warnings?.length)
    tables.push({
      id: "warnings",
      title: "Warnings",
      note: "Settings the simulation cannot reproduce, and legal but suspicious values (also printed on the console).",
      head: ["warning"],
      rows: m.warnings.map((w) => [mdEscape(w)]),
    });
  tables.push({
    id: "headline",
    title: "Headline metrics",
    note: `Best in **bold** when the paired difference to the runner-up excludes zero; \`a ≈ b\` when the ${bm ? "batches" : "replications"} cannot tell them apart; "but fails …" when the best serves over a percentage point less than the most successful policy. ${m.slo ? `Goodput: requests served with ${sloText(m.slo)} (the scenario's \`slo\`), of all requests.` : "Set `slo: {ttft_ms, latency_ms}` in the scenario to rank by goodput (requests served within both targets)."} Latency and TTFT of successful requests lead; the all-request latency counts a fast error as a fast request.`,
    head: ["metric", ...s.policies.map((p) => p.name), "best"],
    rows: shown.map((h) => [
      metricLabel(h),
      ...s.policies.map((p) => stat(p.metrics[h.key], h.unit)),
      winnerCell(s, h.key),
    ]),
  });
  if (s.differences.length)
    tables.push({
      id: "differences",
      title: `Differences vs ${m.baseline}`,
      note: `Relative (policy − baseline) / baseline, then absolute in brackets, both paired by ${bm ? "batch" : "replication"}.`,
      head: ["metric", ...s.differences.map((x) => x.policy)],
      rows: shown.map((h) => [
        metricLabel(h),
        ...s.differences.map(
          (x) => `${relDiff(x.metrics[h.key].relative)} (${absDiff(x.metrics[h.key].absolute, h.unit)})`,
        ),
      ]),
    });
  const groups: [string, string, string, (p: PolicyStats) => Record<string, Stat>, "fraction" | "ratio"][] = [
    ["errors", "Failed requests by final status", "Fraction of all requests.", (p) => p.errors, "fraction"],
    [
      "depth",
      "Fallback depth",
      "Fraction of requests served after k fallbacks (0 = first choice), or failed.",
      (p) => p.fallbackDepth,
      "fraction",
    ],
    [
      "providers",
      "Provider share",
      "Fraction of served requests per endpoint.",
      (p) => p.providerShare,
      "fraction",
    ],
    ["model-share", "Model share", "Fraction of served requests per model.", (p) => p.modelShare, "fraction"],
    [
      "incidents",
      "Load during incidents",
      "Attempts per second each endpoint received while any outage window was open, divided by its nominal capacity (min of rate limit and concurrency / mean service time). Above 1 means the policy pushed more load than the endpoint can take.",
      (p) => p.incidentUtilisation,
      "ratio",
    ],
  ];
  for (const [id, title, note, pick, unit] of groups) {
    const g = groupTable(s, pick, unit);
    if (g) tables.push({ id, title, note, ...g });
  }
  tables.push(...whyTables(s, bm !== undefined));
  if (s.precision.length)
    tables.push({
      id: "precision",
      title: "Precision",
      note: `Intervals wider than ± ${(100 * m.targetRelHalfWidth).toFixed(1)} % of the mean, and the ${bm ? `batches (of about ${thousands(m.requests)} requests)` : "replications"} that would bring them to it (from the observed spread).`,
      head: ["policy", "metric", "half-width (% of mean)", `${bm ? "batches" : "replications"} needed`],
      rows: s.precision.map((x) => [
        x.policy,
        metricDef(x.metric)?.label ?? x.metric,
        `${(100 * x.relHalfWidth).toFixed(1)} %`,
        String(x.replicationsNeeded ?? "–"),
      ]),
    });
  if (m.models?.length)
    tables.push({
      id: "models",
      title: "What each policy models",
      note: "The gateway and version each policy reproduces, what its per-attempt timer measures, and whether providers bill attempts it abandoned.",
      head: ["policy", "models", "per-attempt timeout", "providers bill abandoned attempts"],
      rows: m.models.map((x) => [
        mdEscape(x.name),
        mdEscape(x.models),
        timeoutText(x),
        x.billsAbandoned ? "yes" : "no",
      ]),
    });
  const windows = d.outages.filter((o) => o.replication === d.outages[0]?.replication);
  return {
    title: `routesim comparison: ${mdEscape(m.scenario)}`,
    intro,
    summary: plainSummary(s, bm !== undefined, m.slo ? sloText(m.slo) : null),
    tables,
    outagesNote: windows.length
      ? `As they happened in replication ${windows[0].replication} (scheduled windows are the same in every replication).`
      : "",
    outages: windows.map(
      (o) =>
        `${mdEscape(o.endpoint)}: status ${o.status}, error rate ${value(o.errorRate, "fraction")}, t = ${thousands(o.startS, 1)}–${thousands(o.endS, 1)} s${o.source !== o.endpoint ? ` (${mdEscape(o.source)})` : ""}`,
    ),
    notes: [
      "Latency is end to end, from arrival to the last token or the final error, including queueing and failed attempts; TTFT is from arrival to the first token of the serving attempt. Rows marked “successful requests” measure served requests only; “all requests” rows also count each failed request up to its final error, so a policy that fails fast looks fast there.",
      "Wasted spend is what requests that finally failed were billed, plus billed attempts that did not serve the request. A gateway that calls providers directly (LiteLLM, Portkey, Envoy, the classic balancers) pays for the prompt and the tokens a provider generated before the gateway let go of an attempt (a timeout after the first token, a cut stream); OpenRouter bills only what it serves.",
      "Time to recover: after an outage window ends, how long until the policy gets its first success from that endpoint again (endpoints it used before the window only).",
      `Charts are in report.html; raw per-${bm ? "batch" : "replication"} values in replications.csv.`,
      bm
        ? `Reproduce: \`routesim compare --from ${[...new Set(bm.sources.map((x) => x.dir))].join(" ")} --batches ${bm.batches} --baseline ${m.baseline}\` (scenario sha256 ${m.scenarioHash.slice(0, 12)}…).`
        : `Reproduce: \`routesim compare ${m.scenarioFile} --replications ${m.replications} --seed ${m.seed}${m.requestsFlag !== null ? ` --requests ${m.requestsFlag}` : ""} --policies ${m.policies.join(",")} --baseline ${m.baseline}\` (scenario sha256 ${m.scenarioHash.slice(0, 12)}…).`,
    ],
  };
}

export function renderCompareMarkdown(d: CompareData, s: CompareSummary): string {
  const r = reportModel(d, s);
  const out: string[] = [`# ${r.title}`, ""];
  for (const p of r.intro) out.push(p, "");
  out.push("## Summary", "", ...r.summary.map((l) => `- ${l}`), "");
  for (const t of r.tables) out.push(`## ${t.title}`, "", t.note, "", table(t.head, t.rows), "");
  if (r.outages.length)
    out.push("## Outage windows", "", r.outagesNote, "", ...r.outages.map((o) => `- ${o}`), "");
  out.push("## How to read this", "", ...r.notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}
