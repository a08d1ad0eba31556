import { describe, expect, it } from "vitest";
import { hashKey, Rng } from "../../src/rng/rng.js";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextU32());
}

describe("Rng streams", () => {
  it("is deterministic: the same key gives the same sequence", () => {
    expect(draws(new Rng(7, "arrivals"), 100)).toEqual(draws(new Rng(7, "arrivals"), 100));
  });

  it("gives different sequences for different keys (seed, purpose, name, part boundaries)", () => {
    const keys: (string | number)[][] = [
      [7, "arrivals"],
      [8, "arrivals"],
      [7, "sizes"],
      [7, "latency", "alpha"],
      [7, "latency", "beta"],
      [7, "latencya", "lpha"],
      [7, "latency", "alph", "a"],
      [7, "1"],
      [7, 1],
      [2 ** 32 + 7],
    ];
    const firsts = keys.map((k) => draws(new Rng(...k), 4).join(","));
    expect(new Set(firsts).size).toBe(keys.length);
    const hashes = keys.map((k) => hashKey(k).join(","));
    expect(new Set(hashes).size).toBe(keys.length);
  });

  it("streams with nearby keys are uncorrelated", () => {
    const n = 200_000;
    const a = new Rng(1, "latency", "alpha");
    const b = new Rng(1, "latency", "alphb");
    let sxy = 0;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      const x = a.next();
      const y = b.next();
      sx += x;
      sy += y;
      sxy += x * y;
    }
    const cov = sxy / n - (sx / n) * (sy / n);
    const r = cov / (1 / 12);
    // Under independence r ~ N(0, 1/n): 5 sigma.
    expect(Math.abs(r)).toBeLessThan(5 / Math.sqrt(n));
  });

  it("reseed is keyed, allocation-free and independent of the generator's history", () => {
    const base = hashKey([3, "errors", "alpha"]);
    const r1 = new Rng(0);
    const r2 = new Rng(99, "other");
    draws(r2, 17); // arbitrary history
    r1.reseed(base, 5, 1, 2);
    r2.reseed(base, 5, 1, 2);
    expect(draws(r1, 50)).toEqual(draws(r2, 50));
    // Each key part matters, including its position.
    const seqs = [
      [5, 1, 2],
      [6, 1, 2],
      [5, 2, 2],
      [5, 1, 3],
      [1, 5, 2],
      [2, 1, 5],
    ].map(([k1, k2, k3]) => {
      r1.reseed(base, k1, k2, k3);
      return draws(r1, 4).join(",");
    });
    expect(new Set(seqs).size).toBe(seqs.length);
    const other = hashKey([3, "errors", "beta"]);
    r1.reseed(base, 5, 1, 2);
    r2.reseed(other, 5, 1, 2);
    expect(draws(r1, 4)).not.toEqual(draws(r2, 4));
  });

  it("consecutive request keys give uncorrelated first draws (what the farm relies on)", () => {
    const base = hashKey([1, "latency", "alpha", "m"]);
    const rng = new Rng(0);
    const n = 100_000;
    let prev = 0;
    let sum = 0;
    let lag = 0;
    for (let id = 0; id < n; id++) {
      rng.reseed(base, id, 0, 1);
      const u = rng.next();
      sum += u;
      if (id > 0) lag += (u - 0.5) * (prev - 0.5);
      prev = u;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(lag / (n - 1) / (1 / 12))).toBeLessThan(5 / Math.sqrt(n));
  });

  it("next() is uniform on [0, 1): chi-square over 100 bins", () => {
    const rng = new Rng(11, "uniformity");
    const bins = 100;
    const n = 1_000_000;
    const counts = new Float64Array(bins);
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      if (u < min) min = u;
      if (u > max) max = u;
      counts[Math.floor(u * bins)]++;
    }
    const e = n / bins;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - e) ** 2 / e;
    // chi2 with 99 degrees of freedom: mean 99, sd sqrt(198) ≈ 14.1; 5 sigma either side.
    expect(chi2).toBeLessThan(99 + 5 * Math.sqrt(198));
    expect(chi2).toBeGreaterThan(99 - 5 * Math.sqrt(198));
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });

  it("nextOpen() never returns 0 or 1 and int(n) covers [0, n) evenly", () => {
    const rng = new Rng(12, "int");
    const n = 7;
    const counts = new Array(n).fill(0);
    const draws = 140_000;
    for (let i = 0; i < draws; i++) {
      const o = rng.nextOpen();
      expect(o > 0 && o < 1).toBe(true);
      counts[rng.int(n)]++;
    }
    const e = draws / n;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - e) ** 2 / e;
    expect(chi2).toBeLessThan(6 + 5 * Math.sqrt(12));
  });
});
