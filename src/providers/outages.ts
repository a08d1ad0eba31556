/**
 * Outage timelines. Scheduled windows come from the scenario; stochastic ones are drawn lazily from
 * the provider's (or outage group's) own outage stream, so they are the same for every policy.
 * Queries must come in non-decreasing simulated time (the kernel guarantees it).
 */
import { compileDist, type Sampler } from "../rng/distributions.js";
import { Rng } from "../rng/rng.js";
import type { FailureStatus, Outage, RandomOutages } from "../types.js";

export interface OutageWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly status: FailureStatus;
  readonly errorRate: number;
  readonly latencyMultiplier: number;
  /** Where it came from, for reports: the provider or group name. */
  readonly source: string;
}

export interface OutageSource {
  activeAt(t: number): OutageWindow | null;
  /** With no window active at `t` (just queried), the earliest time one can start (Infinity: never). */
  nextStart(t: number): number;
}

export class ScheduledOutages implements OutageSource {
  private readonly windows: OutageWindow[];
  private i = 0;
  constructor(outages: readonly Outage[], source: string) {
    this.windows = outages
      .map((o) => ({
        startMs: o.start_s * 1000,
        endMs: (o.start_s + o.duration_s) * 1000,
        status: o.status,
        errorRate: o.error_rate,
        latencyMultiplier: o.latency_multiplier,
        source,
      }))
      .sort((a, b) => a.startMs - b.startMs);
  }
  activeAt(t: number): OutageWindow | null {
    const w = this.windows;
    // Windows that ended can never be active again (time only moves forward) unless they overlap.
    while (this.i < w.length && w[this.i].endMs <= t) this.i++;
    for (let j = this.i; j < w.length && w[j].startMs <= t; j++) if (w[j].endMs > t) return w[j];
    return null;
  }
  nextStart(t: number): number {
    const w = this.windows;
    for (let j = this.i; j < w.length; j++) if (w[j].startMs > t) return w[j].startMs;
    return Number.POSITIVE_INFINITY;
  }
  all(): readonly OutageWindow[] {
    return this.windows;
  }
}

export class RandomOutageProcess implements OutageSource {
  private readonly rng: Rng;
  private readonly duration: Sampler;
  private current: OutageWindow;
  /** Every window drawn so far (for reports). */
  readonly drawn: OutageWindow[] = [];
  constructor(
    private readonly spec: RandomOutages,
    seed: number,
    private readonly source: string,
  ) {
    this.rng = new Rng(seed, "outages", source);
    this.duration = compileDist(spec.duration_s);
    this.current = this.draw(0);
  }
  private draw(after: number): OutageWindow {
    const start = after - Math.log(this.rng.nextOpen()) * this.spec.mtbf_s * 1000;
    const w: OutageWindow = {
      startMs: start,
      endMs: start + Math.max(1, this.duration.sample(this.rng) * 1000),
      status: this.spec.status,
      errorRate: this.spec.error_rate,
      latencyMultiplier: this.spec.latency_multiplier,
      source: this.source,
    };
    this.drawn.push(w);
    return w;
  }
  activeAt(t: number): OutageWindow | null {
    while (this.current.endMs <= t) this.current = this.draw(this.current.endMs);
    return this.current.startMs <= t ? this.current : null;
  }
  nextStart(_t: number): number {
    return this.current.startMs;
  }
}

/** The first active window among several sources (scheduled ones listed first win). */
export function activeOutage(sources: readonly OutageSource[], t: number): OutageWindow | null {
  for (let i = 0; i < sources.length; i++) {
    const w = sources[i].activeAt(t);
    if (w) return w;
  }
  return null;
}

/**
 * `activeOutage` for queries in non-decreasing time, remembering until when none can be active:
 * the common case (no outage now or soon) then costs one comparison per attempt.
 */
export class OutageClock {
  private quietUntil = Number.NEGATIVE_INFINITY;
  constructor(readonly sources: readonly OutageSource[]) {
    // Runs start at 0: answering for 0 now means an endpoint that never fails never reaches
    // `at` from `quietAt` (compiled code without feedback there would be discarded next run).
    this.at(0);
  }
  /** No outage can be active at `t` (known without a search): callers check it before `at`. */
  quietAt(t: number): boolean {
    return t < this.quietUntil;
  }
  at(t: number): OutageWindow | null {
    if (t < this.quietUntil) return null;
    const w = activeOutage(this.sources, t);
    if (w !== null) return w;
    let next = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.sources.length; i++) next = Math.min(next, this.sources[i].nextStart(t));
    this.quietUntil = next;
    return null;
  }
}
