import { describe, expect, it } from "vitest";
import {
  EXPONENTIAL_ZIGGURAT,
  NORMAL_ZIGGURAT,
  standardExponential,
  standardNormal,
  ZIGGURAT_LAYERS,
  type ZigguratTables,
} from "../../src/rng/distributions.js";
import { Rng } from "../../src/rng/rng.js";

const n = ZIGGURAT_LAYERS;

/** ∫_a^b exp(−x²/2) dx by composite Simpson (error ≪ 1e-12 at this step). */
function gaussArea(a: number, b: number): number {
  const steps = Math.max(2, 2 * Math.ceil((b - a) * 2000));
  const h = (b - a) / steps;
  let s = Math.exp(-0.5 * a * a) + Math.exp(-0.5 * b * b);
  for (let k = 1; k < steps; k++) {
    const x = a + k * h;
    s += (k % 2 ? 4 : 2) * Math.exp(-0.5 * x * x);
  }
  return (s * h) / 3;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** P(a ≤ |Z| < b) for a standard normal Z (b may be Infinity). */
function normalAbsProb(a: number, b: number): number {
  const hi = Number.isFinite(b) ? b : a + 40;
  return (2 * gaussArea(a, hi)) / SQRT_2PI;
}

/** Upper (1 − p) quantile of chi-square(df) by Wilson–Hilferty at normal quantile z. */
function chiSquareBound(df: number, z: number): number {
  const c = 2 / (9 * df);
  return df * (1 - c + z * Math.sqrt(c)) ** 3;
}

/**
 * Bins aligned with the ziggurat layers (each split into 4 equal parts), so a wrong layer weight,
 * a wrong wedge or a wrong tail shows up: edges 0 < … < x[2] < x[1] = r, then [r, r + 0.5), [r + 0.5, ∞).
 */
function layerBins(t: ZigguratTables): number[] {
  const edges = [0];
  for (let i = n - 1; i >= 1; i--) {
    const lo = edges[edges.length - 1];
    for (let q = 1; q <= 4; q++) edges.push(lo + ((t.x[i] - lo) * q) / 4);
  }
  edges.push(t.x[1] + 0.5, Number.POSITIVE_INFINITY);
  return edges;
}

function binIndex(edges: number[], v: number): number {
  let lo = 0;
  let hi = edges.length - 1; // v in [edges[lo], edges[hi])
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (v < edges[mid]) hi = mid;
    else lo = mid;
  }
  return lo;
}

function chiSquare(counts: Float64Array, probs: number[], total: number): number {
  let chi = 0;
  for (let k = 0; k < counts.length; k++) {
    const e = total * probs[k];
    chi += (counts[k] - e) ** 2 / e;
  }
  return chi;
}

describe("ziggurat tables (Marsaglia & Tsang 2000, 256 layers)", () => {
  for (const [name, t, f, tail] of [
    ["normal", NORMAL_ZIGGURAT, (x: number) => Math.exp(-0.5 * x * x), (r: number) => gaussArea(r, r + 40)],
    ["exponential", EXPONENTIAL_ZIGGURAT, (x: number) => Math.exp(-x), (r: number) => Math.exp(-r)],
  ] as const) {
    it(`${name}: widths decrease to 0, heights rise to 1, every layer has area v`, () => {
      expect(t.x.length).toBe(n + 1);
      expect(t.x[1]).toBe(t.r);
      expect(t.x[n]).toBe(0);
      expect(t.f[n]).toBe(1);
      for (let i = 0; i < n; i++) {
        expect(t.x[i]).toBeGreaterThan(t.x[i + 1]);
        expect(t.f[i]).toBeLessThan(t.f[i + 1]);
        expect(t.f[i]).toBeCloseTo(f(t.x[i]), 15);
      }
      // Layer 0: base strip [0, r] × [0, f(r)] plus the tail, drawn as width x[0] × height f(r).
      expect(Math.abs(t.r * f(t.r) + tail(t.r) - t.v) / t.v).toBeLessThan(1e-9);
      expect(Math.abs(t.x[0] * t.f[1] - t.v) / t.v).toBeLessThan(1e-12);
      // Layer i ≥ 1: width x[i], heights f(x[i])..f(x[i+1]); the last (top cap) closes the recursion.
      for (let i = 1; i < n; i++) {
        expect(Math.abs(t.x[i] * (t.f[i + 1] - t.f[i]) - t.v) / t.v).toBeLessThan(1e-8);
      }
      // The quick-accept share: the rectangles inside the curve over the total (n·v).
      let inner = t.x[1] * t.f[1];
      for (let i = 1; i < n; i++) inner += t.x[i + 1] * (t.f[i + 1] - t.f[i]);
      // (0.985 for the normal, 0.978 for the exponential.)
      expect(inner / (n * t.v)).toBeGreaterThan(0.975);
    });
  }
});

/** N draws from one fixed-seed stream: large enough to see the tail beyond r (~1,000 draws). */
const N = 4_000_000;

function drawMany(sample: (rng: Rng) => number, key: string): Float64Array {
  const rng = new Rng(2026, "ziggurat", key);
  const values = new Float64Array(N);
  for (let i = 0; i < N; i++) values[i] = sample(rng);
  return values;
}

/**
 * Raw moments E[Xᵏ], k = 1..K, within 5 standard errors √(Var(Xᵏ)/N), Var(Xᵏ) = E[X²ᵏ] − E[Xᵏ]²;
 * `moments` lists E[Xᵏ] for k = 1..2K.
 */
function expectRawMoments(values: Float64Array, moments: number[]): void {
  const K = moments.length / 2;
  const sums = new Float64Array(K);
  for (const x of values) {
    let p = 1;
    for (let k = 0; k < K; k++) {
      p *= x;
      sums[k] += p;
    }
  }
  for (let k = 1; k <= K; k++) {
    const m = moments[k - 1];
    const sd = Math.sqrt((moments[2 * k - 1] - m * m) / N);
    expect(Math.abs(sums[k - 1] / N - m)).toBeLessThan(5 * sd);
  }
}

describe("ziggurat standard normal", () => {
  const values = drawMany(standardNormal, "normal");

  it("moments: mean 0, variance 1, skewness 0, kurtosis 3 (5 standard errors)", () => {
    expectRawMoments(values, [0, 1, 0, 3, 0, 15, 0, 105]);
  });

  it("chi-square of |z| over the layer-aligned bins against the exact normal, and the sign", () => {
    const edges = layerBins(NORMAL_ZIGGURAT);
    const probs = edges.slice(0, -1).map((a, k) => normalAbsProb(a, edges[k + 1]));
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
    const counts = new Float64Array(probs.length);
    let negative = 0;
    for (const z of values) {
      counts[binIndex(edges, Math.abs(z))]++;
      if (z < 0) negative++;
    }
    // Bound at the normal quantile 5 (a correct sampler exceeds it with p ≈ 3e-7 for any seed).
    expect(chiSquare(counts, probs, N)).toBeLessThan(chiSquareBound(probs.length - 1, 5));
    expect(Math.abs(negative - N / 2)).toBeLessThan(5 * Math.sqrt(N / 4));
  });

  it("Kolmogorov–Smirnov against the exact CDF", () => {
    const m = 200_000;
    const sorted = Float64Array.from(values.subarray(0, m)).sort();
    // Φ at each sorted value, accumulated by integrating between neighbours (exact to ~1e-12).
    let cdf = 0.5 - (sorted[0] < 0 ? 1 : -1) * (gaussArea(0, Math.abs(sorted[0])) / SQRT_2PI);
    let d = Math.max(cdf, 0);
    for (let k = 0; k < m; k++) {
      if (k > 0) cdf += gaussArea(sorted[k - 1], sorted[k]) / SQRT_2PI;
      d = Math.max(d, (k + 1) / m - cdf, cdf - k / m);
    }
    // P(√m·D > 2.5) ≈ 2·exp(−2·2.5²) ≈ 7e-6.
    expect(Math.sqrt(m) * d).toBeLessThan(2.5);
  });

  it("the tail: P(|z| > r) and P(z > 4) match theory (5 binomial sd)", () => {
    const r = NORMAL_ZIGGURAT.r;
    const pr = normalAbsProb(r, Number.POSITIVE_INFINITY);
    const p4 = normalAbsProb(4, Number.POSITIVE_INFINITY) / 2;
    let beyondR = 0;
    let above4 = 0;
    let below4 = 0;
    for (const z of values) {
      if (Math.abs(z) > r) beyondR++;
      if (z > 4) above4++;
      if (z < -4) below4++;
    }
    const within = (count: number, p: number) =>
      expect(Math.abs(count - N * p)).toBeLessThan(5 * Math.sqrt(N * p * (1 - p)));
    within(beyondR, pr);
    within(above4, p4);
    within(below4, p4);
  });

  it("is deterministic and reads only the stream it is given", () => {
    const a = new Rng(5, "det");
    const seq = Array.from({ length: 2000 }, () => standardNormal(a));
    const b = new Rng(5, "det");
    const other = new Rng(6, "noise");
    const interleaved = Array.from({ length: 2000 }, () => {
      standardNormal(other);
      return standardNormal(b);
    });
    expect(interleaved).toEqual(seq);
    expect(new Set(seq).size).toBe(seq.length);
  });
});

describe("ziggurat standard exponential", () => {
  const values = drawMany(standardExponential, "exponential");

  it("moments: mean 1, variance 1, E[x³] = 6 (5 standard errors), never negative", () => {
    // E[Xᵏ] = k!
    expectRawMoments(values, [1, 2, 6, 24, 120, 720]);
    expect(values.every((x) => x >= 0)).toBe(true);
  });

  it("chi-square over the layer-aligned bins against the exact CDF, and the tail beyond r", () => {
    const edges = layerBins(EXPONENTIAL_ZIGGURAT);
    edges[edges.length - 2] = 10; // [r, 10), [10, ∞)
    const sf = (x: number) => Math.exp(-x);
    const probs = edges.slice(0, -1).map((a, k) => sf(a) - sf(edges[k + 1]));
    const counts = new Float64Array(probs.length);
    for (const x of values) counts[binIndex(edges, x)]++;
    expect(chiSquare(counts, probs, N)).toBeLessThan(chiSquareBound(probs.length - 1, 5));
    const r = EXPONENTIAL_ZIGGURAT.r;
    for (const [cut, p] of [
      [r, sf(r)],
      [10, sf(10)],
    ]) {
      const count = values.filter((x) => x > cut).length;
      expect(Math.abs(count - N * p)).toBeLessThan(5 * Math.sqrt(N * p * (1 - p)));
    }
  });

  it("is deterministic", () => {
    const a = new Rng(5, "det-exp");
    const b = new Rng(5, "det-exp");
    const seq = Array.from({ length: 2000 }, () => standardExponential(a));
    expect(Array.from({ length: 2000 }, () => standardExponential(b))).toEqual(seq);
  });
});
