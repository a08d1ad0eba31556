/**
 * R24b sampling runs on typed scratch arrays with incremental prefix sums; it must pick exactly
 * what the plain algorithm of the spec picks (re-sum the remaining weights each round, walk them in
 * canonical order, first cumulative weight > u × total), including exact ties, zero and infinite
 * weights, with the same number of draws.
 */
import { describe, expect, it } from "vitest";
import { sampleWeighted, type Uniform, WeightedScratch, weightedOrder } from "../../src/policies/weighted.js";
import { Rng } from "../../src/rng/rng.js";

/** The spec's algorithm, written plainly. */
function reference(w: readonly number[], rng: Uniform): number[] {
  const inf = w.map((_x, i) => i).filter((i) => w[i] === Number.POSITIVE_INFINITY);
  const fin = w.map((_x, i) => i).filter((i) => w[i] !== Number.POSITIVE_INFINITY);
  const out: number[] = [];
  for (const [items, weight] of [
    [inf, () => 1],
    [fin, (i: number) => w[i]],
  ] as const) {
    const left = [...items];
    while (left.length > 1) {
      let total = 0;
      for (const i of left) total += weight(i);
      const x = rng.next() * total;
      let acc = 0;
      let k = left.length - 1;
      for (let j = 0; j < left.length; j++) {
        if (x < acc + weight(left[j])) {
          k = j;
          break;
        }
        acc += weight(left[j]);
      }
      out.push(left[k]);
      left.splice(k, 1);
    }
    if (left.length === 1) out.push(left[0]);
  }
  return out;
}

/** u-values on a 1/8 grid so that u × total often lands exactly on a cumulative weight. */
function gridRng(seed: number): Uniform & { draws: number } {
  const r = new Rng(seed, "grid");
  return {
    draws: 0,
    next() {
      this.draws++;
      return r.int(8) / 8;
    },
  };
}

describe("R24b sampling without replacement", () => {
  it("matches the plain algorithm pick for pick, ties and zero/infinite weights included", () => {
    const shape = new Rng(4, "weights");
    for (let t = 0; t < 3000; t++) {
      const n = 1 + shape.int(25);
      const w: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = shape.int(10);
        w.push(
          c === 0 ? 0 : c === 1 ? Number.POSITIVE_INFINITY : c === 2 ? 1 / (0.1 + shape.next()) ** 2 : c,
        );
      }
      const a = gridRng(t);
      const b = gridRng(t);
      const items = w.map((_, i) => i);
      const got: number[] = [];
      sampleWeighted(items, w, a, got);
      expect(got).toEqual(reference(w, b));
      expect(a.draws).toBe(b.draws);
      expect(weightedOrder(items, (i) => w[i], gridRng(t))).toEqual(got);
    }
  });
});

describe("R24b first pick alone (lazy orders)", () => {
  it("is the full order's first item, found by binary search with one draw (none for a lone item)", () => {
    const shape = new Rng(5, "weights");
    const s = new WeightedScratch();
    for (let t = 0; t < 3000; t++) {
      const n = 1 + shape.int(40);
      const from = shape.int(3) * 40; // any slot range, as the load balancer's groups use
      s.reserve(from + n);
      const w: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = shape.int(10);
        w.push(
          c === 0 ? 0 : c === 1 ? Number.POSITIVE_INFINITY : c === 2 ? 1 / (0.1 + shape.next()) ** 2 : c,
        );
        s.pos[from + i] = i;
        s.w[from + i] = w[i];
      }
      const a = gridRng(t);
      const b = gridRng(t);
      const order = reference(w, b);
      expect(s.first(from, n, a)).toBe(order[0]);
      const inf = w.filter((x) => x === Number.POSITIVE_INFINITY).length;
      expect(a.draws).toBe((inf > 0 ? inf : n) > 1 ? 1 : 0);
    }
  });
});
