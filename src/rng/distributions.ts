/**
 * Distributions as samplers: `sample(rng)` draws one value from the stream it is given (never a
 * global). Each sampler also states its theoretical mean and variance, which the tests check.
 */

import type { Dist } from "../domain/scenario.js";
import { normalCdf } from "../stats/t.js";
import type { Rng } from "./rng.js";

/** A distribution as written in a scenario (after validation). A bare number means constant. */
/** A distribution as scenarios write it (the domain's `Dist`). */
export type DistSpec = Dist;

export interface Sampler {
  sample(rng: Rng): number;
  readonly mean: number;
  readonly variance: number;
  /** Median, where it has a closed form (used by reports and catalog stats). */
  readonly median: number;
}

class Constant implements Sampler {
  constructor(readonly value: number) {}
  get mean() {
    return this.value;
  }
  get median() {
    return this.value;
  }
  readonly variance = 0;
  sample(_rng: Rng): number {
    return this.value;
  }
}

class Uniform implements Sampler {
  constructor(
    readonly min: number,
    readonly max: number,
  ) {}
  get mean() {
    return (this.min + this.max) / 2;
  }
  get median() {
    return this.mean;
  }
  get variance() {
    return (this.max - this.min) ** 2 / 12;
  }
  sample(rng: Rng): number {
    return this.min + (this.max - this.min) * rng.next();
  }
}

class Exponential implements Sampler {
  constructor(readonly mean: number) {}
  get variance() {
    return this.mean * this.mean;
  }
  get median() {
    return this.mean * Math.LN2;
  }
  sample(rng: Rng): number {
    return this.mean * standardExponential(rng);
  }
}

/*
 * Ziggurat samplers for the standard normal and the standard exponential: Marsaglia & Tsang (2000),
 * "The Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5(8), with Doornik's
 * (2005, "An Improved Ziggurat Method to Generate Normal Random Samples") fix: the layer index and
 * the uniform come from different bits, so they are independent. 256 layers, as in the paper's
 * exponential, NumPy and rand_distr; the layout of the tables follows rand_distr (Rust).
 *
 * The density f (unnormalised) is covered by 256 layers of equal area v: layer 0 is the base strip
 * [0, r] × [0, f(r)] plus the tail beyond r, drawn as a rectangle of width x[0] = v / f(r); layer i
 * spans heights f(x[i])..f(x[i+1]) with width x[i]. A point uniform in layer i is accepted at once
 * when it lies inside the next layer's width (98.5 % of normal and 97.8 % of exponential draws:
 * one 32-bit word, a multiply and a compare, no log/cos), else checked against f (wedges) or drawn
 * from the exact tail. Exact given the tables, which come from the published (r, v) at load
 * (test/rng/ziggurat.test.ts checks every layer's area).
 *
 * One word per fast draw: bits 0–7 pick the layer, bits 8–31 give the uniform (as NumPy's float32
 * ziggurat), centred so it is never 0 and symmetric. So a value lies on a grid of 2^−23 (normal) or
 * 2^−24 (exponential) of its layer's width, below 5e-7 in z: far finer than anything a latency
 * simulation resolves. A second word for a 53-bit uniform was measured: 67 more instructions per
 * perf-model request, a fifth of the gain (docs/performance.md, "Samplers").
 *
 * Draws stay keyed: a variable number of words per value, all from the `rng` passed in.
 */

/** Number of ziggurat layers (the index is the low 8 bits of a word). */
export const ZIGGURAT_LAYERS = 256;

/** Ziggurat tables: layer widths `x` (decreasing, x[256] = 0) and heights `f` = f(x[i]). */
export interface ZigguratTables {
  readonly r: number;
  readonly v: number;
  readonly x: Float64Array;
  readonly f: Float64Array;
}

function zigguratTables(
  r: number,
  v: number,
  f: (x: number) => number,
  fInv: (y: number) => number,
): ZigguratTables {
  const n = ZIGGURAT_LAYERS;
  const x = new Float64Array(n + 1);
  x[0] = v / f(r);
  x[1] = r;
  for (let i = 2; i < n; i++) x[i] = fInv(v / x[i - 1] + f(x[i - 1]));
  x[n] = 0;
  const fx = Float64Array.from(x, f);
  return { r, v, x, f: fx };
}

/** Normal, 256 layers: the published r and v for n = 256 (as in NumPy and rand_distr). */
export const NORMAL_ZIGGURAT = zigguratTables(
  3.6541528853610088,
  0.00492867323399,
  (x) => Math.exp(-0.5 * x * x),
  (y) => Math.sqrt(-2 * Math.log(y)),
);

/** Exponential, 256 layers: r and v from Marsaglia & Tsang (2000), as in NumPy and rand_distr. */
export const EXPONENTIAL_ZIGGURAT = zigguratTables(
  7.697117470131487,
  3.949659822581572e-3,
  (x) => Math.exp(-x),
  (y) => -Math.log(y),
);

const NX = NORMAL_ZIGGURAT.x;
const NF = NORMAL_ZIGGURAT.f;
const NR = NORMAL_ZIGGURAT.r;
const EX = EXPONENTIAL_ZIGGURAT.x;
const EF = EXPONENTIAL_ZIGGURAT.f;
const ER = EXPONENTIAL_ZIGGURAT.r;
const TWO_M23 = 2 ** -23;
const TWO_M24 = 2 ** -24;

// The rare ziggurat cases write their draw here instead of returning it. Compiled code merged a
// returned (boxed) number with the common path's x and so boxed x on every draw; the edge gets the
// 24 bits, small integers, rather than x for the same reason (docs/performance.md, fourteenth round).
const edgeDraw = new Float64Array(1);

/** One standard normal draw (ziggurat, see above): u = (k + ½)·2^−23 − 1 with k = bits 8–31. */
export function standardNormal(rng: Rng): number {
  const w = rng.nextI32(); // i and the top 24 bits are the same as of the unsigned value
  const i = w & 255;
  const x = (((w >>> 8) + 0.5) * TWO_M23 - 1) * NX[i];
  if (Math.abs(x) < NX[i + 1]) return x;
  normalEdge(rng, i, w >>> 8);
  return edgeDraw[0];
}

/** The rare ziggurat cases (1.5 % of normal draws): tail or wedge; a rejection draws afresh. */
function normalEdge(rng: Rng, i: number, k: number): void {
  const x = ((k + 0.5) * TWO_M23 - 1) * NX[i];
  if (i === 0) {
    // Marsaglia (1964) tail beyond r: x = −ln(u1)/r, y = −ln(u2), accept when 2y > x².
    let t: number;
    let y: number;
    do {
      t = -Math.log(rng.nextOpen()) / NR;
      y = -Math.log(rng.nextOpen());
    } while (2 * y <= t * t);
    edgeDraw[0] = x < 0 ? -(NR + t) : NR + t;
    return;
  }
  if (NF[i + 1] + (NF[i] - NF[i + 1]) * rng.next() < Math.exp(-0.5 * x * x)) edgeDraw[0] = x;
  else edgeDraw[0] = standardNormal(rng);
}

/** One standard exponential draw (ziggurat, see above): u = (k + ½)·2^−24 with k = bits 8–31. */
export function standardExponential(rng: Rng): number {
  const w = rng.nextI32(); // i and the top 24 bits are the same as of the unsigned value
  const i = w & 255;
  const x = ((w >>> 8) + 0.5) * TWO_M24 * EX[i];
  if (x < EX[i + 1]) return x;
  exponentialEdge(rng, i, w >>> 8); // as standardNormal's edge
  return edgeDraw[0];
}

function exponentialEdge(rng: Rng, i: number, k: number): void {
  const x = (k + 0.5) * TWO_M24 * EX[i];
  // Beyond r the exponential is memoryless: the tail is r + Exp(1), exactly.
  if (i === 0) edgeDraw[0] = ER + standardExponential(rng);
  else if (EF[i + 1] + (EF[i] - EF[i + 1]) * rng.next() < Math.exp(-x)) edgeDraw[0] = x;
  else edgeDraw[0] = standardExponential(rng);
}

/** Standard normal density. */
function phi(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Upper tail 1 − Φ(z), computed directly (no cancellation far in the tail). */
function normalUpperTail(z: number): number {
  return normalCdf(-z);
}

/**
 * Normal truncated below at `min` (used where a value must be positive). Its stated mean, variance
 * and median are those of the truncated distribution, so they stay exact when the cut matters.
 * Sampling: plain rejection when at least half the mass survives the cut, otherwise Robert's (1995)
 * exponential proposal, so a far cut never loops or clamps.
 */
class Normal implements Sampler {
  readonly mean: number;
  readonly variance: number;
  readonly median: number;
  /** Standardised cut (min − mu) / sd. */
  private readonly alpha: number;
  /** Rate of Robert's exponential proposal. */
  private readonly lambda: number;
  constructor(
    readonly mu: number,
    readonly sd: number,
    readonly min: number,
  ) {
    if (sd === 0) {
      const v = Math.max(mu, min);
      this.alpha = Number.NEGATIVE_INFINITY;
      this.lambda = 0;
      this.mean = v;
      this.variance = 0;
      this.median = v;
      return;
    }
    const a = (min - mu) / sd;
    this.alpha = a;
    this.lambda = (a + Math.sqrt(a * a + 4)) / 2;
    if (a < -8) {
      // The cut removes < 1e-15 of the mass: keep the untruncated figures exactly.
      this.mean = mu;
      this.variance = sd * sd;
      this.median = mu;
      return;
    }
    const tail = normalUpperTail(a);
    // Inverse Mills ratio; for a far cut use its asymptotic form to avoid 0/0.
    const mills = tail > 1e-300 ? phi(a) / tail : a + 1 / a;
    this.mean = mu + sd * mills;
    this.variance = sd * sd * Math.max(0, 1 + a * mills - mills * mills);
    // Median: the z whose upper tail is half the surviving mass (bisection; done once).
    let lo = Math.max(a, -40);
    let hi = Math.max(a, 0) + 40;
    for (let i = 0; i < 200; i++) {
      const m = (lo + hi) / 2;
      if (normalUpperTail(m) > tail / 2) lo = m;
      else hi = m;
    }
    this.median = mu + sd * ((lo + hi) / 2);
  }
  sample(rng: Rng): number {
    const a = this.alpha;
    if (this.sd === 0) return this.mean;
    if (a <= 0) {
      for (;;) {
        const x = this.mu + this.sd * standardNormal(rng);
        if (x > this.min) return x;
      }
    }
    // Robert (1995): z = a + Exp(lambda), accepted with probability exp(-(z - lambda)^2 / 2).
    for (;;) {
      const z = a + standardExponential(rng) / this.lambda;
      const d = z - this.lambda;
      if (rng.next() < Math.exp(-0.5 * d * d)) return this.mu + this.sd * z;
    }
  }
}

class LogNormal implements Sampler {
  constructor(
    readonly mu: number,
    readonly sigma: number,
  ) {}
  get mean() {
    return Math.exp(this.mu + (this.sigma * this.sigma) / 2);
  }
  get median() {
    return Math.exp(this.mu);
  }
  get variance() {
    const s2 = this.sigma * this.sigma;
    return (Math.exp(s2) - 1) * Math.exp(2 * this.mu + s2);
  }
  sample(rng: Rng): number {
    return Math.exp(this.mu + this.sigma * standardNormal(rng));
  }
}

/** Gamma by Marsaglia–Tsang (shape ≥ 1), boosted for shape < 1. */
class Gamma implements Sampler {
  private readonly d: number;
  private readonly c: number;
  constructor(
    readonly shape: number,
    readonly scale: number,
  ) {
    const k = shape < 1 ? shape + 1 : shape;
    this.d = k - 1 / 3;
    this.c = 1 / Math.sqrt(9 * this.d);
  }
  get mean() {
    return this.shape * this.scale;
  }
  get median() {
    // Wilson–Hilferty approximation; exact enough for reporting.
    const k = this.shape;
    return this.scale * k * (1 - 1 / (9 * k)) ** 3;
  }
  get variance() {
    return this.shape * this.scale * this.scale;
  }
  sample(rng: Rng): number {
    const d = this.d;
    const c = this.c;
    let v: number;
    for (;;) {
      let x: number;
      do {
        x = standardNormal(rng);
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = rng.nextOpen();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) break;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) break;
    }
    let g = d * v * this.scale;
    if (this.shape < 1) g *= rng.nextOpen() ** (1 / this.shape);
    return g;
  }
}

/** Uniform choice among observed values. */
class EmpiricalValues implements Sampler {
  readonly mean: number;
  readonly variance: number;
  readonly median: number;
  constructor(private readonly values: Float64Array) {
    let s = 0;
    for (const v of values) s += v;
    this.mean = s / values.length;
    let q = 0;
    for (const v of values) q += (v - this.mean) ** 2;
    this.variance = q / values.length;
    const sorted = Float64Array.from(values).sort();
    const m = sorted.length >> 1;
    this.median = sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }
  sample(rng: Rng): number {
    return this.values[Math.floor(rng.next() * this.values.length)];
  }
}

/** Piecewise-linear inverse CDF through (p, value) points; p from 0 to 1. */
class EmpiricalQuantiles implements Sampler {
  readonly mean: number;
  readonly variance: number;
  readonly median: number;
  constructor(
    private readonly ps: Float64Array,
    private readonly vs: Float64Array,
  ) {
    // Moments of the piecewise-uniform density between knots.
    let m = 0;
    let m2 = 0;
    for (let i = 1; i < ps.length; i++) {
      const w = ps[i] - ps[i - 1];
      const a = vs[i - 1];
      const b = vs[i];
      m += (w * (a + b)) / 2;
      m2 += (w * (a * a + a * b + b * b)) / 3;
    }
    this.mean = m;
    this.variance = m2 - m * m;
    this.median = this.quantile(0.5);
  }
  quantile(p: number): number {
    const ps = this.ps;
    let i = 1;
    while (i < ps.length - 1 && ps[i] < p) i++;
    const w = ps[i] - ps[i - 1];
    const f = w > 0 ? (p - ps[i - 1]) / w : 0;
    return this.vs[i - 1] + f * (this.vs[i] - this.vs[i - 1]);
  }
  sample(rng: Rng): number {
    return this.quantile(rng.next());
  }
}

/** Compiles a validated distribution spec into a sampler. */
export function compileDist(spec: DistSpec): Sampler {
  if (typeof spec === "number") return new Constant(spec);
  switch (spec.dist) {
    case "constant":
      return new Constant(spec.value);
    case "uniform":
      return new Uniform(spec.min, spec.max);
    case "exponential":
      return new Exponential(spec.mean);
    case "normal": {
      const sd = spec.sd ?? (spec.cv ?? 0) * spec.mean;
      return new Normal(spec.mean, sd, spec.min ?? 0);
    }
    case "lognormal": {
      if (spec.median !== undefined) return new LogNormal(Math.log(spec.median), spec.sigma ?? 0);
      const mean = spec.mean ?? 1;
      const cv = spec.cv ?? 0;
      const s2 = Math.log(1 + cv * cv);
      return new LogNormal(Math.log(mean) - s2 / 2, Math.sqrt(s2));
    }
    case "gamma": {
      const shape = 1 / (spec.cv * spec.cv);
      return new Gamma(shape, spec.mean / shape);
    }
    case "empirical": {
      if (spec.values) return new EmpiricalValues(Float64Array.from(spec.values));
      const q = spec.quantiles ?? [];
      return new EmpiricalQuantiles(
        Float64Array.from(q, (x) => x[0]),
        Float64Array.from(q, (x) => x[1]),
      );
    }
  }
}
