/** report.md: a readable comparison of the policies of one run, with units. */
import type { PolicySummary } from "../metrics/collector.js";
import type { RunInfo, Summary } from "../metrics/summary.js";
import { timeoutText } from "../policies/describe.js";
import { responseCacheFor } from "../router/response-cache.js";
import { sloOf } from "../scenario/load.js";
import type { Scenario } from "../scenario/schema.js";
import { failsCaveat, sloText, thousands } from "./format.js";

/**
 * A scenario string as Markdown text: every character Markdown or HTML would act on gets a
 * backslash (so `<b>`, `|`, `*`, `[x](y)` show as typed, table cells stay cells), newlines become
 * spaces, and a leading list or heading marker is escaped. report.html reads these escapes back.
 */
export function mdEscape(s: string): string {
  return s
    .replace(/\r?\n|\r/g, " ")
    .replace(/[\\`*_[\]<>|~&#!]/g, "\\$&")
    .replace(/^([-+=]|\d+[.)])/, "\\$1");
}

/** A multi-line scenario string (a description): each line escaped, lines kept. */
export function mdEscapeLines(s: string): string {
  return s.split(/\r?\n/).map(mdEscape).join("\n");
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
const msf = (x: number): string => (x === x ? x.toFixed(0) : "–");
const dollars = (x: number): string =>
  x === 0 ? "$0" : x >= 0.01 ? `$${x.toFixed(4)}` : `$${x.toPrecision(4)}`;

function table(head: string[], rows: string[][]): string {
  const line = (r: string[]): string => `| ${r.join(" | ")} |`;
  return [line(head), line(head.map((_h, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

function errorsCell(p: PolicySummary): string {
  const e = Object.entries(p.errors);
  return e.length ? e.map(([k, v]) => `${mdEscape(k)}×${v}`).join(", ") : "none";
}

export function renderMarkdown(s: Scenario, sum: Summary, run: RunInfo): string {
  const out: string[] = [];
  out.push(`# routesim report: ${mdEscape(s.name)}`, "");
  if (s.description) out.push(mdEscapeLines(s.description.trim()), "");
  out.push(
    `Seed ${sum.seed} · ${thousands(sum.requests)} requests per policy · ${s.providers.length} endpoints · ${sum.policies.length} policies · routesim ${run.routesimVersion}`,
    "",
  );
  if (sum.skippedRows > 0) out.push(`Trace rows skipped as bad: ${sum.skippedRows}.`, "");
  const slo = sloOf(s);
  const goodput = slo ? sloText(slo) : null;
  out.push("## Policies", "");
  out.push(
    table(
      [
        "policy",
        "success",
        "failed",
        "attempts/request",
        "cost (USD)",
        "cost per success (USD)",
        "wasted (USD)",
        ...(goodput ? [`goodput (${goodput})`] : []),
        "latency p50 / p90 / p99, successful (ms)",
        "TTFT p50 / p99 (ms)",
        "latency p99, all requests (ms)",
        "final errors",
      ],
      sum.policies.map((p) => [
        `**${mdEscape(p.name)}**`,
        pct(p.successRate),
        String(p.failed),
        p.attemptsPerRequest.toFixed(3),
        dollars(p.costUsd),
        dollars(p.costPerSuccessUsd),
        dollars(p.wastedSpendUsd),
        ...(goodput ? [pct(p.goodput?.rate ?? 0)] : []),
        `${msf(p.servedLatencyMs.p50)} / ${msf(p.servedLatencyMs.p90)} / ${msf(p.servedLatencyMs.p99)}`,
        `${msf(p.ttftMs.p50)} / ${msf(p.ttftMs.p99)}`,
        msf(p.latencyMs.p99),
        errorsCell(p),
      ]),
    ),
    "",
  );
  // A policy serving far less than the most successful one is not a winner without a caveat
  // (`rate`: the metric counts failures itself, success rate and goodput).
  const top = Math.max(...sum.policies.map((p) => p.successRate));
  const best = (key: (p: PolicySummary) => number, dir: 1 | -1, rate = false): string => {
    const w = [...sum.policies].sort((a, b) => dir * (key(a) - key(b)))[0];
    if (!w) return "–";
    return `**${mdEscape(w.name)}**${rate ? "" : failsCaveat(top, w.successRate)}`;
  };
  const finiteOr = (x: number): number => (Number.isFinite(x) ? x : Number.POSITIVE_INFINITY);
  if (sum.policies.length > 1) {
    const lines = [`Highest success rate: ${best((p) => p.successRate, -1, true)}`];
    if (goodput) lines.push(`highest goodput: ${best((p) => p.goodput?.rate ?? 0, -1, true)}`);
    lines.push(
      `lowest cost per success: ${best((p) => p.costPerSuccessUsd || Number.POSITIVE_INFINITY, 1)}`,
      `lowest p99 latency of successful requests: ${best((p) => finiteOr(p.servedLatencyMs.p99), 1)}`,
    );
    out.push(`${lines.join(" · ")}.`, "");
  }
  const caching = s.policies.filter((p) => responseCacheFor(p) !== null).map((p) => p.name);
  if (caching.length) {
    out.push(
      "## Response cache (R106)",
      "",
      `Caching on for ${caching.map((n) => `**${mdEscape(n)}**`).join(", ")}. A hit is served from the stored 200 before routing: no attempt, cost $0, latency 0; it counts as a success and under the endpoint that served the stored response.`,
      "",
      table(
        ["policy", "cache hits", "hit rate"],
        sum.policies.map((p) => [
          `**${mdEscape(p.name)}**`,
          String(p.cacheHits ?? 0),
          pct(p.cacheHitRate ?? 0),
        ]),
      ),
      "",
    );
  }
  const tags = [...new Set(sum.policies.flatMap((p) => Object.keys(p.providerAttempts)))].sort();
  if (tags.length) {
    out.push("## Where requests went", "", "Share of served requests (attempts sent in brackets).", "");
    out.push(
      table(
        ["endpoint", ...sum.policies.map((p) => mdEscape(p.name))],
        tags.map((t) => [
          mdEscape(t),
          ...sum.policies.map((p) => `${pct(p.providerShare[t] ?? 0)} (${p.providerAttempts[t] ?? 0})`),
        ]),
      ),
      "",
    );
  }
  const outages = s.providers.flatMap((p) => p.outages.map((o) => ({ p: p.name, o })));
  if (outages.length || s.outage_groups.length) {
    out.push("## Scheduled incidents", "");
    for (const { p, o } of outages)
      out.push(
        `- ${mdEscape(p)}: ${o.status} for ${o.duration_s} s from t = ${o.start_s} s (error rate ${pct(o.error_rate)}, latency ×${o.latency_multiplier})`,
      );
    for (const g of s.outage_groups)
      for (const o of g.outages)
        out.push(
          `- group ${mdEscape(g.name)} (${g.providers.map(mdEscape).join(", ")}): ${o.status} for ${o.duration_s} s from t = ${o.start_s} s`,
        );
    out.push("");
  }
  if (run.policies.length) {
    out.push("## What each policy models", "");
    out.push(
      table(
        ["policy", "models", "per-attempt timeout", "providers bill abandoned attempts"],
        run.policies.map((m) => [
          `**${mdEscape(m.name)}**`,
          mdEscape(m.models),
          timeoutText(m),
          m.billsAbandoned ? "yes" : "no",
        ]),
      ),
      "",
    );
  }
  if (sum.warnings.length) out.push("## Warnings", "", ...sum.warnings.map((w) => `- ${mdEscape(w)}`), "");
  out.push(
    "## How to read this",
    "",
    "- Every policy saw the same arrivals, token sizes and provider failure draws (common random numbers), so differences come from routing alone.",
    "- Latency is end to end, from arrival to the last token or the final error, including queueing and failed attempts. TTFT is from arrival to the first token of the serving attempt. Latency and TTFT columns count successful requests only, except “all requests”, where a fast error counts as a fast request.",
    "- Percentiles come from a log-bucketed sketch with 0.5 % relative accuracy; costs are summed with compensated (Neumaier) summation.",
    "- Cost is everything billed. A gateway that calls providers directly (LiteLLM, Portkey, Envoy, the classic balancers) pays for what a provider generated before the gateway let go of an attempt (a timeout after the first token, a cut stream); that, and every billed attempt that did not serve its request, is the wasted column. OpenRouter bills only what it serves.",
    `- Reproduce: \`routesim run ${run.scenarioFile === "<inline>" ? "<scenario>" : run.scenarioFile} --seed ${sum.seed}\` (scenario sha256 ${run.scenarioHash.slice(0, 12)}…).`,
    "",
  );
  return out.join("\n");
}
