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
 * Appends `items` to `out` in R24b order for the given weights (parallel array, consumed). Items
 * with infinite weight go first, sampled with equal weights among themselves.
 */
export function sampleWeighted<T>(items: readonly T[], w: number[], rng: Uniform, out: T[]): void {
  let inf = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === Number.POSITIVE_INFINITY) inf++;
  if (inf === 0) {
    sampleInto(items.slice(), w, rng, out);
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

/** R24b on `rem`/`rw` (both consumed). */
function sampleInto<T>(rem: T[], rw: number[], rng: Uniform, out: T[]): void {
  while (rem.length >= 2) {
    let total = 0;
    for (let i = 0; i < rw.length; i++) total += rw[i];
    const x = rng.next() * total;
    let acc = 0;
    let k = rem.length - 1;
    for (let i = 0; i < rem.length; i++) {
      if (x < acc + rw[i]) {
        k = i;
        break;
      }
      acc += rw[i];
    }
    out.push(rem[k]);
    rem.splice(k, 1);
    rw.splice(k, 1);
  }
  if (rem.length === 1) out.push(rem[0]);
}
