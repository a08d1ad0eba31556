/**
 * Health bookkeeping the router keeps per endpoint (R90–R95): recent counted failures, 429s,
 * outcome counts in minute buckets, in-flight attempts and a TTFT moving average.
 */
import type { HealthView, WindowCounts } from "../policies/types.js";
import type { AttemptRecord } from "../types.js";

const RING = 32;
const BUCKET_MS = 60_000;
const BUCKETS = 64; // > 1 hour of history, enough for the 30-minute uptime window

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
  }

  started(e: number): void {
    this.inflightN[e]++;
  }

  /** Records a finished attempt (called by the router for every attempt). */
  record(e: number, endMs: number, status: number, error: AttemptRecord["error"], ttftMs: number): void {
    this.inflightN[e]--;
    const b = Math.floor(endMs / BUCKET_MS);
    const slot = e * BUCKETS + (b % BUCKETS);
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
    }
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

  window(e: number, windowMs: number): WindowCounts {
    const out = { successes: 0, errors: 0, rateLimited: 0 };
    const now = this.clock();
    const from = Math.floor((now - windowMs) / BUCKET_MS);
    const to = Math.floor(now / BUCKET_MS);
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
