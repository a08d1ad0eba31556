/**
 * Issue 25 item 4: latency winners must not count failed requests. A policy failing half its
 * requests with fast 429s was bolded best on every latency row; the headline now measures served
 * requests, names the caveat on the same line, and ranks by goodput under the scenario's SLO.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compare } from "../../src/experiment/compare.js";
import { renderCompareMarkdown } from "../../src/report/compare-markdown.js";
import { runCli } from "../support/cli.js";

const tempDir = (): string => mkdtempSync(join(tmpdir(), "routesim-slo-"));

/** "fast" sends everything to an endpoint that answers half its attempts with a 429 in 5 ms. */
const scenario = {
  name: "fast-429",
  seed: 3,
  slo: { ttft_ms: 400, latency_ms: 3000 },
  traffic: {
    arrivals: { process: "poisson", rate_per_s: 20 },
    requests: 600,
    model: "m",
    prompt_tokens: 200,
    completion_tokens: 100,
  },
  providers: [
    {
      name: "flaky",
      model: "m",
      price: { prompt: 1, completion: 1 },
      ttft_ms: 100,
      tokens_per_s: 100,
      error_rate: 0.5,
      error_mix: { "429": 1 },
      error_latency_ms: 5,
    },
    {
      name: "steady",
      model: "m",
      price: { prompt: 1, completion: 1 },
      ttft_ms: { dist: "lognormal", median: 300, sigma: 0.4 },
      tokens_per_s: 50,
    },
  ],
  policies: [
    { name: "fast", request: { provider: { only: ["flaky"], allow_fallbacks: false } } },
    { name: "safe", request: { provider: { only: ["steady"], allow_fallbacks: false } } },
  ],
};

describe("latency of successful requests leads the report (issue 25 item 4)", () => {
  it("does not crown a policy that fails fast, and says why on the same line", async () => {
    const r = await compare({
      source: { kind: "object", input: scenario, baseDir: process.cwd(), label: "fast-429" },
      replications: 3,
      jobs: 1,
      outDir: null,
    });
    const fast = r.summary.policies.find((p) => p.name === "fast")!;
    const safe = r.summary.policies.find((p) => p.name === "safe")!;
    expect(fast.metrics.successRate.mean!).toBeLessThan(0.6);
    expect(safe.metrics.successRate.mean!).toBe(1);
    // Over all requests the fast failures make "fast" quicker at the median; served, it is not slower
    // than 2.2 s (100 ms + 1 s of tokens) while "safe" needs 2 s of tokens plus its TTFT.
    expect(fast.metrics.latencyP50Ms.mean!).toBeLessThan(safe.metrics.latencyP50Ms.mean!);
    expect(fast.metrics.servedLatencyP50Ms.mean!).toBeGreaterThan(fast.metrics.latencyP50Ms.mean!);

    const md = renderCompareMarkdown(r.data, r.summary);
    const row = (label: string): string => md.split("\n").find((l) => l.startsWith(`| ${label} `))!;
    // Every latency row that "fast" wins carries the caveat; success rate and goodput do not need it.
    for (const label of [
      "latency p50, all requests (failures included) (ms)",
      "latency p50, successful requests (ms)",
      "TTFT p50, successful requests (ms)",
    ]) {
      const best = row(label).split(" | ").at(-1)!;
      if (best.includes("fast")) expect(best, label).toMatch(/fast\*?\*? \(but fails [45]\d\.\d\d %\)/);
    }
    expect(row("success rate (%)")).not.toContain("but fails");
    expect(row("goodput: served within the SLO (%)")).toMatch(/\*\*safe\*\* \|$/);
    // The summary leads with goodput and names the targets.
    expect(md).toMatch(
      /- \*\*safe\*\* has the highest goodput \(requests served within TTFT ≤ 400 ms and latency ≤ 3,000 ms\)/,
    );
  });

  it("goodput and served latency agree with requests.csv of a run", async () => {
    const dir = tempDir();
    const file = join(dir, "s.json");
    writeFileSync(file, JSON.stringify(scenario));
    const r = await runCli(["run", file, "--out", join(dir, "out")]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8"));
    const rows = readFileSync(join(dir, "out", "requests.csv"), "utf8")
      .trim()
      .split("\n");
    const head = rows[0].split(",");
    const col = (name: string): number => head.indexOf(name);
    for (const p of summary.policies) {
      const mine = rows
        .slice(1)
        .map((l) => l.split(","))
        .filter((c) => c[col("policy")] === p.name);
      const served = mine.filter((c) => c[col("status")] === "200");
      const within = served.filter(
        (c) => Number(c[col("ttft_ms")]) <= 400 && Number(c[col("latency_ms")]) <= 3000,
      ).length;
      expect(p.goodput.withinSlo, p.name).toBe(within);
      expect(p.goodput.rate).toBeCloseTo(within / mine.length, 12);
      const sortedMs = served.map((c) => Number(c[col("latency_ms")])).sort((a, b) => a - b);
      const median = sortedMs[Math.floor(sortedMs.length / 2)];
      // The sketch is within 0.5 % of the exact quantile; ms are rounded in the CSV.
      expect(Math.abs(p.servedLatencyMs.p50 - median) / median).toBeLessThan(0.02);
    }
    const md = readFileSync(join(dir, "out", "report.md"), "utf8");
    expect(md).toContain("goodput (TTFT ≤ 400 ms and latency ≤ 3,000 ms)");
    expect(md).toMatch(
      /lowest p99 latency of successful requests: \*\*(safe|fast\*\* \(but fails [45]\d\.\d\d %\))/,
    );
  });

  it("an SLO with neither target is bad input", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "s.json"), JSON.stringify({ ...scenario, slo: {} }));
    const r = await runCli(["run", join(dir, "s.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/s\.json.*slo: expected ttft_ms, latency_ms or both/s);
  });
});
