import { storeAsDoubles } from "../sim/doubles.js";

/**
 * Streaming quantiles in constant memory: a log-bucketed histogram (DDSketch-style) with relative
 * accuracy ALPHA = 0.5 %: every reported quantile is within 0.5 % of a value actually observed at
 * that rank. Deterministic, mergeable, and independent of N. Exact mean, min and max are kept.
 */
const ALPHA = 0.005;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
const MIN_VALUE = 1e-3; // values below (incl. 0) share the zero bucket
const OFFSET = Math.ceil(Math.log(MIN_VALUE) / LOG_GAMMA);

/** The bucket of a value above MIN_VALUE, by definition. */
export function bucketByLog(v: number): number {
  return Math.ceil(Math.log(v) / LOG_GAMMA) - OFFSET;
}

/**
 * The same bucket without a logarithm (two per simulated request; about 1.3 % of the perf model's
 * instructions, measured):
 * the value's binary exponent and top 8 mantissa bits pick a cell, a cell is narrower than a bucket
 * (at most 1/256 against γ − 1 ≈ 1 %) so it holds at most one bucket boundary, and one comparison
 * with that boundary decides. The boundaries are the smallest doubles `bucketByLog` puts in each
 * bucket, found with `bucketByLog` itself, so the answer is the same for every value
 * (test/metrics/sketch.test.ts checks each boundary and its neighbours). Values from FAST_LIMIT up
 * take `bucketByLog`. The tables (about 80 KB) are built at the first call, in a few milliseconds.
 */
export function bucketOf(v: number): number {
  if (cells === EMPTY_I32) {
    // The tables pay for their few milliseconds only in long runs: short ones take the logarithm.
    if (++slowCalls < SLOW_CALLS) return bucketByLog(v);
    buildTables();
  }
  // The lookup is here, not in a function of its own: V8 does not always inline such a call into
  // a metrics function compiled before the tables exist, and then boxes `v` on every call.
  if (!(v < FAST_LIMIT)) return bucketByLog(v);
  word[0] = v;
  let k = cells[(halves[high] >>> 12) - cellBase];
  if (v >= lower[k + 1]) k++;
  return k;
}

/** `bucketOf` by the tables (built now if they are not yet), for tests. */
export function tableBucket(v: number): number {
  if (cells === EMPTY_I32) buildTables();
  return bucketOf(v);
}

/** 2^40 ms is 35 years: latencies and token counts stay far below. */
const FAST_LIMIT = 2 ** 40;
/** Values bucketed by logarithm before the tables are built (a 2,500-request run's worth). */
const SLOW_CALLS = 5_000;
let slowCalls = 0;
const EMPTY_I32 = new Int32Array(0);
/** Bucket of each cell's smallest value above MIN_VALUE, by (biased exponent << 8 | top mantissa bits) − cellBase. */
let cells = EMPTY_I32;
let cellBase = 0;
/** lower[k]: the smallest double in bucket k. */
let lower = new Float64Array(0);
/** One double seen as two 32-bit halves; `high` indexes the half with sign and exponent. */
const word = new Float64Array(1);
const halves = new Uint32Array(word.buffer);
word[0] = 1; // 0x3ff00000_00000000
const high = halves[1] === 0x3ff00000 ? 1 : 0;

function buildTables(): void {
  const low = 1 - high;
  const topBits = (v: number): number => {
    word[0] = v;
    return halves[high];
  };
  // Positive doubles in order have consecutive bit patterns: step one unit in the last place.
  const step = (v: number, up: boolean): number => {
    word[0] = v;
    const l = halves[low];
    if (up) {
      if (l === 0xffffffff) halves[high]++;
      halves[low] = l + 1;
    } else {
      if (l === 0) halves[high]--;
      halves[low] = l - 1;
    }
    return word[0];
  };
  const first = step(MIN_VALUE, true); // the smallest value that gets a bucket
  const last = bucketByLog(FAST_LIMIT) + 1;
  const bounds = new Float64Array(last + 2).fill(Number.POSITIVE_INFINITY);
  for (let k = bucketByLog(first); k <= last + 1; k++) {
    // Start near the bucket's lower edge γ^(k − 1 + OFFSET) and step to the exact first double.
    let x = Math.max(first, GAMMA ** (k - 1 + OFFSET));
    while (x > first && bucketByLog(x) >= k) x = step(x, false);
    while (bucketByLog(x) < k) x = step(x, true);
    bounds[k] = x;
  }
  const base = topBits(first) >>> 12;
  const top = topBits(FAST_LIMIT) >>> 12;
  const table = new Int32Array(top - base + 1);
  let k = bucketByLog(first);
  for (let c = base; c <= top; c++) {
    word[0] = 0;
    halves[high] = c << 12;
    const cellLow = Math.max(word[0], first);
    while (bounds[k + 1] <= cellLow) k++;
    table[c - base] = k;
  }
  lower = bounds;
  cellBase = base;
  cells = table;
}

export class QuantileSketch {
  private counts = new Float64Array(4096);
  private zeros = 0;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(v: number): void {
    if (!(v === v)) return; // NaN: not observed
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (v <= MIN_VALUE) {
      this.zeros++;
      return;
    }
    const k = bucketOf(v);
    if (k >= this.counts.length) {
      const c = new Float64Array(Math.max(k + 1, this.counts.length * 2));
      c.set(this.counts);
      this.counts = c;
    }
    this.counts[k]++;
  }

  /**
   * Counts `v` in count, sum, min and max but not in a bucket: for a value another sketch buckets
   * (see `withBucketsOf`), which saves a bucket look-up per value.
   */
  addUnbucketed(v: number): void {
    if (!(v === v)) return;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** A copy whose buckets also hold `o`'s: the values this one took with `addUnbucketed`. */
  withBucketsOf(o: QuantileSketch): QuantileSketch {
    const c = new QuantileSketch();
    c.counts = new Float64Array(Math.max(this.counts.length, o.counts.length));
    c.counts.set(this.counts);
    for (let i = 0; i < o.counts.length; i++) c.counts[i] += o.counts[i];
    c.zeros = this.zeros + o.zeros;
    c.count = this.count;
    c.sum = this.sum;
    c.min = this.min;
    c.max = this.max;
    return c;
  }

  merge(o: QuantileSketch): void {
    if (o.counts.length > this.counts.length) {
      const c = new Float64Array(o.counts.length);
      c.set(this.counts);
      this.counts = c;
    }
    for (let i = 0; i < o.counts.length; i++) this.counts[i] += o.counts[i];
    this.zeros += o.zeros;
    this.count += o.count;
    this.sum += o.sum;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
  }

  get mean(): number {
    return this.count > 0 ? this.sum / this.count : Number.NaN;
  }

  /** The q-quantile (0..1), NaN when empty. Uses the lower rank ⌈q·n⌉ (nearest-rank method). */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank <= this.zeros) return Math.max(0, this.min);
    let seen = this.zeros;
    for (let k = 0; k < this.counts.length; k++) {
      seen += this.counts[k];
      if (seen >= rank) {
        const v = (2 * GAMMA ** (k + OFFSET)) / (GAMMA + 1);
        return Math.min(this.max, Math.max(this.min, v));
      }
    }
    return this.max;
  }
}
storeAsDoubles(new QuantileSketch(), ["sum"]);

/** Kahan–Babuška (Neumaier) summation: a million small costs add up without drift. */
export class ExactSum {
  private s = 0;
  private c = 0;
  add(x: number): void {
    const s = this.s;
    const t = s + x;
    // The same operations as branching on the larger operand, as selections: a branch first taken
    // late (x larger than the sum: a run's first value) would have no type feedback, and the next run
    // in the process would discard the compiled code there.
    const sLarger = Math.abs(s) >= Math.abs(x);
    const large = sLarger ? s : x;
    const small = sLarger ? x : s;
    this.c += large - t + small;
    this.s = t;
  }
  get value(): number {
    return this.s + this.c;
  }
}
storeAsDoubles(new ExactSum(), ["s", "c"]);
