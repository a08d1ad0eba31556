import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { fitPositive, quantile } from "../../src/calibrate/fit.js";
import { calibrateRun, llmperfFiles } from "../../src/calibrate/llmperf.js";
import { main } from "../../src/cli/main.js";
import { InputError, Rng, scenarioFromObject, simulate } from "../../src/index.js";
import { standardNormal } from "../../src/rng/distributions.js";

const root = mkdtempSync(join(tmpdir(), "routesim-llmperf-"));
const dir = join(root, "individual");
mkdirSync(dir);

/** An LLMPerf-like run: lognormal TTFT and inter-token latency, some 429s with zero latencies. */
function writeRun(
  name: string,
  n: number,
  opts: { ttftMs: number; sigma: number; itlMs: number; tail?: number },
) {
  const rng = new Rng(42, name);
  const recs = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 3) {
      recs.push({
        error_code: 429,
        error_msg: "rate limited",
        ttft_s: 0,
        end_to_end_latency_s: 0,
        inter_token_latency_s: 0,
        request_output_throughput_token_per_s: 0,
        number_input_tokens: 550,
        number_output_tokens: 0,
        number_total_tokens: 550,
      });
      continue;
    }
    let ttft = opts.ttftMs * Math.exp(opts.sigma * standardNormal(rng));
    if (opts.tail && rng.next() < opts.tail) ttft *= 40; // cold starts
    const itl = opts.itlMs * Math.exp(0.1 * standardNormal(rng));
    const out = i % 20 === 7 ? 120 : 150;
    const e2e = (ttft + itl * out) / 1000;
    recs.push({
      error_code: i % 20 === 7 ? -100 : null,
      error_msg: "",
      ttft_s: ttft / 1000,
      end_to_end_latency_s: e2e,
      inter_token_latency_s: e2e / out,
      // Inconsistent in real runs; the calibration must not use it.
      request_output_throughput_token_per_s: 1.5,
      number_input_tokens: 550,
      number_output_tokens: out,
      number_total_tokens: 550 + out,
    });
  }
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(recs));
}

writeRun("alpha_70b", 400, { ttftMs: 300, sigma: 0.3, itlMs: 20 });
writeRun("beta_7b", 400, { ttftMs: 500, sigma: 0.1, itlMs: 10, tail: 0.05 });

describe("fitting", () => {
  it("quantile interpolates linearly between order statistics", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(quantile([10], 0.9)).toBe(10);
  });

  it("a lognormal sample gets a lognormal fit within 10 % at p50/p90/p99", () => {
    const rng = new Rng(1, "fit");
    const xs = Array.from({ length: 2000 }, () => 200 * Math.exp(0.5 * standardNormal(rng)));
    const f = fitPositive(xs, "auto", "t");
    expect(f.kind).toBe("lognormal");
    expect(f.maxError).toBeLessThanOrEqual(0.1);
  });

  it("a slow tail the lognormal cannot follow falls back to the empirical fit", () => {
    const rng = new Rng(2, "fit");
    const xs = Array.from(
      { length: 1000 },
      (_, i) => (i % 25 === 0 ? 30_000 : 400) * Math.exp(0.05 * standardNormal(rng)),
    );
    const ln = fitPositive(xs, "lognormal", "t");
    expect(ln.maxError).toBeGreaterThan(0.1);
    const f = fitPositive(xs, "auto", "t");
    expect(f.kind).toBe("empirical");
    expect(f.maxError).toBeLessThanOrEqual(0.1);
  });
});

describe("llmperf calibration", () => {
  it("finds the individual/ folder", () => {
    expect(llmperfFiles(root).map((f) => f.slice(dir.length + 1))).toEqual([
      "alpha_70b.json",
      "beta_7b.json",
    ]);
  });

  it("drops zero-latency failures, keeps -100 short outputs and recomputes decode speed", () => {
    const r = calibrateRun(join(dir, "alpha_70b.json"), "auto");
    expect(r.requests).toBe(400);
    expect(r.ok).toBe(360);
    expect(r.shortOutputs).toBe(20);
    expect(r.errors).toEqual({ "429": 40 });
    expect(r.provider.error_rate).toBe(0.1);
    expect(r.provider.error_mix).toEqual({ "429": 1 });
    expect(r.ttft.kind).toBe("lognormal");
    // Sample median of 360 lognormal(σ=0.3) draws: sd ≈ 1.25·0.3·300/√360 ≈ 6 ms.
    const ttft = r.provider.ttft_ms as { median: number };
    expect(ttft.median).toBeGreaterThan(270);
    expect(ttft.median).toBeLessThan(330);
    // 1000 / 20 ms per token = 50 tokens/s (not the recorded 1.5).
    const tps = r.provider.tokens_per_s as { dist: string; median?: number; quantiles?: [number, number][] };
    const median = tps.median ?? tps.quantiles!.find(([p]) => p === 0.5)![1];
    expect(median).toBeGreaterThan(46);
    expect(median).toBeLessThan(54);
    expect(Math.max(r.ttft.maxError, r.itl.maxError)).toBeLessThanOrEqual(0.1);
  });

  it("a run with cold-start tails gets an empirical TTFT", () => {
    const r = calibrateRun(join(dir, "beta_7b.json"), "auto");
    expect(r.ttft.kind).toBe("empirical");
    expect(r.ttft.maxError).toBeLessThanOrEqual(0.1);
  });

  it("the calibrated provider reproduces the observed TTFT quantiles in a simulation", () => {
    const r = calibrateRun(join(dir, "alpha_70b.json"), "auto");
    const loaded = scenarioFromObject({
      name: "cal",
      traffic: {
        arrivals: { process: "uniform", rate_per_s: 2 },
        requests: 4000,
        prompt_tokens: 550,
        completion_tokens: 150,
        model: r.provider.model,
      },
      providers: [r.provider],
      policies: [{ name: "default" }],
    });
    const p = simulate(loaded).summary.policies[0];
    const obs = r.ttft.observed;
    // Sketch accuracy 0.5 %; sampling error of p99 from 3600 draws is a few %.
    expect(Math.abs(p.ttftMs.p50 - obs[0]) / obs[0]).toBeLessThan(0.1);
    expect(Math.abs(p.ttftMs.p90 - obs[1]) / obs[1]).toBeLessThan(0.1);
    expect(Math.abs(p.ttftMs.p99 - obs[2]) / obs[2]).toBeLessThan(0.15);
    // Binomial(4000, 0.1) failures: sd 19.
    expect(p.failed).toBeGreaterThan(300);
    expect(p.failed).toBeLessThan(500);
  });

  it("routesim calibrate writes provider blocks and a fit table", async () => {
    const out = join(root, "cal.yaml");
    const table = join(root, "fit.md");
    expect(await main(["calibrate", root, "--out", out, "--table", table])).toBe(0);
    const doc = parseDocument(readFileSync(out, "utf8")).toJS() as { providers: { name: string }[] };
    expect(doc.providers.map((p) => p.name)).toEqual(["alpha-70b", "beta-7b"]);
    const md = readFileSync(table, "utf8");
    expect(md).toContain("| alpha-70b | 360 / 400 | 40× 429 | 10.0 / ");
    expect(await main(["calibrate", root, "--fit", "gaussian"])).toBe(2);
  });

  it("rejects files that are not LLMPerf results", () => {
    const bad = join(root, "bad.json");
    writeFileSync(bad, JSON.stringify({ not: "an array" }));
    expect(() => calibrateRun(bad, "auto")).toThrow(InputError);
  });
});
