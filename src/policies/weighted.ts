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

let taken = new Uint8Array(64);

/**
 * R24b without copying: chosen items are marked taken; each round re-sums the remaining weights
 * (as the spec's T = Σ w(remaining)) and walks the remaining items in canonical order. When no
 * slot matches (all-zero weights, rounding) the last remaining item is taken, as in the spec.
 */
function sampleInto<T>(items: readonly T[], w: readonly number[], rng: Uniform, out: T[]): void {
  const n = items.length;
  if (n === 0) return;
  if (n === 1) {
    out.push(items[0]);
    return;
  }
  if (taken.length < n) taken = new Uint8Array(n * 2);
  const t = taken;
  t.fill(0, 0, n);
  for (let left = n; left >= 2; left--) {
    let total = 0;
    for (let i = 0; i < n; i++) if (t[i] === 0) total += w[i];
    const x = rng.next() * total;
    let acc = 0;
    let k = -1;
    let last = -1;
    for (let i = 0; i < n; i++) {
      if (t[i] !== 0) continue;
      last = i;
      if (x < acc + w[i]) {
        k = i;
        break;
      }
      acc += w[i];
    }
    if (k < 0) k = last;
    t[k] = 1;
    out.push(items[k]);
  }
  for (let i = 0; i < n; i++) if (t[i] === 0) out.push(items[i]);
}
