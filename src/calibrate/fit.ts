/**
 * Distribution fitting for calibration: a lognormal matched to the sample's median and tail
 * (σ chosen to best match p90 and p99), or — when that misses any of p50/p90/p99 by more than the
 * tolerance, as with cold-start tails — an empirical quantile table ("slow-tail" mode). Fit
 * quality is judged by sampling the fitted spec with the simulator's own samplers.
 */
import { compileDist, type DistSpec } from "../rng/distributions.js";
import { Rng } from "../rng/rng.js";

export type FitMode = "auto" | "lognormal" | "empirical";

export const CHECK_QUANTILES = [0.5, 0.9, 0.99] as const;
/** Quantile grid of the empirical fit: dense in both tails. */
const GRID = [0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1];
const Z90 = 1.2815515655446004;
const Z99 = 2.3263478740408408;
export const DEFAULT_TOLERANCE = 0.1;
const SIM_DRAWS = 50_000;

/** Quantile with linear interpolation between order statistics (sorted input). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface Fit {
  kind: "lognormal" | "empirical";
  spec: DistSpec;
  observed: number[];
  simulated: number[];
  /** Largest relative error over CHECK_QUANTILES. */
  maxError: number;
}

function relErrors(obs: readonly number[], sim: readonly number[]): number {
  return Math.max(...obs.map((o, i) => Math.abs(sim[i] - o) / o));
}

/** Quantiles of a transform of draws from `spec` (the transform maps the sampled quantity to the reported one). */
export function simulatedQuantiles(
  spec: DistSpec,
  key: string,
  transform: (x: number) => number = (x) => x,
): number[] {
  const s = compileDist(spec);
  const rng = new Rng(0, "calibrate", key);
  const xs = new Float64Array(SIM_DRAWS);
  for (let i = 0; i < SIM_DRAWS; i++) xs[i] = transform(s.sample(rng));
  xs.sort();
  return CHECK_QUANTILES.map((p) => quantile(xs as unknown as number[], p));
}

function round(x: number): number {
  return Number(x.toPrecision(5));
}

function lognormalFor(sorted: readonly number[]): { median: number; sigma: number } {
  const m = quantile(sorted, 0.5);
  const candidates = [
    Math.log(quantile(sorted, 0.9) / m) / Z90,
    Math.log(quantile(sorted, 0.99) / m) / Z99,
  ].filter((s) => Number.isFinite(s) && s > 0);
  // Pick the σ (among the two quantile matches and their mean) that best matches both tails.
  if (candidates.length === 2) candidates.push((candidates[0] + candidates[1]) / 2);
  let best = candidates[0] ?? 0.05;
  let bestErr = Number.POSITIVE_INFINITY;
  for (const s of candidates) {
    const e = Math.max(
      Math.abs(m * Math.exp(s * Z90) - quantile(sorted, 0.9)) / quantile(sorted, 0.9),
      Math.abs(m * Math.exp(s * Z99) - quantile(sorted, 0.99)) / quantile(sorted, 0.99),
    );
    if (e < bestErr) {
      bestErr = e;
      best = s;
    }
  }
  return { median: round(m), sigma: round(Math.max(best, 0.01)) };
}

/**
 * Fits positive samples of a reported quantity. `toSpec` maps a fit of the reported quantity to
 * the spec the simulator samples (identity for TTFT; 1/x for inter-token latency → tokens/s), and
 * `fromSample` maps a simulator draw back to the reported quantity.
 */
export function fitPositive(
  samples: readonly number[],
  mode: FitMode,
  key: string,
  options: {
    tolerance?: number;
    invert?: boolean;
  } = {},
): Fit {
  const sorted = samples.filter((x) => x > 0 && Number.isFinite(x)).sort((a, b) => a - b);
  if (sorted.length < 2) throw new Error(`fitPositive: need at least 2 positive samples (${key})`);
  const tol = options.tolerance ?? DEFAULT_TOLERANCE;
  const inv = options.invert ?? false;
  const back = inv ? (x: number) => 1 / x : (x: number) => x;
  const observed = CHECK_QUANTILES.map((p) => quantile(sorted, p));

  const tryFit = (kind: Fit["kind"]): Fit => {
    let spec: DistSpec;
    if (kind === "lognormal") {
      const ln = lognormalFor(sorted);
      spec = { dist: "lognormal", median: inv ? round(1 / ln.median) : ln.median, sigma: ln.sigma };
    } else {
      const q = GRID.map((p) => [p, round(quantile(sorted, p))] as [number, number]);
      // Inverting reverses the order: the reported p-quantile is the sampled (1−p)-quantile.
      spec = {
        dist: "empirical",
        quantiles: inv ? q.map(([p, v]) => [round(1 - p), round(1 / v)] as [number, number]).reverse() : q,
      };
    }
    const simulated = simulatedQuantiles(spec, key, back);
    return { kind, spec, observed, simulated, maxError: relErrors(observed, simulated) };
  };

  if (mode === "lognormal") return tryFit("lognormal");
  if (mode === "empirical") return tryFit("empirical");
  const ln = tryFit("lognormal");
  return ln.maxError <= tol ? ln : tryFit("empirical");
}
