/**
 * Confidence intervals across replications: t-intervals on means, paired differences (common
 * random numbers make replication r of policy A and of policy B a matched pair), Welch intervals
 * for unpaired comparisons, and the number of replications a target half-width needs.
 */
import { tQuantile } from "./t.js";

/** A mean with its confidence interval. lo/hi are null when fewer than two values exist. */
export interface Stat {
  mean: number | null;
  lo: number | null;
  hi: number | null;
  /** Sample standard deviation across replications (null when n < 2). */
  sd: number | null;
  /** Replications that produced a value. */
  n: number;
}

export const CONFIDENCE = 0.95;

const finite = (v: number): boolean => Number.isFinite(v);

/** t-interval for the mean of `values` (NaN values are left out: "not observed"). */
export function meanCI(values: readonly number[], confidence = CONFIDENCE): Stat {
  const xs = values.filter(finite);
  const n = xs.length;
  if (n === 0) return { mean: null, lo: null, hi: null, sd: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lo: null, hi: null, sd: null, n };
  const ss = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  const sd = Math.sqrt(ss / (n - 1));
  const h = tQuantile(1 - (1 - confidence) / 2, n - 1) * (sd / Math.sqrt(n));
  return { mean, lo: mean - h, hi: mean + h, sd, n };
}

/** Half-width of a Stat's interval (null when there is none). */
export function halfWidth(s: Stat): number | null {
  return s.lo === null || s.hi === null ? null : (s.hi - s.lo) / 2;
}

/** Paired difference b − a per replication (both arrays indexed by replication). */
export function pairedDiff(a: readonly number[], b: readonly number[], confidence = CONFIDENCE): Stat {
  const d: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (finite(a[i]) && finite(b[i])) d.push(b[i] - a[i]);
  return meanCI(d, confidence);
}

/**
 * Paired relative difference mean(b − a) / mean(a): "B is 12 % cheaper ± 1.5 %". A ratio of means,
 * not a mean of per-replication ratios: one replication with a tiny baseline would blow the latter
 * up, even to the opposite sign of the absolute difference. The interval is the delta method's
 * (the t-interval of the linearised residuals (dᵢ − R·aᵢ) / mean(a)).
 */
export function pairedRelDiff(a: readonly number[], b: readonly number[], confidence = CONFIDENCE): Stat {
  const as: number[] = [];
  const ds: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++)
    if (finite(a[i]) && finite(b[i])) {
      as.push(a[i]);
      ds.push(b[i] - a[i]);
    }
  const n = as.length;
  if (n === 0) return { mean: null, lo: null, hi: null, sd: null, n: 0 };
  const meanA = as.reduce((x, y) => x + y, 0) / n;
  if (meanA === 0) return { mean: null, lo: null, hi: null, sd: null, n };
  const scale = Math.abs(meanA);
  const ratio = ds.reduce((x, y) => x + y, 0) / n / scale;
  // Residuals of mean zero: d − R·|a| (the sign of a baseline below zero folded in).
  const z = ds.map((d, i) => (d - ratio * Math.sign(meanA) * as[i]) / scale);
  const ci = meanCI(z, confidence);
  if (ci.lo === null || ci.hi === null) return { mean: ratio, lo: null, hi: null, sd: ci.sd, n };
  const h = (ci.hi - ci.lo) / 2;
  return { mean: ratio, lo: ratio - h, hi: ratio + h, sd: ci.sd, n };
}

/** Welch interval for mean(b) − mean(a) from two independent samples. */
export function welchDiff(a: readonly number[], b: readonly number[], confidence = CONFIDENCE): Stat {
  const sa = meanCI(a, confidence);
  const sb = meanCI(b, confidence);
  if (sa.mean === null || sb.mean === null) return { mean: null, lo: null, hi: null, sd: null, n: 0 };
  const mean = sb.mean - sa.mean;
  const n = Math.min(sa.n, sb.n);
  if (sa.sd === null || sb.sd === null) return { mean, lo: null, hi: null, sd: null, n };
  const va = (sa.sd * sa.sd) / sa.n;
  const vb = (sb.sd * sb.sd) / sb.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { mean, lo: mean, hi: mean, sd: 0, n };
  const df = (va + vb) ** 2 / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  const h = tQuantile(1 - (1 - confidence) / 2, df) * se;
  return { mean, lo: mean - h, hi: mean + h, sd: se * Math.sqrt(n), n };
}

/**
 * Replications needed so the t-interval's half-width is at most `target`, given the observed
 * standard deviation: the smallest n with t(n−1)·sd/√n ≤ target. null when sd is unknown.
 */
export function replicationsNeeded(
  sd: number | null,
  target: number,
  confidence = CONFIDENCE,
): number | null {
  if (sd === null || !(target > 0)) return null;
  if (sd === 0) return 2;
  const z = tQuantile(1 - (1 - confidence) / 2, Number.POSITIVE_INFINITY);
  const q = 1 - (1 - confidence) / 2;
  let n = Math.max(2, Math.ceil(((z * sd) / target) ** 2));
  // Fixed point n = ⌈(t(n−1)·sd/target)²⌉: t shrinks as n grows, so this converges in a few steps.
  for (let i = 0; i < 20; i++) {
    const next = Math.max(2, Math.ceil(((tQuantile(q, n - 1) * sd) / target) ** 2));
    if (next === n) break;
    n = next;
  }
  while (tQuantile(q, n - 1) * (sd / Math.sqrt(n)) > target) n++;
  return n;
}

/** True when the interval excludes zero (a difference the replications can tell apart). */
export function excludesZero(s: Stat): boolean {
  return s.lo !== null && s.hi !== null && (s.lo > 0 || s.hi < 0);
}
