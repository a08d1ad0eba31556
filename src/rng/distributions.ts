/**
 * Distributions as samplers: `sample(rng)` draws one value from the stream it is given (never a
 * global). Each sampler also states its theoretical mean and variance, which the tests check.
 */
import { normalCdf } from "../stats/t.js";
import type { Rng } from "./rng.js";

/** A distribution as written in a scenario (after validation). A bare number means constant. */
export type DistSpec =
  | number
  | { dist: "constant"; value: number }
  | { dist: "uniform"; min: number; max: number }
  | { dist: "exponential"; mean: number }
  | { dist: "normal"; mean: number; sd?: number; cv?: number; min?: number }
  | { dist: "lognormal"; median?: number; sigma?: number; mean?: number; cv?: number }
  | { dist: "gamma"; mean: number; cv: number }
  | { dist: "empirical"; values?: number[]; quantiles?: [number, number][] };

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
    return -this.mean * Math.log(rng.nextOpen());
  }
}

/** One standard normal draw (Box–Muller; the second value is discarded so draws stay keyed). */
export function standardNormal(rng: Rng): number {
  const u1 = rng.nextOpen();
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
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
      const z = a - Math.log(rng.nextOpen()) / this.lambda;
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
