import { describe, expect, it } from "vitest";
import { Rng } from "../../src/rng/rng.js";
import { provider, runFarm, type Submission } from "./helpers.js";

/** Erlang C: probability an arrival waits in an M/M/c queue with offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1; // k = 0
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / c) * (c / (c - a)); // a^c / c! · c / (c − a)
  return top / (sum + top);
}

describe("mock provider as an M/M/c queue", () => {
  it("mean queue wait matches Erlang C at utilisation 0.8 (c = 4)", () => {
    const c = 4;
    const serviceMs = 1000; // exponential TTFT, no tokens: service time = TTFT
    const rho = 0.8;
    const lambdaPerMs = (rho * c) / serviceMs;
    const n = 400_000;
    const arrivals = new Rng(5, "test-arrivals");
    const subs: Submission[] = [];
    let t = 0;
    for (let i = 0; i < n; i++) {
      t += -Math.log(arrivals.nextOpen()) / lambdaPerMs;
      subs.push({ atMs: t });
    }
    const results = runFarm(
      [provider({ ttft_ms: { dist: "exponential", mean: serviceMs }, concurrency: c, error_rate: 0 })],
      subs,
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    // ttft = queue wait + service; the service draw has known mean, so mean wait = mean ttft − 1000.
    // Skip a warm-up, then batch means give an honest standard error for correlated waits.
    const warm = 10_000;
    const batches = 40;
    const per = Math.floor((n - warm) / batches);
    const means: number[] = [];
    for (let b = 0; b < batches; b++) {
      let s = 0;
      for (let i = warm + b * per; i < warm + (b + 1) * per; i++) s += results[i].ttftMs - serviceMs;
      means.push(s / per);
    }
    const mean = means.reduce((x, y) => x + y, 0) / batches;
    const sd = Math.sqrt(means.reduce((x, y) => x + (y - mean) ** 2, 0) / (batches - 1));
    const se = sd / Math.sqrt(batches);
    const a = lambdaPerMs * serviceMs;
    const theory = erlangC(c, a) / (c / serviceMs - lambdaPerMs); // Wq = C(c, a) / (cμ − λ)
    expect(theory).toBeGreaterThan(700); // ≈ 745 ms: the test is about a real queue
    expect(Math.abs(mean - theory)).toBeLessThan(5 * se);
    expect(Math.abs(mean - theory) / theory).toBeLessThan(0.04);
  });

  it("without a concurrency limit nobody waits: ttft is the service draw", () => {
    const subs = Array.from({ length: 2000 }, () => ({ atMs: 0 }));
    const results = runFarm([provider({ ttft_ms: 250, concurrency: null })], subs);
    expect(new Set(results.map((r) => r.ttftMs))).toEqual(new Set([250]));
  });

  it("serves the queue in FIFO order", () => {
    const subs = Array.from({ length: 6 }, (_, i) => ({ atMs: i }));
    const results = runFarm([provider({ ttft_ms: 100, concurrency: 1 })], subs);
    expect(results.map((r) => r.endMs)).toEqual([100, 200, 300, 400, 500, 600]);
  });
});
