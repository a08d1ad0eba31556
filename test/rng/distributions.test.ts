import { describe, expect, it } from "vitest";
import { compileDist, type DistSpec, type Sampler } from "../../src/rng/distributions.js";
import { Rng } from "../../src/rng/rng.js";

const N = 200_000;

interface Moments {
  mean: number;
  variance: number;
  /** Standard errors of the sample mean and the sample variance, from the sample itself. */
  seMean: number;
  seVar: number;
  min: number;
  values: Float64Array;
}

function sampleMoments(s: Sampler, key: string, n = N): Moments {
  const rng = new Rng(2024, "dist-test", key);
  const values = new Float64Array(n);
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = s.sample(rng);
    values[i] = x;
    sum += x;
    if (x < min) min = x;
  }
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (const x of values) {
    const d = (x - mean) ** 2;
    m2 += d;
    m4 += d * d;
  }
  m2 /= n;
  m4 /= n;
  return {
    mean,
    variance: (m2 * n) / (n - 1),
    seMean: Math.sqrt(m2 / n),
    seVar: Math.sqrt(Math.max(m4 - m2 * m2, 0) / n),
    min,
    values,
  };
}

/** Sample mean and variance within 5 standard errors of the sampler's stated theory. */
function expectMoments(spec: DistSpec, theory: { mean: number; variance: number }, key: string): Moments {
  const s = compileDist(spec);
  // Stated theory (the truncated normal's uses an erfc approximation good to ~1e-7).
  expect(Math.abs(s.mean - theory.mean)).toBeLessThanOrEqual(1e-6 * Math.abs(theory.mean));
  expect(Math.abs(s.variance - theory.variance)).toBeLessThanOrEqual(1e-6 * theory.variance);
  const m = sampleMoments(s, key);
  expect(Math.abs(m.mean - theory.mean)).toBeLessThan(5 * m.seMean + 1e-12);
  expect(Math.abs(m.variance - theory.variance)).toBeLessThan(5 * m.seVar + 1e-12);
  return m;
}

function sampleMedian(values: Float64Array): number {
  const v = Float64Array.from(values).sort();
  return (v[(v.length >> 1) - 1] + v[v.length >> 1]) / 2;
}

/** The median of n draws has sd ≈ 1 / (2 f(m) √n); checked via the count below it instead. */
function expectMedian(m: Moments, median: number): void {
  let below = 0;
  for (const x of m.values) if (x < median) below++;
  // Binomial(n, 1/2): sd = √n / 2.
  expect(Math.abs(below - m.values.length / 2)).toBeLessThan((5 * Math.sqrt(m.values.length)) / 2);
}

describe("distributions: sample moments match theory (fixed seeds, 5 standard errors)", () => {
  it("a bare number and {dist: constant} are constants", () => {
    for (const spec of [42, { dist: "constant", value: 42 } as const]) {
      const s = compileDist(spec);
      expect([s.mean, s.variance, s.median]).toEqual([42, 0, 42]);
      const rng = new Rng(1);
      for (let i = 0; i < 10; i++) expect(s.sample(rng)).toBe(42);
    }
  });

  it("uniform", () => {
    const m = expectMoments({ dist: "uniform", min: 2, max: 10 }, { mean: 6, variance: 64 / 12 }, "u");
    expect(m.min).toBeGreaterThanOrEqual(2);
    expect(m.values.every((x) => x < 10)).toBe(true);
    expectMedian(m, 6);
  });

  it("exponential", () => {
    const m = expectMoments({ dist: "exponential", mean: 250 }, { mean: 250, variance: 250 ** 2 }, "exp");
    expect(m.min).toBeGreaterThan(0);
    expectMedian(m, 250 * Math.LN2);
  });

  it("normal with sd (truncation at 0 negligible)", () => {
    const m = expectMoments({ dist: "normal", mean: 90, sd: 9 }, { mean: 90, variance: 81 }, "n-sd");
    expectMedian(m, 90);
  });

  it("normal with cv", () => {
    const m = expectMoments({ dist: "normal", mean: 60, cv: 0.15 }, { mean: 60, variance: 9 ** 2 }, "n-cv");
    expectMedian(m, 60);
  });

  it("normal truncated at 0 when the cut matters (cv 1): truncated-normal moments", () => {
    // Standard results for a normal(mu, sd) cut below at a = (0 − mu)/sd = −1:
    // lambda = φ(a)/(1 − Φ(a)); mean = mu + sd·lambda; var = sd²(1 + a·lambda − lambda²).
    const a = -1;
    const lambda = 0.24197072451914337 / 0.8413447460685429;
    const theory = { mean: 10 + 10 * lambda, variance: 100 * (1 + a * lambda - lambda * lambda) };
    const m = expectMoments({ dist: "normal", mean: 10, cv: 1 }, theory, "n-trunc");
    expect(m.min).toBeGreaterThan(0);
    expectMedian(m, compileDist({ dist: "normal", mean: 10, cv: 1 }).median);
  });

  it("normal truncated far above its mean (min ≫ mean) neither loops nor clamps", () => {
    // a = (10 − 1)/1 = 9: almost no mass survives; the truncated mean is ≈ a + 1/a above mu.
    const s = compileDist({ dist: "normal", mean: 1, sd: 1, min: 10 });
    expect(s.mean).toBeGreaterThan(10);
    expect(s.mean).toBeLessThan(10.2);
    const m = sampleMoments(s, "n-far", 50_000);
    expect(m.min).toBeGreaterThan(10);
    expect(Math.abs(m.mean - s.mean)).toBeLessThan(5 * m.seMean);
    expect(Math.abs(m.variance - s.variance)).toBeLessThan(5 * m.seVar);
  });

  it("lognormal from median + sigma", () => {
    const mu = Math.log(300);
    const s2 = 0.4 ** 2;
    const theory = { mean: Math.exp(mu + s2 / 2), variance: (Math.exp(s2) - 1) * Math.exp(2 * mu + s2) };
    const m = expectMoments({ dist: "lognormal", median: 300, sigma: 0.4 }, theory, "ln-med");
    expectMedian(m, 300);
  });

  it("lognormal from mean + cv", () => {
    const m = expectMoments(
      { dist: "lognormal", mean: 1000, cv: 0.5 },
      { mean: 1000, variance: 500 ** 2 },
      "ln-mean",
    );
    expectMedian(m, 1000 / Math.sqrt(1 + 0.25));
  });

  it("gamma with cv < 1 (shape > 1)", () => {
    expectMoments({ dist: "gamma", mean: 20, cv: 0.5 }, { mean: 20, variance: 100 }, "g-lo");
  });

  it("gamma with cv > 1 (shape < 1, bursty)", () => {
    const m = expectMoments({ dist: "gamma", mean: 20, cv: 2 }, { mean: 20, variance: 1600 }, "g-hi");
    expect(m.min).toBeGreaterThanOrEqual(0);
  });

  it("empirical values: uniform choice among them", () => {
    const values = [1, 2, 2, 3, 10];
    const mean = 18 / 5;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / 5;
    const m = expectMoments({ dist: "empirical", values }, { mean, variance }, "emp-v");
    expect(new Set(m.values)).toEqual(new Set(values));
    // Each value's share within 5 binomial sd.
    const twos = m.values.filter((x) => x === 2).length;
    expect(Math.abs(twos - 0.4 * N)).toBeLessThan(5 * Math.sqrt(N * 0.4 * 0.6));
    expect(compileDist({ dist: "empirical", values }).median).toBe(2);
  });

  it("empirical quantiles: piecewise-linear inverse CDF", () => {
    // p 0→0.5 over [0, 100], p 0.5→1 over [100, 1000]: a mixture of two uniforms.
    const quantiles: [number, number][] = [
      [0, 0],
      [0.5, 100],
      [1, 1000],
    ];
    const mean = 0.5 * 50 + 0.5 * 550;
    const ex2 = 0.5 * (100 ** 2 / 3) + 0.5 * ((100 ** 2 + 100 * 1000 + 1000 ** 2) / 3);
    const m = expectMoments({ dist: "empirical", quantiles }, { mean, variance: ex2 - mean * mean }, "emp-q");
    const s = compileDist({ dist: "empirical", quantiles });
    expect(s.median).toBe(100);
    expectMedian(m, 100);
    expect(sampleMedian(m.values)).toBeGreaterThan(95);
    expect(sampleMedian(m.values)).toBeLessThan(105);
  });

  it("empirical quantiles with a flat step (repeated value) keep their mass", () => {
    const quantiles: [number, number][] = [
      [0, 5],
      [0.9, 5],
      [1, 15],
    ];
    const mean = 0.9 * 5 + 0.1 * 10;
    const ex2 = 0.9 * 25 + 0.1 * ((25 + 75 + 225) / 3);
    const m = expectMoments({ dist: "empirical", quantiles }, { mean, variance: ex2 - mean * mean }, "emp-f");
    const fives = m.values.filter((x) => x === 5).length;
    expect(Math.abs(fives - 0.9 * N)).toBeLessThan(5 * Math.sqrt(N * 0.09));
  });
});
