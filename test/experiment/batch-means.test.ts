/**
 * Run folders read back as comparisons by batch means (issue 20 item 2: `report`, `diff` and
 * `compare` on single-run results): batch values average back to the run's own summary, the
 * same folder gives the same bytes, runs of one traffic pair by batch, and bad folders exit 2.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchCompare, defaultBatches } from "../../src/experiment/batch-means.js";
import { valueTable } from "../../src/results/compare-summary.js";
import { readRunFolder } from "../../src/results/run-folder.js";
import type { Summary } from "../../src/simulate.js";
import { runCli } from "../support/cli.js";

const MODEL = "meta-llama/llama-3.3-70b-instruct";
const dir = mkdtempSync(join(tmpdir(), "routesim-runfolders-"));

function scenario(betaErrorRate: number) {
  const provider = (name: string, price: number, errorRate: number) => ({
    name,
    model: MODEL,
    price: { prompt: price, completion: 2 * price },
    ttft_ms: { dist: "lognormal", median: 300, sigma: 0.8 },
    tokens_per_s: 80,
    concurrency: 50,
    error_rate: errorRate,
    error_mix: { "503": 1 },
  });
  return {
    name: "run-folders",
    seed: 3,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: 20 },
      requests: 600,
      prompt_tokens: 400,
      completion_tokens: 60,
      model: MODEL,
    },
    providers: [provider("alpha", 0.5, 0.02), provider("beta", 0.2, betaErrorRate)],
    policies: [
      { name: "spread", kind: "round_robin", options: { retry: { max_retries: 1 } } },
      {
        name: "only-beta",
        kind: "weighted_random",
        options: { weights: { alpha: 0, beta: 1 }, retry: { max_retries: 0 } },
      },
    ],
  };
}

const run = (name: string, betaErrorRate: number) => {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify(scenario(betaErrorRate)));
  return { file: f, out: join(dir, name) };
};

const good = run("good", 0.05);
const bad = run("bad", 0.4);

beforeAll(async () => {
  for (const r of [good, bad]) {
    const res = await runCli(["run", r.file, "--out", r.out, "-q"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("batch means of a run folder", () => {
  it("average back to the run's own summary (equal batches)", () => {
    const { data } = batchCompare([readRunFolder(good.out)], { batches: 20 });
    const summary = JSON.parse(readFileSync(join(good.out, "summary.json"), "utf8")) as Summary;
    const t = valueTable(data);
    expect(data.meta.batchMeans?.batches).toBe(20);
    expect(data.meta.policies).toEqual(["spread", "only-beta"]);
    for (const p of summary.policies) {
      const mean = (k: string) =>
        t
          .get(p.name)!
          .get(k)!
          .reduce((a, b) => a + b, 0) / 20;
      // 600 requests in 20 batches of 30: the mean of batch rates is the run's rate.
      expect(mean("successRate")).toBeCloseTo(p.successRate, 12);
      expect(mean("attemptsPerRequest")).toBeCloseTo(p.attemptsPerRequest, 12);
      // Costs add up over batches (the CSV keeps 12 significant digits).
      expect(mean("costUsd") * 20).toBeCloseTo(p.costUsd, 9);
      // Batches differ: a real spread, not one value copied 20 times.
      expect(new Set(t.get(p.name)!.get("latencyP50Ms")).size).toBeGreaterThan(5);
    }
    // The timeline holds every request once (batch 0 carries the whole run's).
    const requests = data.timeline
      .filter((r) => r.policy === "spread" && r.series === "requests")
      .reduce((a, r) => a + r.count, 0);
    expect(requests).toBe(600);
  });

  it("default batch count: up to 20, at least 30 requests each", () => {
    expect(defaultBatches(600)).toBe(20);
    expect(defaultBatches(200)).toBe(6);
    expect(defaultBatches(10)).toBe(1);
  });

  it("report rebuilds a run folder's report.md with intervals and writes report.html", async () => {
    const copy = join(dir, "good-copy");
    cpSync(good.out, copy, { recursive: true });
    const r = await runCli(["report", copy, "--batches", "10", "-q"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const md = readFileSync(join(copy, "report.md"), "utf8");
    expect(md).toContain("## Policies");
    expect(md).toContain("## Intervals (batch means)");
    expect(md).toContain("10 consecutive batches of about 60");
    expect(readFileSync(join(copy, "report.html"), "utf8")).toContain("<svg");
  });

  it("compare --from writes a comparison that report rebuilds byte for byte", async () => {
    const out = join(dir, "from");
    const r = await runCli(["compare", "--from", good.out, bad.out, "--out", out, "-q"]);
    expect(r.stderr).toContain("warning: bad ran another scenario than good");
    expect(r.code).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, "compare.json"), "utf8"));
    // Same policy names in two folders: told apart by folder.
    expect(meta.policies).toEqual([
      "spread (sim) (good)",
      "only-beta (sim) (good)",
      "spread (sim) (bad)",
      "only-beta (sim) (bad)",
    ]);
    const before = readFileSync(join(out, "report.md"), "utf8");
    const csv = readFileSync(join(out, "replications.csv"), "utf8");
    expect((await runCli(["report", out, "-q"])).code).toBe(0);
    expect(readFileSync(join(out, "report.md"), "utf8")).toBe(before);
    const again = join(dir, "from-again");
    expect((await runCli(["compare", "--from", good.out, bad.out, "--out", again, "-q"])).code).toBe(0);
    expect(readFileSync(join(again, "replications.csv"), "utf8")).toBe(csv);
  });

  it("diff of two runs pairs by batch and finds the regression", async () => {
    const same = await runCli(["diff", good.out, good.out]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("paired by batch (same requests)");
    expect(same.stdout).toContain("no regression beyond tolerance");
    const worse = await runCli(["diff", good.out, bad.out, "--tolerance", "0.02"]);
    expect(worse.stdout).toMatch(/only-beta\s+successRate.*REGRESSION/);
    expect(worse.code).toBe(1);
  });

  it("bad folders exit 2 naming the file", async () => {
    const summaryOnly = join(dir, "summary-only");
    expect((await runCli(["run", good.file, "--out", summaryOnly, "--summary-only", "-q"])).code).toBe(0);
    const a = await runCli(["report", summaryOnly]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/requests\.csv.*--summary-only/s);
    // The scenario changed since the run: its hash no longer matches.
    const moved = join(dir, "moved");
    cpSync(good.out, moved, { recursive: true });
    const runJson = JSON.parse(readFileSync(join(moved, "run.json"), "utf8"));
    writeFileSync(join(moved, "run.json"), JSON.stringify({ ...runJson, scenarioHash: "0".repeat(64) }));
    const b = await runCli(["diff", good.out, moved]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/run\.json.*scenarioHash.*--scenario/s);
    const c = await runCli(["diff", good.out, moved, "--batches", "0"]);
    expect(c.code).toBe(2);
    const d = await runCli(["compare", good.file, "--from", good.out]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/not both/);
  });
});

describe("a run where nothing was served", () => {
  it("reads back (null quantiles in summary.json) and reports", async () => {
    const s = scenario(0.05);
    s.providers = s.providers.map((p) => ({ ...p, error_rate: 1 }));
    const f = join(dir, "none.json");
    writeFileSync(f, JSON.stringify(s));
    const out = join(dir, "none");
    expect((await runCli(["run", f, "--out", out, "-q"])).code).toBe(0);
    const r = await runCli(["report", out, "-q"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(/success rate \(%\) \| 0\.00 % ± 0\.00/);
  });
});
