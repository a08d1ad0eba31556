import { describe, expect, it } from "vitest";
import { chiSquareQuantile, chiSquareSurvival, chiSquareTest } from "../../src/check/stats.js";

describe("chi-square distribution", () => {
  it("matches printed critical values", () => {
    // Standard table values (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
    expect(chiSquareQuantile(0.05, 1)).toBeCloseTo(3.841, 3);
    expect(chiSquareQuantile(0.05, 2)).toBeCloseTo(5.991, 3);
    expect(chiSquareQuantile(0.01, 10)).toBeCloseTo(23.209, 3);
    expect(chiSquareQuantile(0.001, 5)).toBeCloseTo(20.515, 3);
    // df 1: the square of a standard normal, so the 1e-6 quantile is z(5e-7)² = 4.8916² ≈ 23.928.
    expect(chiSquareQuantile(1e-6, 1)).toBeCloseTo(23.928, 2);
  });

  it("survival is the inverse of the quantile", () => {
    for (const df of [1, 2, 3, 7, 30]) {
      for (const a of [0.5, 0.05, 1e-4])
        expect(chiSquareSurvival(chiSquareQuantile(a, df), df)).toBeCloseTo(a, 8);
    }
  });

  it("goodness of fit: accepts the expected counts, rejects a shifted split, pools small cells", () => {
    const ok = chiSquareTest([735, 184, 81], [36 / 49, 9 / 49, 4 / 49], 1e-6);
    expect(ok.statistic).toBeLessThan(ok.critical);
    const bad = chiSquareTest([600, 250, 150], [36 / 49, 9 / 49, 4 / 49], 1e-6);
    expect(bad.statistic).toBeGreaterThan(bad.critical);
    // Three cells expect < 5 and are pooled into one: 2 cells → df 1.
    const pooled = chiSquareTest([990, 4, 3, 3], [0.99, 0.004, 0.003, 0.003], 0.05);
    expect(pooled.df).toBe(1);
    expect(chiSquareTest([10, 0, 5], [0.5, 0.5, 0], 0.05).statistic).toBe(Number.POSITIVE_INFINITY);
  });
});
