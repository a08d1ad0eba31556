/**
 * Weighted random sampling without replacement, exactly as spec R24b: walk the remaining items in
 * canonical order and take the first whose cumulative weight exceeds u × total; the last item is
 * appended without consuming a draw. Infinite weights (zero price) form a first group with equal
 * weights (R24a).
 */
import type { Rng } from "../rng/rng.js";

export function weightedOrder<T>(items: readonly T[], weight: (x: T) => number, rng: Rng): T[] {
  const inf: T[] = [];
  const fin: T[] = [];
  const w: number[] = [];
  for (const it of items) {
    const x = weight(it);
    if (x === Number.POSITIVE_INFINITY) inf.push(it);
    else {
      fin.push(it);
      w.push(x);
    }
  }
  const out: T[] = [];
  if (inf.length > 0)
    sampleInto(
      inf,
      inf.map(() => 1),
      rng,
      out,
    );
  sampleInto(fin, w, rng, out);
  return out;
}

function sampleInto<T>(items: T[], w: number[], rng: Rng, out: T[]): void {
  const rem = items.slice();
  const rw = w.slice();
  while (rem.length >= 2) {
    let total = 0;
    for (const x of rw) total += x;
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
