/**
 * Health bookkeeping the router keeps per endpoint (R90–R95): recent counted failures, 429s,
 * outcome counts in minute buckets, in-flight attempts and a TTFT moving average.
 */
import type { HealthView, ObservedStats, WindowCounts } from "../policies/types.js";
import type { AttemptRecord, PercentileStats } from "../types.js";

const RING = 32;
const BUCKET_MS = 60_000;
const BUCKETS = 64; // > 1 hour of history, enough for the 30-minute uptime window
/** Latest successful attempts kept per endpoint for rolling TTFT/throughput percentiles (R7). */
const SAMPLES = 256;
/** Observed percentiles are recomputed at most once per this much simulated time per endpoint. */
const STATS_REFRESH_MS = 1000;
/** Latest records whose endpoint `recordedEndpoint` still answers (a power of two). */
const LOG = 64;

/** R91: which attempt statuses count against an endpoint's uptime. */
export function isCountedError(status: number, error: AttemptRecord["error"]): boolean {
  if (status === 200) return error === "mid_stream";
  if (status === 429 || status === 400 || status === 413 || status === 403) return false;
  return status === 401 || status === 402 || status === 404 || status === 408 || status >= 500;
}

export class HealthTracker implements HealthView {
  private readonly failRing: Float64Array;
  private readonly failCount: Int32Array;
  private readonly last429: Float64Array;
  private readonly inflightN: Int32Array;
  private readonly ewma: Float64Array;
  private readonly bucketId: Float64Array;
  private readonly ok: Int32Array;
  private readonly bad: Int32Array;
  private readonly limited: Int32Array;
  private readonly sampleAt: Float64Array;
  private readonly sampleTtftS: Float64Array;
  private readonly sampleTps: Float64Array;
  private readonly sampleCount: Int32Array;
  private readonly statsCache: (ObservedStats | null)[];
  private readonly statsAt: Float64Array;
  private readonly statsWindow: Float64Array;
  private readonly version: Int32Array;
  // Change log: endpoints of the latest LOG records, `logAt` the slot of the next one.
  private readonly log = new Int32Array(LOG);
  private logAt = 0;
  private records = 0;
  private readonly winCache: (
    | { windowMs: number; from: number; to: number; version: number; counts: WindowCounts }
    | undefined
  )[];

  /** `clock` must read the `now` of the views showing this tracker (the change log's promise). */
  constructor(
    private readonly n: number,
    private readonly clock: () => number,
  ) {
    this.failRing = new Float64Array(n * RING).fill(Number.NEGATIVE_INFINITY);
    this.failCount = new Int32Array(n);
    this.last429 = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.inflightN = new Int32Array(n);
    this.ewma = new Float64Array(n).fill(Number.NaN);
    this.bucketId = new Float64Array(n * BUCKETS).fill(-1);
    this.ok = new Int32Array(n * BUCKETS);
    this.bad = new Int32Array(n * BUCKETS);
    this.limited = new Int32Array(n * BUCKETS);
    this.sampleAt = new Float64Array(n * SAMPLES);
    this.sampleTtftS = new Float64Array(n * SAMPLES);
    this.sampleTps = new Float64Array(n * SAMPLES);
    this.sampleCount = new Int32Array(n);
    this.statsCache = new Array(n).fill(null);
    this.statsAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.statsWindow = new Float64Array(n).fill(-1);
    this.version = new Int32Array(n);
    this.winCache = new Array(n).fill(undefined);
  }

  started(e: number): void {
    this.inflightN[e]++;
  }

  /** Records a finished attempt (called by the router for every attempt). */
  record(
    e: number,
    endMs: number,
    status: number,
    error: AttemptRecord["error"],
    ttftMs: number,
    tokensPerS = Number.NaN,
  ): void {
    this.inflightN[e]--;
    this.version[e]++;
    this.log[this.logAt] = e;
    this.logAt = (this.logAt + 1) & (LOG - 1);
    this.records++;
    const b = Math.floor(endMs / BUCKET_MS);
    // `& (BUCKETS - 1)` is `% BUCKETS` for 0 ≤ b < 2^31 (BUCKETS is a power of two); a double `%`
    // would be a slow fmod on the hot path.
    const slot = e * BUCKETS + (b & (BUCKETS - 1));
    if (this.bucketId[slot] !== b) {
      this.bucketId[slot] = b;
      this.ok[slot] = 0;
      this.bad[slot] = 0;
      this.limited[slot] = 0;
    }
    if (status === 429) {
      this.last429[e] = endMs;
      this.limited[slot]++;
    } else if (isCountedError(status, error)) {
      this.failRing[e * RING + (this.failCount[e] % RING)] = endMs;
      this.failCount[e]++;
      this.bad[slot]++;
    } else if (status === 200) {
      this.ok[slot]++;
    }
    if (status === 200 && ttftMs === ttftMs) {
      const prev = this.ewma[e];
      this.ewma[e] = prev === prev ? prev + 0.1 * (ttftMs - prev) : ttftMs;
      const k = e * SAMPLES + (this.sampleCount[e] % SAMPLES);
      this.sampleAt[k] = endMs;
      this.sampleTtftS[k] = ttftMs / 1000;
      this.sampleTps[k] = tokensPerS;
      this.sampleCount[e]++;
    }
  }

  /**
   * R7/R94: rolling p50/p75/p90/p99 of TTFT (s) and throughput (tokens/s) over the successful
   * attempts that ended in the last `windowMs` (at most the latest 256). Throughput pN is the value
   * N % of requests reach or exceed (the spec's reading), so it is the (100 − N)th percentile.
   */
  observedStats(e: number, windowMs: number): ObservedStats | null {
    const now = this.clock();
    if (this.statsWindow[e] === windowMs && now - this.statsAt[e] < STATS_REFRESH_MS)
      return this.statsCache[e];
    const c = this.sampleCount[e];
    const lat: number[] = [];
    const thr: number[] = [];
    for (let i = 1; i <= Math.min(c, SAMPLES); i++) {
      const k = e * SAMPLES + ((c - i) % SAMPLES);
      if (this.sampleAt[k] < now - windowMs) break;
      lat.push(this.sampleTtftS[k]);
      const t = this.sampleTps[k];
      if (t === t) thr.push(t);
    }
    const out: ObservedStats | null =
      lat.length === 0
        ? null
        : { latencyS: percentiles(lat, false), throughput: percentiles(thr, true), samples: lat.length };
    this.statsCache[e] = out;
    this.statsAt[e] = now;
    this.statsWindow[e] = windowMs;
    return out;
  }

  /** `record` is the only writer of failures and buckets, so the HealthView promise holds. */
  recordCount(): number {
    return this.records;
  }

  recordedEndpoint(k: number): number {
    const back = this.records - k; // 1 = the latest record
    return back >= 1 && back <= LOG ? this.log[(this.logAt - back) & (LOG - 1)] : -1;
  }

  lastFailureMs(e: number): number {
    const c = this.failCount[e];
    return c === 0 ? Number.NEGATIVE_INFINITY : this.failRing[e * RING + ((c - 1) % RING)];
  }

  failuresSince(e: number, sinceMs: number): number {
    const c = this.failCount[e];
    let k = 0;
    for (let i = 1; i <= Math.min(c, RING); i++) {
      if (this.failRing[e * RING + ((c - i) % RING)] >= sinceMs) k++;
      else break;
    }
    return k;
  }

  lastRateLimitedMs(e: number): number {
    return this.last429[e];
  }

  /**
   * The result is cached per endpoint (last window size asked) until the endpoint records an
   * attempt or the minute buckets move: load balancing asks for every candidate on every request.
   * Treat it as read-only.
   */
  window(e: number, windowMs: number): WindowCounts {
    const now = this.clock();
    const from = Math.floor((now - windowMs) / BUCKET_MS);
    const to = Math.floor(now / BUCKET_MS);
    const c = this.winCache[e];
    if (
      c !== undefined &&
      c.windowMs === windowMs &&
      c.from === from &&
      c.to === to &&
      c.version === this.version[e]
    )
      return c.counts;
    const out = { successes: 0, errors: 0, rateLimited: 0 };
    this.winCache[e] = { windowMs, from, to, version: this.version[e], counts: out };
    for (let b = Math.max(from, to - BUCKETS + 1); b <= to; b++) {
      const slot = e * BUCKETS + (((b % BUCKETS) + BUCKETS) % BUCKETS);
      if (this.bucketId[slot] !== b) continue;
      out.successes += this.ok[slot];
      out.errors += this.bad[slot];
      out.rateLimited += this.limited[slot];
    }
    return out;
  }

  inflight(e: number): number {
    return this.inflightN[e];
  }

  ttftEwmaMs(e: number): number {
    return this.ewma[e];
  }

  get size(): number {
    return this.n;
  }
}

/** Nearest-rank percentiles; `reached` flips them (value that N % reach or exceed). */
function percentiles(xs: number[], reached: boolean): PercentileStats {
  if (xs.length === 0) return {};
  xs.sort((a, b) => a - b);
  const q = (p: number): number =>
    xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((reached ? 1 - p : p) * xs.length) - 1))];
  return { p50: q(0.5), p75: q(0.75), p90: q(0.9), p99: q(0.99) };
}
