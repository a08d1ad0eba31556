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
    const k = Math.ceil(Math.log(v) / LOG_GAMMA) - OFFSET;
    if (k >= this.counts.length) {
      const c = new Float64Array(Math.max(k + 1, this.counts.length * 2));
      c.set(this.counts);
      this.counts = c;
    }
    this.counts[k]++;
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
