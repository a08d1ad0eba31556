import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExactSum, QuantileSketch } from "../../src/metrics/sketch.js";
import { compileDist } from "../../src/rng/distributions.js";
import { Rng } from "../../src/rng/rng.js";

/** Nearest-rank quantile of sorted values: the ⌈q·n⌉-th smallest. */
const exact = (sorted: Float64Array, q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];

describe("QuantileSketch", () => {
  it("every quantile is within 0.5 % of the exact nearest-rank value", () => {
    const rng = new Rng(1, "sketch");
    const dist = compileDist({ dist: "lognormal", median: 3000, sigma: 1.2 });
    const values = new Float64Array(100_000);
    const s = new QuantileSketch();
    for (let i = 0; i < values.length; i++) {
      values[i] = dist.sample(rng);
      s.add(values[i]);
    }
    values.sort();
    for (const q of [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1]) {
      const x = exact(values, q);
      expect(Math.abs(s.quantile(q) - x) / x).toBeLessThanOrEqual(0.005 + 1e-12);
    }
    expect(s.count).toBe(values.length);
    expect(s.min).toBe(values[0]);
    expect(s.max).toBe(values[values.length - 1]);
  });

  it("property: relative accuracy holds for any sample, zeros and tiny values included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 1e7, noNaN: true })), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (xs, q) => {
          const s = new QuantileSketch();
          for (const x of xs) s.add(x);
          const x = exact(Float64Array.from(xs).sort(), q);
          const v = s.quantile(q);
          if (x === 0) expect(v).toBe(0);
          else expect(Math.abs(v - x) / x).toBeLessThanOrEqual(0.005 + 1e-12);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it("is empty-safe, ignores NaN and merges like one sketch", () => {
    const e = new QuantileSketch();
    expect(Number.isNaN(e.quantile(0.5))).toBe(true);
    e.add(Number.NaN);
    expect(e.count).toBe(0);
    const a = new QuantileSketch();
    const b = new QuantileSketch();
    const all = new QuantileSketch();
    for (let i = 1; i <= 1000; i++) {
      (i % 2 ? a : b).add(i * 7.5);
      all.add(i * 7.5);
    }
    a.merge(b);
    for (const q of [0.1, 0.5, 0.99]) expect(a.quantile(q)).toBe(all.quantile(q));
    expect(a.mean).toBeCloseTo(all.mean, 9);
  });
});

describe("ExactSum", () => {
  it("a million sub-cent costs add up without drift", () => {
    // 1e6 × 0.000123 in binary floating point: naive summation drifts, compensated does not.
    const s = new ExactSum();
    let naive = 0;
    for (let i = 0; i < 1_000_000; i++) {
      s.add(0.000123);
      naive += 0.000123;
    }
    expect(Math.abs(s.value - 123)).toBeLessThan(1e-12);
    expect(Math.abs(naive - 123)).toBeGreaterThan(1e-10); // the drift it avoids is real
  });

  it("cancels large and small terms exactly", () => {
    const s = new ExactSum();
    for (const x of [1e16, 1, -1e16, 1e-3, 1]) s.add(x);
    expect(s.value).toBe(2.001);
  });
});
