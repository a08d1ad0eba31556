import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketByLog, bucketOf, ExactSum, QuantileSketch, tableBucket } from "../../src/metrics/sketch.js";
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

describe("bucketOf: the sketch's bucket without a logarithm", () => {
  // The sketch's constants (src/metrics/sketch.ts): relative accuracy 0.5 %, zero bucket up to 1e-3.
  const GAMMA = 1.005 / 0.995;
  const OFFSET = Math.ceil(Math.log(1e-3) / Math.log(GAMMA));
  const word = new Float64Array(1);
  const bits = new BigUint64Array(word.buffer);
  const ulps = (v: number, n: number): number => {
    word[0] = v;
    bits[0] += BigInt(n); // positive doubles: the bit pattern counts units in the last place
    return word[0];
  };
  const same = (v: number): boolean => tableBucket(v) === bucketByLog(v) && bucketOf(v) === bucketByLog(v);

  it("agrees with the logarithm at every bucket boundary and 40 doubles either side", () => {
    let checked = 0;
    // Boundaries up to 2^45: past the table's end (2^40) too, where the logarithm answers.
    for (let k = 0; GAMMA ** (k - 1 + OFFSET) < 2 ** 45; k++) {
      const edge = GAMMA ** (k - 1 + OFFSET);
      for (let d = -40; d <= 40; d++) {
        const v = ulps(edge, d);
        if (v <= 1e-3) continue;
        checked++;
        if (!same(v)) expect.fail(`tableBucket(${v}) = ${tableBucket(v)}, by logarithm ${bucketByLog(v)}`);
      }
    }
    expect(checked).toBeGreaterThan(300_000);
  });

  it("agrees at every cell edge (powers of two times 1 + m/256) and on 300k log-uniform values", () => {
    for (let e = -10; e <= 41; e++)
      for (let m = 0; m < 256; m++)
        for (const d of [-2, -1, 0, 1, 2]) {
          const v = ulps(2 ** e * (1 + m / 256), d);
          if (v > 1e-3) expect(same(v), String(v)).toBe(true);
        }
    const rng = new Rng(11, "bucketOf");
    const lo = Math.log(1e-3);
    const hi = Math.log(2 ** 42);
    for (let i = 0; i < 300_000; i++) {
      const v = Math.exp(lo + rng.next() * (hi - lo));
      if (v > 1e-3 && !same(v))
        expect.fail(`tableBucket(${v}) = ${tableBucket(v)}, by logarithm ${bucketByLog(v)}`);
    }
  });

  it("the first value above the zero bucket, and huge values", () => {
    for (const v of [ulps(1e-3, 1), ulps(1e-3, 2), 0.0011, 1, 1000, 2 ** 40, ulps(2 ** 40, -1), 1e15, 1e300])
      expect(same(v), String(v)).toBe(true);
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

describe("QuantileSketch.addUnbucketed + withBucketsOf", () => {
  it("gives the sketch of all values when another sketch buckets some of them", () => {
    const rng = new Rng(5, "split");
    const all = new QuantileSketch();
    const part = new QuantileSketch();
    const rest = new QuantileSketch();
    for (let i = 0; i < 20_000; i++) {
      const v = i % 97 === 0 ? 0 : Math.exp(rng.next() * 12);
      all.add(v);
      if (rng.next() < 0.8) {
        rest.addUnbucketed(v);
        part.add(v);
      } else rest.add(v);
    }
    const merged = rest.withBucketsOf(part);
    for (const q of [0, 0.001, 0.01, 0.5, 0.9, 0.99, 0.999, 1])
      expect(merged.quantile(q)).toBe(all.quantile(q));
    expect([merged.count, merged.sum, merged.min, merged.max]).toEqual([
      all.count,
      all.sum,
      all.min,
      all.max,
    ]);
    // The copy leaves both inputs as they were (a second summary gives the same answer).
    expect(rest.withBucketsOf(part).quantile(0.5)).toBe(all.quantile(0.5));
  });
});
