/**
 * Time series of one policy run, in 1-second buckets of simulated time (by request arrival, or by
 * attempt start for attempts): requests, failures, served requests and attempts per endpoint. After
 * the run it reads the outage windows the providers went through and measures, for each window, the
 * time to recover: how long after the window ended the policy got its first success from that
 * endpoint again (only for endpoints the policy had been using before the window started).
 */
import type { Decision } from "../policies/types.js";
import type { OutageSource } from "../providers/outages.js";
import { RandomOutageProcess, ScheduledOutages } from "../providers/outages.js";
import type { RunObserver } from "../router/router.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../types.js";

export const TIMELINE_BUCKET_MS = 1000;

/** An outage window as it happened in a run, clipped to the run. */
export interface OutageSpan {
  endpoint: string;
  /** Provider or outage-group name the window came from. */
  source: string;
  startMs: number;
  endMs: number;
  status: number;
  errorRate: number;
}

/** Recovery after one outage window of an endpoint the policy relied on. */
export interface Recovery {
  endpoint: string;
  endMs: number;
  /** First success on the endpoint after the window ended, minus the end; null if none came. */
  recoverMs: number | null;
}

export interface Timeline {
  bucketMs: number;
  /** Simulated time of the last event. */
  endMs: number;
  requests: number[];
  failed: number[];
  /** Served requests per endpoint tag, per bucket of arrival. */
  served: Record<string, number[]>;
  /** Attempts per endpoint tag, per bucket of attempt start. */
  attempts: Record<string, number[]>;
  outages: OutageSpan[];
  recoveries: Recovery[];
}

function bump(a: number[], i: number): void {
  while (a.length <= i) a.push(0);
  a[i]++;
}

export class TimelineObserver implements RunObserver {
  readonly borrows = true;
  private readonly requests: number[] = [];
  private readonly failed: number[] = [];
  private readonly served: number[][];
  private readonly attemptsAt: number[][];
  /**
   * Start times of successful attempts per endpoint (sorted at the end), kept only for endpoints
   * that can go through an outage (null otherwise): they serve only to measure recoveries.
   */
  private readonly successStarts: (number[] | null)[];

  /**
   * `outageSources` (per endpoint, as the farm has them) lets the observer skip recording success
   * times of endpoints that can have no outage window; without it every endpoint is recorded.
   */
  constructor(
    private readonly catalog: readonly Endpoint[],
    private readonly bucketMs = TIMELINE_BUCKET_MS,
    outageSources?: readonly (readonly OutageSource[])[],
  ) {
    this.served = catalog.map(() => []);
    this.attemptsAt = catalog.map(() => []);
    this.successStarts = catalog.map((_, i) =>
      outageSources === undefined || mayHaveWindows(outageSources[i] ?? []) ? [] : null,
    );
  }

  /**
   * When the last request ended (its attempts end no later): the end of the series. The clock
   * itself can run on well past it, through events that no longer do anything (a queued attempt's
   * timeout, a day away, still fires after the attempt was served).
   */
  lastActivityMs = 0;

  attempt(a: AttemptRecord): void {
    bump(this.attemptsAt[a.endpoint.id], Math.floor(a.startMs / this.bucketMs));
    if (a.status === 200) this.successStarts[a.endpoint.id]?.push(a.startMs);
  }

  outcome(req: RoutedRequest, o: Outcome, _attempts: readonly AttemptRecord[], _d: Decision): void {
    const end = req.arrivalMs + o.latencyMs;
    if (end > this.lastActivityMs) this.lastActivityMs = end;
    const b = Math.floor(req.arrivalMs / this.bucketMs);
    bump(this.requests, b);
    if (o.kind === "served") bump(this.served[o.endpoint.id], b);
    else bump(this.failed, b);
  }

  /** Closes the series at `endMs` and reads the outage windows each endpoint went through. */
  finish(endMs: number, outageSources: readonly (readonly OutageSource[])[]): Timeline {
    const n = Math.floor(endMs / this.bucketMs) + 1;
    const pad = (a: number[]): number[] => {
      const out = a.slice(0, n);
      while (out.length < n) out.push(0);
      return out;
    };
    const outages: OutageSpan[] = [];
    const recoveries: Recovery[] = [];
    this.catalog.forEach((e, i) => {
      const windows = windowsOf(outageSources[i] ?? []);
      // A typed array sorts numerically without a comparator call per pair.
      const starts = windows.length > 0 ? Float64Array.from(this.successStarts[i] ?? []).sort() : EMPTY;
      for (const w of windows) {
        if (w.startMs >= endMs) continue;
        const span: OutageSpan = {
          endpoint: e.label,
          source: w.source,
          startMs: w.startMs,
          endMs: Math.min(w.endMs, endMs),
          status: w.status === "timeout" ? 408 : w.status === "empty" ? 502 : w.status,
          errorRate: w.errorRate,
        };
        outages.push(span);
        // Only windows that ended inside the run, on an endpoint the policy had been using.
        if (w.endMs >= endMs || !(starts.length > 0 && starts[0] < w.startMs)) continue;
        const k = lowerBound(starts, w.endMs);
        recoveries.push({
          endpoint: e.label,
          endMs: w.endMs,
          recoverMs: k < starts.length ? starts[k] - w.endMs : null,
        });
      }
    });
    const byTag = (rows: number[][]): Record<string, number[]> => {
      const out: Record<string, number[]> = {};
      this.catalog.forEach((e, i) => {
        out[e.label] = pad(rows[i]);
      });
      return out;
    };
    outages.sort((a, b) => a.startMs - b.startMs || a.endpoint.localeCompare(b.endpoint));
    return {
      bucketMs: this.bucketMs,
      endMs,
      requests: pad(this.requests),
      failed: pad(this.failed),
      served: byTag(this.served),
      attempts: byTag(this.attemptsAt),
      outages,
      recoveries,
    };
  }
}

interface Window {
  startMs: number;
  endMs: number;
  status: number | "timeout" | "empty";
  errorRate: number;
  source: string;
}

const EMPTY = new Float64Array(0);

/** Whether any of these sources can ever yield an outage window (unknown kinds: assume so). */
function mayHaveWindows(sources: readonly OutageSource[]): boolean {
  return sources.some((s) => !(s instanceof ScheduledOutages) || s.all().length > 0);
}

function windowsOf(sources: readonly OutageSource[]): Window[] {
  const out: Window[] = [];
  for (const s of sources) {
    if (s instanceof ScheduledOutages) out.push(...s.all());
    else if (s instanceof RandomOutageProcess) out.push(...s.drawn);
  }
  return out;
}

function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
