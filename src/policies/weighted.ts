/**
 * Weighted random sampling without replacement, exactly as spec R24b: walk the remaining items in
 * canonical order and take the first whose cumulative weight exceeds u × total; the last item is
 * appended without consuming a draw. Infinite weights (zero price) form a first group with equal
 * weights (R24a).
 */
import type { Rng } from "../rng/rng.js";

/** Draw source: `Rng` or any test double with `next()` in [0, 1). */
export type Uniform = Pick<Rng, "next">;

export function weightedOrder<T>(items: readonly T[], weight: (x: T) => number, rng: Uniform): T[] {
  const w = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) w[i] = weight(items[i]);
  const out: T[] = [];
  sampleWeighted(items, w, rng, out);
  return out;
}

/**
 * Appends `items` to `out` in R24b order for the given weights (parallel array). Items with
 * infinite weight go first, sampled with equal weights among themselves.
 */
export function sampleWeighted<T>(items: readonly T[], w: readonly number[], rng: Uniform, out: T[]): void {
  const n = items.length;
  const s = WeightedScratch.shared;
  s.reserve(n);
  for (let i = 0; i < n; i++) {
    s.pos[i] = i;
    s.w[i] = w[i];
  }
  const k = s.sample(0, n, rng);
  for (let i = 0; i < k; i++) out.push(items[s.picked[i]]);
}

/**
 * Allocation-free R24b over typed scratch arrays: callers fill `pos` (their own item indices) and
 * `w` for slots [from, from + n), call `sample`, and read the order from `picked[0..n)`. The draws
 * (count and order) and every comparison are those of the plain algorithm, so results are
 * bit-identical to walking arrays of objects.
 */
export class WeightedScratch {
  /** One instance for callers that sample synchronously (no re-entrancy on the hot path). */
  static readonly shared = new WeightedScratch();
  pos = new Int32Array(64);
  w = new Float64Array(64);
  picked = new Int32Array(64);
  // Working copies for one sample() call: indices, weights and prefix sums of the remaining items.
  private ix = new Int32Array(64);
  private ww = new Float64Array(64);
  private pre = new Float64Array(64);

  /** Grows the arrays to hold at least `n` slots (contents of `pos`/`w` beyond are not kept). */
  reserve(n: number): void {
    if (this.pos.length >= n) return;
    const m = Math.max(n, this.pos.length * 2);
    const pos = new Int32Array(m);
    const w = new Float64Array(m);
    pos.set(this.pos);
    w.set(this.w);
    this.pos = pos;
    this.w = w;
    this.picked = new Int32Array(m);
    this.ix = new Int32Array(m);
    this.ww = new Float64Array(m);
    this.pre = new Float64Array(m);
  }

  /**
   * Orders slots [from, from + n) and writes their `pos` values to `picked` starting at
   * `picked[at]`; returns at + n. Infinite weights first (equal weights among them), then the rest.
   */
  sample(from: number, n: number, rng: Uniform, at = 0): number {
    if (n <= 0) return at;
    const pos = this.pos;
    const w = this.w;
    let inf = 0;
    for (let i = from; i < from + n; i++) if (w[i] === Number.POSITIVE_INFINITY) inf++;
    const ix = this.ix;
    const ww = this.ww;
    if (inf === 0) {
      for (let i = 0; i < n; i++) {
        ix[i] = pos[from + i];
        ww[i] = w[from + i];
      }
      return this.run(n, rng, at);
    }
    let k = 0;
    for (let i = from; i < from + n; i++)
      if (w[i] === Number.POSITIVE_INFINITY) {
        ix[k] = pos[i];
        ww[k++] = 1;
      }
    at = this.run(k, rng, at);
    k = 0;
    for (let i = from; i < from + n; i++)
      if (w[i] !== Number.POSITIVE_INFINITY) {
        ix[k] = pos[i];
        ww[k++] = w[i];
      }
    return this.run(k, rng, at);
  }

  /**
   * The first item `sample(from, n, rng)` would pick (its `pos` value), drawing only what that
   * pick draws (one draw, none for a lone item): the rest of the order can be replayed later from
   * the generator state before this call. Binary search over the prefix sums finds the index the
   * linear R24b walk finds: the sums never decrease (weights ≥ 0), so "u × total < sum" flips from
   * false to true once; when it never holds (all-zero weights, rounding, NaN) both take the last.
   */
  first(from: number, n: number, rng: Uniform): number {
    return n <= 0 ? -1 : this.drawFirst(this.prepareFirst(from, n), rng);
  }

  /**
   * The draw-free part of `first`: the group the first pick comes from (the infinite weights if
   * any, else all) and its prefix sums, kept in the scratch until the next call that writes them
   * (`first`, `sample`, `reserve`). Returns its size for `drawFirst`.
   */
  prepareFirst(from: number, n: number): number {
    const pos = this.pos;
    const w = this.w;
    const end = from + n;
    let inf = 0;
    for (let i = from; i < end; i++) if (w[i] === Number.POSITIVE_INFINITY) inf++;
    const pre = this.pre;
    const ix = this.ix;
    let k = 0;
    let acc = 0;
    // As `sample`: the infinite weights form the first group, with equal weights 1 among them.
    for (let i = from; i < end; i++) {
      const wi = w[i];
      if (inf > 0) {
        if (wi !== Number.POSITIVE_INFINITY) continue;
        acc += 1;
      } else acc += wi;
      ix[k] = pos[i];
      pre[k++] = acc;
    }
    return k;
  }

  /** The first pick from a group prepared by `prepareFirst` (size k ≥ 1). */
  drawFirst(k: number, rng: Uniform): number {
    const ix = this.ix;
    if (k === 1) return ix[0];
    const pre = this.pre;
    const x = rng.next() * pre[k - 1];
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x < pre[mid]) hi = mid;
      else lo = mid + 1;
    }
    return ix[lo];
  }

  /**
   * R24b over ix/ww[0..n). Each round's total is the sum of the remaining weights in canonical
   * order and the walk compares u × total with the running sum: both are the prefix sums `pre`,
   * which stay valid before the removed slot, so only the part after it is re-added (same
   * additions in the same order, hence the same floating-point values). When no slot matches
   * (all-zero weights, rounding) the last remaining item is taken, as in the spec.
   */
  private run(n: number, rng: Uniform, at: number): number {
    const picked = this.picked;
    const ix = this.ix;
    const ww = this.ww;
    const pre = this.pre;
    if (n === 0) return at;
    let acc = 0;
    for (let i = 0; i < n; i++) {
      acc += ww[i];
      pre[i] = acc;
    }
    for (let left = n; left >= 2; left--) {
      const x = rng.next() * pre[left - 1];
      let k = left - 1;
      for (let i = 0; i < left; i++) {
        if (x < pre[i]) {
          k = i;
          break;
        }
      }
      picked[at++] = ix[k];
      acc = k === 0 ? 0 : pre[k - 1];
      for (let i = k + 1; i < left; i++) {
        const wi = ww[i];
        ix[i - 1] = ix[i];
        ww[i - 1] = wi;
        acc += wi;
        pre[i - 1] = acc;
      }
    }
    picked[at++] = ix[0];
    return at;
  }
}
