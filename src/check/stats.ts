/**
 * The statistics the distributional invariants need: the chi-square distribution (through the
 * regularized incomplete gamma function, Numerical Recipes §6.2) and a goodness-of-fit test.
 */
import { logGamma } from "../stats/t.js";

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    // Series for P(a, x), then Q = 1 − P.
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * lead);
  }
  // Continued fraction for Q (modified Lentz).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, lead * h);
}

/** P(X ≥ x) for X ~ χ²(df). */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

/** The x with P(X ≥ x) = alpha for X ~ χ²(df), by bisection on the survival function. */
export function chiSquareQuantile(alpha: number, df: number): number {
  let lo = 0;
  let hi = Math.max(1, df);
  while (chiSquareSurvival(hi, df) > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareSurvival(mid, df) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface ChiSquareResult {
  statistic: number;
  df: number;
  /** Critical value at the test's alpha. */
  critical: number;
  pValue: number;
}

/**
 * Pearson goodness-of-fit of observed counts against expected probabilities. Cells whose expected
 * count is below 5 are pooled into one (the usual validity rule for the χ² approximation).
 */
export function chiSquareTest(observed: readonly number[], probs: readonly number[], alpha: number) {
  const n = observed.reduce((s, x) => s + x, 0);
  const cells: { o: number; e: number }[] = [];
  const pooled = { o: 0, e: 0 };
  observed.forEach((o, i) => {
    const e = n * probs[i];
    if (e < 5) {
      pooled.o += o;
      pooled.e += e;
    } else cells.push({ o, e });
  });
  if (pooled.e > 0 || pooled.o > 0) cells.push(pooled);
  let stat = 0;
  for (const c of cells) {
    if (c.e > 0) stat += (c.o - c.e) ** 2 / c.e;
    else if (c.o > 0) stat = Number.POSITIVE_INFINITY; // observed something impossible
  }
  const df = Math.max(1, cells.length - 1);
  return {
    statistic: stat,
    df,
    critical: chiSquareQuantile(alpha, df),
    pValue: chiSquareSurvival(stat, df),
  } satisfies ChiSquareResult;
}
