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
export function sampleWeighted<T>(items: readonly T[], w: number[], rng: Uniform, out: T[]): void {
  let inf = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === Number.POSITIVE_INFINITY) inf++;
  if (inf === 0) {
    sampleInto(items, w, rng, out);
    return;
  }
  const a: T[] = [];
  const b: T[] = [];
  const wb: number[] = [];
  for (let i = 0; i < items.length; i++) {
    if (w[i] === Number.POSITIVE_INFINITY) a.push(items[i]);
    else {
      b.push(items[i]);
      wb.push(w[i]);
    }
  }
  sampleInto(a, new Array<number>(a.length).fill(1), rng, out);
  sampleInto(b, wb, rng, out);
}

let idx = new Int32Array(64);
let rw = new Float64Array(64);

/**
 * R24b on compact typed copies: each round re-sums the remaining weights in canonical order (the
 * spec's T = Σ w(remaining)), walks them, and removes the pick by shifting (order kept). When no
 * slot matches (all-zero weights, rounding) the last remaining item is taken, as in the spec.
 */
function sampleInto<T>(items: readonly T[], w: readonly number[], rng: Uniform, out: T[]): void {
  const n = items.length;
  if (n === 0) return;
  if (n === 1) {
    out.push(items[0]);
    return;
  }
  if (idx.length < n) {
    idx = new Int32Array(n * 2);
    rw = new Float64Array(n * 2);
  }
  const ix = idx;
  const ww = rw;
  for (let i = 0; i < n; i++) {
    ix[i] = i;
    ww[i] = w[i];
  }
  for (let left = n; left >= 2; left--) {
    let total = 0;
    for (let i = 0; i < left; i++) total += ww[i];
    const x = rng.next() * total;
    let acc = 0;
    let k = left - 1;
    for (let i = 0; i < left; i++) {
      const wi = ww[i];
      if (x < acc + wi) {
        k = i;
        break;
      }
      acc += wi;
    }
    out.push(items[ix[k]]);
    for (let i = k + 1; i < left; i++) {
      ix[i - 1] = ix[i];
      ww[i - 1] = ww[i];
    }
  }
  out.push(items[ix[0]]);
}
