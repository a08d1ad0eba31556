/**
 * Mock provider endpoints at run time: outages, rate limits (token bucket), concurrency slots with a
 * FIFO queue, background errors, TTFT and decode speed, mid-stream failures.
 *
 * Every random draw of an attempt is keyed by (endpoint, request, try, phase), so an endpoint gives
 * the same answer to the same request whichever policy sent it there and whatever happened before
 * (common random numbers). Simulated failures are results, never exceptions.
 */
import { compileDist, type Sampler } from "../rng/distributions.js";
import { hashKey, Rng } from "../rng/rng.js";
import { storeAsDoubles } from "../sim/doubles.js";
import type { Simulator } from "../sim/kernel.js";
import type { AttemptError, FailureStatus, OutageGroup, Provider } from "../types.js";
import {
  activeOutage,
  OutageClock,
  type OutageSource,
  type OutageWindow,
  RandomOutageProcess,
  ScheduledOutages,
} from "./outages.js";

/**
 * What an attempt's deadline measures (the router sets it from its gateway's timeout scope): the
 * first token; the response headers, which a streaming provider sends once it starts serving; the
 * whole response of a plain read; or the end of a stream, which a timer cuts after its first token.
 */
export const TimerScope = { FirstToken: 0, Headers: 1, Response: 2, StreamEnd: 3 } as const;

/**
 * A provider that hangs answers nothing: the gateway's timer ends the attempt. A gateway with no
 * timer (Portkey without request_timeout) leaves it to the client, taken to be the OpenAI SDK's
 * default of 10 minutes.
 */
export const CLIENT_TIMEOUT_MS = 600_000;

/** The earlier of the attempt's timer and the request's deadline. */
function limitOf(a: LiveAttempt): number {
  return Math.min(a.deadlineMs, a.requestDeadlineMs);
}

function hangEnd(a: LiveAttempt): number {
  const limit = limitOf(a);
  return Number.isFinite(limit) ? limit : a.submitMs + CLIENT_TIMEOUT_MS;
}

const PHASE_ADMIT = 1;
const PHASE_SERVE = 2;

/** One in-flight attempt, pooled and reused; `gen` guards stale events after reuse. */
export class LiveAttempt {
  id = 0;
  // From 128, an event's tag (id + gen · 2^24) is past 2^31 from the first event on: compiled code
  // then does that arithmetic in doubles from the start instead of discarding itself when a tag
  // first outgrows a 32-bit integer mid-run.
  gen = 128;
  endpoint = 0;
  requestId = 0;
  /** Distinguishes repeated tries of one endpoint by one request (retries). */
  tryKey = 0;
  promptTokens = 0;
  completionTokens = 0;
  submitMs = 0;
  deadlineMs = 0;
  /** A `TimerScope` value: which moment `deadlineMs` bounds. */
  timerScope = 0;
  /**
   * A deadline on the whole request, retries included (Envoy's route timeout): it bounds the end of
   * the response, and reaching it ends the request. Infinity = none.
   */
  requestDeadlineMs = Number.POSITIVE_INFINITY;
  /** Whether the request streams: a stream cut by the request deadline after its first token is committed. */
  streaming = false;
  /** The request deadline ended this attempt (set by the farm). */
  hitRequestDeadline = false;
  /** 0 idle, 1 queued, 2 running, 3 finished. */
  phase = 0;
  holdsSlot = false;
  // Results, valid once finished.
  endMs = 0;
  ttftMs = Number.NaN;
  status = 0;
  error: AttemptError = "none";
  tokensOut = 0;
  /** Router-owned context. */
  owner: unknown = null;
  attemptNo = 0;
  /** TTFT multiplier set by the router (prompt-cache hit); 1 = none. */
  ttftScale = 1;
  /** Retry-After hint (s) given with a rate-limit 429; NaN = none. */
  retryAfterS = Number.NaN;
  /** The provider processed the prompt (its first token exists), so it bills what it generated. */
  prefilled = false;
}
storeAsDoubles(new LiveAttempt(), ["submitMs", "deadlineMs", "requestDeadlineMs", "endMs"]);

interface ErrorChoice {
  cum: number;
  status: FailureStatus;
}

class EndpointRuntime {
  running = 0;
  queued = 0;
  queue: Float64Array = new Float64Array(64);
  qHead = 0;
  qLen = 0;
  tokens: number;
  lastRefill = 0;
  readonly capacity: number;
  readonly queueLimit: number;
  readonly ttft: Sampler;
  readonly tps: Sampler;
  readonly errorLatency: Sampler;
  readonly errorTable: ErrorChoice[];
  readonly bucketSize: number;
  readonly refillPerMs: number;
  readonly latKey: [number, number];
  readonly errKey: [number, number];
  readonly outages: OutageClock;
  /** Whether any background or mid-stream error can happen (else the error stream is never drawn). */
  readonly errorProne: boolean;
  constructor(
    readonly spec: Provider,
    readonly sources: OutageSource[],
    seed: number,
  ) {
    this.capacity = spec.concurrency ?? Number.POSITIVE_INFINITY;
    this.queueLimit = spec.queue_limit ?? Number.POSITIVE_INFINITY;
    this.ttft = compileDist(spec.ttft_ms);
    this.tps = compileDist(spec.tokens_per_s);
    this.errorLatency = compileDist(spec.error_latency_ms);
    const entries = Object.entries(spec.error_mix);
    const total = entries.reduce((s, [, w]) => s + w, 0) || 1;
    let acc = 0;
    this.errorTable = entries.map(([k, w]) => {
      acc += w / total;
      return { cum: acc, status: k === "timeout" || k === "empty" ? k : Number(k) };
    });
    if (this.errorTable.length === 0) this.errorTable.push({ cum: 1, status: 500 });
    const rl = spec.rate_limit;
    this.refillPerMs = rl ? rl.rpm / 60_000 : 0;
    this.bucketSize = rl ? (rl.burst ?? Math.max(1, rl.rpm / 60)) : 0;
    this.tokens = this.bucketSize;
    this.latKey = hashKey([seed, "latency", spec.name, spec.model]);
    this.errKey = hashKey([seed, "errors", spec.name, spec.model]);
    this.outages = new OutageClock(sources);
    this.errorProne = spec.error_rate > 0 || spec.midstream_error_rate > 0;
  }

  push(tag: number): void {
    if (this.qLen === this.queue.length) {
      const q = new Float64Array(this.queue.length * 2);
      for (let i = 0; i < this.qLen; i++) q[i] = this.queue[(this.qHead + i) % this.queue.length];
      this.queue = q;
      this.qHead = 0;
    }
    this.queue[(this.qHead + this.qLen) % this.queue.length] = tag;
    this.qLen++;
  }

  shift(): number {
    const id = this.queue[this.qHead];
    this.qHead = (this.qHead + 1) % this.queue.length;
    this.qLen--;
    return id;
  }
}

/**
 * Told of every finished attempt: the router (`Router` registers itself with `listen`). An object
 * with a method rather than a closure, so every run calls the same function from `finish`.
 */
export interface AttemptListener {
  attemptDone(a: LiveAttempt): void;
}

const NOBODY: AttemptListener = {
  attemptDone() {
    throw new Error("ProviderFarm: an attempt finished with no listener (call listen first)");
  },
};

export class ProviderFarm {
  private readonly runtimes: EndpointRuntime[];
  // The pool starts with one attempt: an array born holding an object has the layout it keeps, so
  // code compiled in one run still fits the next run's pool (an empty one would change layout).
  private readonly pool: LiveAttempt[] = [new LiveAttempt()];
  private readonly free: number[] = [0];
  private readonly hDone: number;
  private readonly hQueueTimeout: number;
  private readonly hSlotFree: number;
  private readonly latRng = new Rng(0);
  private readonly errRng = new Rng(0);
  /** Outage windows per endpoint, for reports (scheduled ones; random ones as drawn). */
  readonly outageSources: OutageSource[][];

  constructor(
    private readonly sim: Simulator,
    providers: readonly Provider[],
    groups: readonly OutageGroup[],
    seed: number,
    private listener: AttemptListener = NOBODY,
  ) {
    const groupSources = new Map<string, OutageSource[]>();
    for (const g of groups) {
      const srcs: OutageSource[] = [new ScheduledOutages(g.outages, `group:${g.name}`)];
      if (g.random_outages) srcs.push(new RandomOutageProcess(g.random_outages, seed, `group:${g.name}`));
      for (const member of g.providers) {
        const list = groupSources.get(member) ?? [];
        list.push(...srcs);
        groupSources.set(member, list);
      }
    }
    this.outageSources = providers.map((p) => {
      const own: OutageSource[] = [new ScheduledOutages(p.outages, p.name)];
      if (p.random_outages) own.push(new RandomOutageProcess(p.random_outages, seed, `${p.name}|${p.model}`));
      return [...own, ...(groupSources.get(p.name) ?? [])];
    });
    this.runtimes = providers.map((p, i) => new EndpointRuntime(p, this.outageSources[i], seed));
    // Attempt tags outgrow the small-integer range once an attempt is reused 128 times: these
    // handlers read them from `eventArg` rather than take them as an argument (no box per event).
    this.hDone = sim.handler(() => this.finish());
    this.hQueueTimeout = sim.handler(() => this.queueTimeout());
    this.hSlotFree = sim.handler((arg) => {
      const rt = this.runtimes[arg];
      rt.running--;
      this.startNext(rt);
    });
  }

  /** Sets (or replaces) who is told of finished attempts. */
  listen(listener: AttemptListener): void {
    this.listener = listener;
  }

  /** Attempts currently holding a slot at endpoint `e`. */
  running(e: number): number {
    return this.runtimes[e].running;
  }

  /** Attempts waiting in endpoint `e`'s queue. */
  queued(e: number): number {
    return this.runtimes[e].queued;
  }

  /** The outage window active at `e` now, if any. */
  outageAt(e: number, t: number): OutageWindow | null {
    return activeOutage(this.runtimes[e].sources, t);
  }

  acquire(): LiveAttempt {
    const id = this.free.pop();
    if (id !== undefined) {
      const a = this.pool[id];
      a.gen++;
      return a;
    }
    const a = new LiveAttempt();
    a.id = this.pool.length;
    this.pool.push(a);
    return a;
  }

  release(a: LiveAttempt): void {
    a.phase = 0;
    a.owner = null;
    this.free.push(a.id);
  }

  /** Sends an attempt (fields endpoint, requestId, tryKey, tokens, deadlineMs, owner set) to its endpoint. */
  submit(a: LiveAttempt): void {
    const now = this.sim.now;
    const rt = this.runtimes[a.endpoint];
    a.submitMs = now;
    a.retryAfterS = Number.NaN;
    a.holdsSlot = false;
    a.ttftMs = Number.NaN;
    a.tokensOut = 0;
    a.prefilled = false;
    a.hitRequestDeadline = false;
    // Streams are keyed, so they are reseeded only when a draw is needed (fail reseeds latRng).
    const outage = this.outageNow(rt);
    if (outage !== null) {
      const err = this.errRng;
      err.reseed(rt.errKey, a.requestId, a.tryKey, PHASE_ADMIT);
      if (err.next() < outage.errorRate) {
        this.fail(a, rt, outage.status, "outage");
        return;
      }
    }
    if (rt.refillPerMs > 0) {
      rt.tokens = Math.min(rt.bucketSize, rt.tokens + (now - rt.lastRefill) * rt.refillPerMs);
      rt.lastRefill = now;
      if (rt.tokens < 1) {
        a.retryAfterS = Math.ceil((1 - rt.tokens) / rt.refillPerMs / 1000);
        this.fail(a, rt, 429, "rate_limited");
        return;
      }
      rt.tokens -= 1;
    }
    if (rt.running < rt.capacity) {
      this.start(a, rt);
    } else if (rt.queued >= rt.queueLimit) {
      this.fail(a, rt, 429, "queue_full");
    } else {
      a.phase = 1;
      rt.queued++;
      rt.push(this.tag(a));
      const limit = limitOf(a);
      if (Number.isFinite(limit)) this.sim.schedule(limit, this.hQueueTimeout, this.tag(a));
    }
  }

  /**
   * The client let go of an attempt before it ended (live mode: the gateway closed the
   * connection). A queued attempt leaves the queue; a running one frees its slot now on a provider
   * that stops on cancel, or when its work is done on one that continues. The attempt is released
   * and its end is never reported.
   */
  cancel(a: LiveAttempt): void {
    const rt = this.runtimes[a.endpoint];
    if (a.phase === 1)
      rt.queued--; // its tag stays in the ring and is skipped when reached
    else if (a.phase === 2 && a.holdsSlot) {
      a.holdsSlot = false;
      if (rt.spec.on_cancel === "continue") this.sim.schedule(a.endMs, this.hSlotFree, a.endpoint);
      else {
        rt.running--;
        this.startNext(rt);
      }
    }
    this.release(a);
  }

  private tag(a: LiveAttempt): number {
    return a.id + a.gen * 16_777_216;
  }

  private untag(arg: number): LiveAttempt | null {
    // Division by a power of two is exact; a double `%` would be a slow fmod on the hot path.
    const gen = Math.floor(arg / 16_777_216);
    const a = this.pool[arg - gen * 16_777_216];
    return a.gen === gen ? a : null;
  }

  /** A failure decided at admission: no slot is taken. */
  private fail(a: LiveAttempt, rt: EndpointRuntime, status: FailureStatus, error: AttemptError): void {
    a.phase = 2;
    this.latRng.reseed(rt.latKey, a.requestId, a.tryKey, PHASE_ADMIT);
    if (status === "timeout") {
      this.timedOut(a, hangEnd(a));
      return;
    }
    const t = this.sim.now + rt.errorLatency.sample(this.latRng);
    if (t > limitOf(a)) this.timedOut(a, limitOf(a));
    else if (status === "empty") this.end(a, t, 502, "empty_response");
    else this.end(a, t, status, error);
  }

  /**
   * The endpoint's outage now, if any. It reads the clock and asks `quietAt` before `at`: a time
   * passed to a call V8 did not inline is boxed, and most attempts meet no outage.
   */
  private outageNow(rt: EndpointRuntime): OutageWindow | null {
    const now = this.sim.now;
    return rt.outages.quietAt(now) ? null : rt.outages.at(now);
  }

  // Reads the clock itself: a time passed to a call that is not inlined is boxed, once per attempt.
  private start(a: LiveAttempt, rt: EndpointRuntime): void {
    const now = this.sim.now;
    a.phase = 2;
    a.holdsSlot = true;
    rt.running++;
    const err = this.errRng;
    const lat = this.latRng;
    // An error-free endpoint never draws from `err`: skip its reseed and draws.
    const errorProne = rt.errorProne;
    if (errorProne) err.reseed(rt.errKey, a.requestId, a.tryKey, PHASE_SERVE);
    lat.reseed(rt.latKey, a.requestId, a.tryKey, PHASE_SERVE);
    const outage = this.outageNow(rt);
    const mult = outage !== null ? outage.latencyMultiplier : 1;

    if (errorProne && err.next() < rt.spec.error_rate) {
      const u = err.next();
      const table = rt.errorTable;
      let k = 0;
      while (k < table.length - 1 && u >= table[k].cum) k++;
      const status = table[k].status;
      if (status === "timeout") {
        this.timedOut(a, hangEnd(a));
      } else if (status === "empty") {
        const t = now + rt.ttft.sample(lat) * mult;
        if (t > limitOf(a)) this.timedOut(a, limitOf(a));
        else this.end(a, t, 502, "empty_response");
      } else {
        const t = now + rt.errorLatency.sample(lat);
        if (t > limitOf(a)) this.timedOut(a, limitOf(a));
        else this.end(a, t, status, status === 429 ? "rate_limited" : "error");
      }
      return;
    }
    const firstToken = now + rt.ttft.sample(lat) * mult * a.ttftScale;
    const tps = Math.max(rt.tps.sample(lat), 1e-3);
    const gen = (a.completionTokens / tps) * 1000 * mult;
    let endAt = firstToken + gen;
    let tokens = a.completionTokens;
    let cut = false;
    if (errorProne && rt.spec.midstream_error_rate > 0 && err.next() < rt.spec.midstream_error_rate) {
      const f = err.next();
      cut = true;
      endAt = firstToken + f * gen;
      tokens = Math.floor(f * a.completionTokens);
    }
    const scope = a.timerScope;
    // Once a stream's headers are out, a headers timer has stopped: only a first token can be late.
    const timer =
      (firstToken > a.deadlineMs && scope !== TimerScope.Headers) ||
      (endAt > a.deadlineMs && scope >= TimerScope.Response);
    if (timer || endAt > a.requestDeadlineMs) {
      const at = timer && a.deadlineMs < a.requestDeadlineMs ? a.deadlineMs : a.requestDeadlineMs;
      this.timeUp(a, rt, at, firstToken, gen, endAt, tokens);
      return;
    }
    a.ttftMs = firstToken - a.submitMs;
    a.prefilled = true;
    a.tokensOut = tokens;
    if (cut) this.end(a, endAt, 500, "mid_stream");
    else this.end(a, endAt, 200, "none");
  }

  /**
   * The gateway's timer ran out while the provider was working on the attempt. A provider that
   * stops on cancel bills what it generated by then; one that continues finishes the completion,
   * bills all of it and holds its slot until then. A plain read saw nothing (a timeout); a stream
   * cut after its first token is committed (a mid-stream failure).
   */
  private timeUp(
    a: LiveAttempt,
    rt: EndpointRuntime,
    deadline: number,
    firstToken: number,
    gen: number,
    naturalEnd: number,
    naturalTokens: number,
  ): void {
    const started = firstToken <= deadline;
    a.hitRequestDeadline = deadline >= a.requestDeadlineMs;
    if (rt.spec.on_cancel === "continue") {
      a.prefilled = true;
      a.tokensOut = naturalTokens;
      a.holdsSlot = false; // the slot is freed when the provider is done, not when the gateway leaves
      this.sim.schedule(naturalEnd, this.hSlotFree, a.endpoint);
    } else {
      a.prefilled = started;
      const made = started && gen > 0 ? Math.floor(((deadline - firstToken) / gen) * a.completionTokens) : 0;
      a.tokensOut = Math.min(made, naturalTokens);
    }
    if (started && (a.hitRequestDeadline ? a.streaming : a.timerScope === TimerScope.StreamEnd)) {
      a.ttftMs = firstToken - a.submitMs;
      this.end(a, deadline, 408, "mid_stream");
      return;
    }
    this.end(a, deadline, 408, "timeout");
  }

  /** Nothing came back in time: the attempt's timer, the request's deadline or the client ended it. */
  private timedOut(a: LiveAttempt, at: number): void {
    a.hitRequestDeadline = at >= a.requestDeadlineMs;
    this.end(a, at, 408, "timeout");
  }

  private end(a: LiveAttempt, at: number, status: number, error: AttemptError): void {
    a.endMs = at;
    a.status = status;
    a.error = error;
    this.sim.schedule(at, this.hDone, this.tag(a));
  }

  private finish(): void {
    const a = this.untag(this.sim.eventArg);
    if (a === null || a.phase !== 2) return;
    a.phase = 3;
    if (a.holdsSlot) {
      const rt = this.runtimes[a.endpoint];
      a.holdsSlot = false;
      rt.running--;
      this.startNext(rt);
    }
    this.listener.attemptDone(a);
  }

  private startNext(rt: EndpointRuntime): void {
    while (rt.qLen > 0 && rt.running < rt.capacity) {
      const next = this.untag(rt.shift());
      if (next === null || next.phase !== 1) continue; // cancelled while queued (maybe reused since)
      rt.queued--;
      this.start(next, rt);
    }
  }

  private queueTimeout(): void {
    const a = this.untag(this.sim.eventArg);
    if (a === null || a.phase !== 1) return;
    const rt = this.runtimes[a.endpoint];
    rt.queued--; // its tag stays in the ring and is skipped when reached
    a.phase = 3;
    a.hitRequestDeadline = this.sim.now >= a.requestDeadlineMs;
    a.endMs = this.sim.now;
    a.status = 408;
    a.error = "timeout";
    this.listener.attemptDone(a);
  }
}
