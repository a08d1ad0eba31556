import { describe, expect, it } from "vitest";
import { Rng } from "../../src/rng/rng.js";
import { meanCI, pairedDiff, pairedRelDiff, replicationsNeeded, welchDiff } from "../../src/stats/ci.js";
import { incompleteBeta, logGamma, tCdf, tQuantile } from "../../src/stats/t.js";

describe("Student t", () => {
  // Two-sided 95 % critical values t(0.975, df) from standard tables.
  const table: [number, number][] = [
    [1, 12.7062047],
    [2, 4.30265273],
    [3, 3.18244631],
    [4, 2.77644511],
    [5, 2.57058184],
    [9, 2.26215716],
    [10, 2.22813885],
    [19, 2.09302405],
    [30, 2.04227246],
    [100, 1.98397152],
  ];
  it.each(table)("t(0.975, %i) matches the table", (df, t) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(t, 6);
  });
  it("other quantiles and symmetry", () => {
    expect(tQuantile(0.995, 5)).toBeCloseTo(4.03214298, 6);
    expect(tQuantile(0.9, 1)).toBeCloseTo(3.07768354, 6); // Cauchy: tan(0.4π)
    expect(tQuantile(0.025, 7)).toBeCloseTo(-tQuantile(0.975, 7), 12);
    expect(tQuantile(0.5, 3)).toBe(0);
    expect(tQuantile(0.975, Number.POSITIVE_INFINITY)).toBeCloseTo(1.959964, 5);
  });
  it("CDF inverts the quantile and agrees with closed forms", () => {
    for (const df of [1, 2.5, 4, 17])
      for (const p of [0.6, 0.9, 0.99]) expect(tCdf(tQuantile(p, df), df)).toBeCloseTo(p, 10);
    // df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2))
    expect(tCdf(1.3, 2)).toBeCloseTo(0.5 + 1.3 / (2 * Math.sqrt(2 + 1.69)), 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
  });
  it("rejects bad arguments", () => {
    expect(() => tQuantile(1, 3)).toThrow(RangeError);
    expect(() => tCdf(1, 0)).toThrow(RangeError);
  });
});

describe("confidence intervals", () => {
  it("a t-interval by hand", () => {
    const s = meanCI([1, 2, 3, 4]);
    const h = (tQuantile(0.975, 3) * Math.sqrt(5 / 3)) / 2;
    expect(s.mean).toBe(2.5);
    expect(s.lo).toBeCloseTo(2.5 - h, 12);
    expect(s.hi).toBeCloseTo(2.5 + h, 12);
    expect(meanCI([7]).lo).toBeNull();
    expect(meanCI([Number.NaN, 3, 5]).n).toBe(2);
    expect(meanCI([]).mean).toBeNull();
  });

  it("covers the true mean about 95 % of the time (normal data, n = 5, fixed seed)", () => {
    const rng = new Rng(42, "coverage");
    const normal = (): number =>
      Math.sqrt(-2 * Math.log(rng.nextOpen())) * Math.cos(2 * Math.PI * rng.next());
    const trials = 4000;
    let covered = 0;
    for (let i = 0; i < trials; i++) {
      const xs = Array.from({ length: 5 }, () => 10 + 3 * normal());
      const s = meanCI(xs);
      if ((s.lo as number) <= 10 && 10 <= (s.hi as number)) covered++;
    }
    // Binomial sd of the coverage is sqrt(0.95·0.05/4000) ≈ 0.0034; ±5 sd never flakes, and a
    // normal quantile (1.96 instead of 2.776) would give ≈ 0.88, far outside.
    expect(covered / trials).toBeGreaterThan(0.95 - 0.017);
    expect(covered / trials).toBeLessThan(0.95 + 0.017);
  });

  it("paired and Welch differences", () => {
    const a = [10, 12, 11, 13];
    const b = a.map((x) => x * 0.9);
    const d = pairedDiff(a, b);
    expect(d.mean).toBeCloseTo(-1.15, 12);
    const r = pairedRelDiff(a, b);
    expect(r.mean).toBeCloseTo(-0.1, 12);
    expect(r.hi! - r.lo!).toBeLessThan(1e-12); // every replication is exactly 10 % lower
    const w = welchDiff([1, 2, 3], [2, 4, 6, 8]);
    // Welch–Satterthwaite by hand: va = 1/3, vb = 20/12, df = 4 / (va²/2 + vb²/3).
    const va = 1 / 3;
    const vb = 20 / 12;
    const df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3);
    expect(w.mean).toBeCloseTo(3, 12);
    expect(w.hi! - 3).toBeCloseTo(tQuantile(0.975, df) * Math.sqrt(va + vb), 10);
  });

  it("relative difference never has the opposite sign of the absolute one (issue 25 item 5)", () => {
    // One replication with a tiny baseline: the mean of per-replication ratios was +2384 % while
    // the absolute difference was −9,443.
    const a = [20_000, 18_000, 22_000, 3];
    const b = [8_000, 9_000, 7_000, 2_000];
    const abs = pairedDiff(a, b);
    const rel = pairedRelDiff(a, b);
    expect(abs.mean!).toBeLessThan(0);
    expect(rel.mean!).toBeLessThan(0);
    expect(rel.mean!).toBeCloseTo(abs.mean! / ((20_000 + 18_000 + 22_000 + 3) / 4), 12);
    // A negative baseline keeps the sign of the absolute difference too.
    expect(pairedRelDiff([-10, -12], [-5, -6]).mean!).toBeGreaterThan(0);
  });

  it("the relative interval covers the true ratio about 95 % of the time", () => {
    const rng = new Rng(11, "rel-coverage");
    const normal = (): number =>
      Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    const trials = 3000;
    let covered = 0;
    for (let i = 0; i < trials; i++) {
      const a = Array.from({ length: 10 }, () => 100 + 10 * normal());
      const b = a.map((x) => 0.8 * x + 5 * normal());
      const r = pairedRelDiff(a, b);
      if ((r.lo as number) <= -0.2 && -0.2 <= (r.hi as number)) covered++;
    }
    // Delta-method intervals run a little narrow at n = 10; a mean of ratios would be as good here,
    // the point is that the interval is not far off (sd of the coverage ≈ 0.004).
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.98);
  });

  it("replications needed for a target half-width", () => {
    const n = replicationsNeeded(2, 0.5)!;
    const half = (k: number): number => (tQuantile(0.975, k - 1) * 2) / Math.sqrt(k);
    expect(half(n)).toBeLessThanOrEqual(0.5);
    expect(half(n - 1)).toBeGreaterThan(0.5);
    expect(replicationsNeeded(null, 1)).toBeNull();
  });
});
