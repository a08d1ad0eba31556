/**
 * The router turns a policy's decision into attempts: per-attempt timeouts, fallbacks to the next
 * candidate, model-level skips, the final error mapping, billing and health tracking. Every request
 * ends in exactly one outcome.
 */

import { keepsRecords } from "../policies/records.js";
import {
  DEFERRED,
  type Decision,
  type EndpointView,
  type Policy,
  type RouterBehaviour,
  type TimeoutScope,
} from "../policies/types.js";
import { endpointsByModel } from "../providers/catalog.js";
import { type LiveAttempt, type ProviderFarm, TimerScope } from "../providers/farm.js";
import { hashKey, Rng } from "../rng/rng.js";
import { objectList, storeAsAnyValue, storeAsDoubles } from "../sim/doubles.js";
import type { Simulator } from "../sim/kernel.js";
import type { RequestPool } from "../traffic/request.js";
import type { AttemptError, AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../types.js";
import { billInto } from "./billing.js";
import { ProviderCaches } from "./cache.js";
import type { HealthTracker } from "./health.js";
import { ResponseCache, type ResponseCacheSettings } from "./response-cache.js";

/** Receives every attempt and every outcome, in simulated-time order. */
export interface RunObserver {
  attempt(a: AttemptRecord): void;
  outcome(req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[], decision: Decision): void;
  /**
   * True when the observer reads records, outcomes and attempt lists only during its calls (it
   * keeps numbers, not those objects): the router may then reuse them for later requests.
   */
  readonly borrows?: boolean;
}

/** Placeholders of a spare record or state (never read: a record is filled before it is shown). */
const NO_ENDPOINT = {} as Endpoint;
const NO_REQUEST = {} as RoutedRequest;
const NO_DECISION: Decision = { kind: "route", candidates: [] };
const NO_RECORD = {} as AttemptRecord;

/** One attempt; reused for a later request once its own request has ended (when nobody keeps it). */
class Attempt implements AttemptRecord {
  policy = "";
  requestId = 0;
  attempt = 0;
  endpoint: Endpoint = NO_ENDPOINT;
  startMs = 0;
  endMs = 0;
  ttftMs = 0;
  status = 0;
  error: AttemptError = "none";
  promptTokens = 0;
  completionTokens = 0;
  costUsd = 0;
  // Always present (undefined when unset): one object layout, so a reused record never changes it.
  cachedTokens: number | undefined = undefined;
  retryAfterS: number | undefined = undefined;
}

const sampleAttempt = new Attempt();
storeAsDoubles(sampleAttempt, ["startMs", "endMs", "ttftMs", "costUsd"]);
storeAsAnyValue(sampleAttempt, ["cachedTokens", "retryAfterS"]);

/** A request's outcome, either kind in one layout (the fields of the other kind undefined). */
class Ending {
  kind: "served" | "failed" = "failed";
  endpoint: Endpoint | undefined = undefined;
  status: number | undefined = undefined;
  code: string | undefined = undefined;
  attempts = 0;
  costUsd = 0;
  latencyMs = 0;
  ttftMs = 0;
  cacheHit: true | undefined = undefined;
}

const sampleEnding = new Ending();
storeAsDoubles(sampleEnding, ["costUsd", "latencyMs", "ttftMs"]);
storeAsAnyValue(sampleEnding, ["status"]);

/** Shared by every request before its first attempt ends; never mutated. */
const NO_ATTEMPTS: readonly AttemptRecord[] = [];

class InFlight {
  req: RoutedRequest = NO_REQUEST;
  decision: Decision = NO_DECISION;
  next = 0;
  /** The attempts so far (NO_ATTEMPTS until the first one ends). */
  attempts: readonly AttemptRecord[] = NO_ATTEMPTS;
  /** Most requests make one attempt: their list, kept with the state (a new one when not reused). */
  private readonly one: AttemptRecord[] = [NO_RECORD];
  /** Models skipped after a model-fatal error (R45), also when interleaved (R52 partition none). */
  skipModels: string[] | null = null;
  /** Cached prompt tokens of the attempt in flight. */
  cached = 0;
  /** The request's deadline passed while it waited for its next step. */
  expired = false;
  /** Plan steps that resolved to no provider call (a guard against a policy that loops). */
  noCallSteps = 0;
  /** Billed so far over the request's attempts (abandoned ones included where providers bill them). */
  spentUsd = 0;
  /** Copied from `req`: read when the request ends, without touching the (by then cold) request. */
  arrivalMs = 0;
  readonly outcome = new Ending();

  start(req: RoutedRequest, decision: Decision): this {
    this.req = req;
    this.decision = decision;
    this.arrivalMs = req.arrivalMs;
    this.next = 0;
    this.attempts = NO_ATTEMPTS;
    this.skipModels = null;
    this.cached = 0;
    this.expired = false;
    this.noCallSteps = 0;
    this.spentUsd = 0;
    return this;
  }

  /** Appends a record: a first one goes into this state's own one-element list. */
  add(rec: AttemptRecord): void {
    const n = this.attempts.length;
    if (n === 0) {
      this.one[0] = rec;
      this.attempts = this.one;
    } else if (n === 1) this.attempts = [this.one[0], rec];
    else (this.attempts as AttemptRecord[]).push(rec);
  }

  get route(): Decision & { kind: "route" } {
    return this.decision as Decision & { kind: "route" };
  }
}
storeAsDoubles(new InFlight(), ["spentUsd", "arrivalMs"]);

export interface RouterOptions {
  readonly sim: Simulator;
  readonly farm: ProviderFarm;
  readonly catalog: readonly Endpoint[];
  readonly health: HealthTracker;
  readonly policy: Policy;
  readonly behaviour: RouterBehaviour;
  readonly observer: RunObserver;
  /** The run's root seed: the policy's stream is derived from it. */
  readonly seed: number;
  /** OpenRouter response caching (R106); null or absent = off. */
  readonly responseCache?: ResponseCacheSettings | null;
  /** Where ended requests go back to the traffic for reuse (when nobody keeps them). */
  readonly requestPool?: RequestPool | null;
}

export class Router {
  private readonly rng: Rng;
  private readonly rngKey: [number, number];
  private readonly hRetry: number;
  private readonly waiting = new Map<number, InFlight>();
  private readonly view: EndpointView;
  private readonly caches = new ProviderCaches();
  private readonly billing: { readonly byokFeeShare: number };
  /** Health books are kept only for a policy that reads them. */
  private readonly tracksHealth: boolean;
  private readonly scopeStreaming: number;
  private readonly scopeNonStreaming: number;
  private readonly billsAbandoned: boolean;
  private readonly requestTimeoutMs: number;
  /** Requests that reached an outcome. */
  completed = 0;
  /** Ended requests' state and records, for later requests (only while nobody keeps them). */
  private readonly spareFlights = objectList<InFlight>();
  private readonly spareAttempts = objectList<Attempt>();
  private recycles: boolean;
  private readonly requestPool: RequestPool | null;
  /** Extra observers (e.g. the decision log), called after the main one. */
  private readonly extra: RunObserver[] = [];
  /** OpenRouter response caching (R106), asked before the policy; null when off (no per-request work). */
  readonly responseCache: ResponseCache | null;

  private readonly sim: Simulator;
  private readonly farm: ProviderFarm;
  private readonly catalog: readonly Endpoint[];
  private readonly health: HealthTracker;
  private readonly policy: Policy;
  private readonly behaviour: RouterBehaviour;
  private readonly observer: RunObserver;

  /** Call `farm.listen(router)` (or a tap in front of it) for finished attempts to reach it. */
  constructor(o: RouterOptions) {
    const { sim, catalog, health, policy, behaviour, seed } = o;
    this.sim = sim;
    this.farm = o.farm;
    this.catalog = catalog;
    this.health = health;
    this.policy = policy;
    this.behaviour = behaviour;
    this.observer = o.observer;
    this.recycles = o.observer.borrows === true && !keepsRecords(policy);
    this.requestPool = o.requestPool ?? null;
    // One spare from the start: a run that never holds two records at once (one attempt per
    // request) then never constructs one in `attemptDone`, whose first calls record no type
    // feedback; code compiled there would be discarded when the next run's first record is made.
    this.spareAttempts.push(new Attempt());
    const responseCache = o.responseCache ?? null;
    this.responseCache = responseCache === null ? null : new ResponseCache(responseCache);
    // Keyed by purpose only (not by policy name), so identical policies draw identically (CRN).
    this.rngKey = hashKey([seed, "policy"]);
    this.billing = { byokFeeShare: behaviour.byokFeeShare ?? 0.05 };
    this.tracksHealth = policy.readsHealth !== false;
    const scope = behaviour.timeoutScope;
    this.scopeStreaming = scope ? timerScope(scope.streaming, true) : TimerScope.FirstToken;
    this.scopeNonStreaming = scope ? timerScope(scope.nonStreaming, false) : TimerScope.FirstToken;
    this.billsAbandoned = behaviour.billsAbandoned === true;
    this.requestTimeoutMs = behaviour.requestTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.rng = new Rng(0);
    this.hRetry = sim.handler((arg) => {
      const st = this.waiting.get(arg);
      if (st) {
        this.waiting.delete(arg);
        if (st.expired) this.requestTimedOut(st);
        else this.run(st, candidateAt(st.route, st.next - 1));
      }
    });
    this.view = new RouterView(sim, catalog, health);
  }

  /** Adds an observer that sees every attempt and outcome after the main observer. */
  alsoObserve(o: RunObserver): void {
    this.extra.push(o);
    if (o.borrows !== true) this.recycles = false;
  }

  get endpointView(): EndpointView {
    return this.view;
  }

  /** A request arrives now (with its body: see `bodyFactory`/`bodyMerger` in simulate.ts). */
  arrive(req: RoutedRequest): void {
    if (this.responseCache !== null && this.answeredFromCache(this.responseCache, req)) return;
    this.rng.reseed(this.rngKey, req.id);
    const decision = this.policy.route(req, this.view, this.rng);
    const st = this.flight(req, decision);
    if (decision.kind === "reject") {
      // Rejected at arrival: no attempt, no cost, and a latency of exactly 0.
      this.failed(st, decision.status, decision.code, Number.NaN, 0);
      return;
    }
    this.tryNext(st);
  }

  private flight(req: RoutedRequest, decision: Decision): InFlight {
    const spare = this.spareFlights;
    return (spare.length > 0 ? spare.pop()! : new InFlight()).start(req, decision);
  }

  /**
   * R106: a hit ends the request now with the stored 200: no policy call, no attempt, cost 0, no
   * health or sticky updates (the policy's `settle` is not called either).
   */
  private answeredFromCache(cache: ResponseCache, req: RoutedRequest): boolean {
    const key = cache.keyOf(req);
    const endpoint = key === null ? null : cache.lookup(key, this.sim.now);
    if (endpoint === null) return false;
    const st = this.flight(req, CACHE_HIT);
    this.served(st.outcome, endpoint, 0, 0, 0, 0);
    st.outcome.cacheHit = true;
    this.completed++;
    this.deliver(st);
    return true;
  }

  private tryNext(st: InFlight): void {
    const d = st.route;
    let e = candidateAt(d, st.next);
    while (e >= 0 && st.skipModels !== null && st.skipModels.includes(this.catalog[e].model))
      e = candidateAt(d, ++st.next);
    if ((e < 0 && e !== DEFERRED) || st.attempts.length >= this.behaviour.maxAttempts) {
      this.fail(st);
      return;
    }
    st.next++;
    const delay = d.delaysMs?.[st.next - 1] ?? 0;
    if (delay > 0) {
      this.waiting.set(st.req.id, st);
      let wake = this.sim.now + delay;
      const deadline = st.arrivalMs + this.requestTimeoutMs;
      if (wake >= deadline) {
        st.expired = true; // the gateway's request timer fires during the wait
        wake = deadline;
      }
      this.sim.schedule(wake, this.hRetry, st.req.id);
      return;
    }
    this.run(st, e);
  }

  /** Runs a plan step now: a deferred one is resolved by the policy first, maybe to no call at all. */
  private run(st: InFlight, e: number): void {
    if (e !== DEFERRED) {
      this.submit(st, e);
      return;
    }
    const resolve = this.policy.resolve;
    if (resolve === undefined)
      throw new Error(`policy ${this.policy.name} planned a deferred step but has no resolve()`);
    const chosen = resolve.call(this.policy, st.req.id, this.view);
    if (chosen >= 0) this.submit(st, chosen);
    else if (++st.noCallSteps > MAX_NO_CALL_STEPS)
      throw new Error(
        `policy ${this.policy.name}: request ${st.req.id} made ${MAX_NO_CALL_STEPS} plan steps without a provider call`,
      );
    else this.tryNext(st);
  }

  private submit(st: InFlight, endpoint: number): void {
    const a = this.farm.acquire();
    a.endpoint = endpoint;
    a.requestId = st.req.id;
    let tries = 0;
    const done = st.attempts;
    for (let i = 0; i < done.length; i++) if (done[i].endpoint.id === endpoint) tries++;
    a.tryKey = tries;
    a.promptTokens = st.req.promptTokens;
    a.completionTokens = st.req.completionTokens;
    a.deadlineMs = this.sim.now + (st.route.timeoutsMs?.[st.next - 1] ?? this.behaviour.timeoutMs);
    const streaming = st.req.body.stream === true;
    a.timerScope = streaming ? this.scopeStreaming : this.scopeNonStreaming;
    a.streaming = streaming;
    a.requestDeadlineMs = st.arrivalMs + this.requestTimeoutMs;
    const e = this.catalog[endpoint];
    st.cached =
      e.cache === undefined
        ? 0
        : this.caches.cachedTokens(e, sessionOf(st.req), a.promptTokens, this.sim.now);
    a.ttftScale = st.cached > 0 ? e.cache!.ttftFactor : 1;
    a.owner = st;
    a.attemptNo = st.attempts.length + 1;
    if (this.tracksHealth) this.health.started(endpoint);
    this.farm.submit(a);
  }

  /** Called by the provider farm when an attempt finishes. */
  attemptDone(a: LiveAttempt): void {
    const st = a.owner as InFlight;
    const endpoint = this.catalog[a.endpoint];
    const ok = a.status === 200;
    // A provider the gateway calls directly bills what it generated before the gateway let go.
    const billed =
      ok ||
      (this.billsAbandoned
        ? a.prefilled
        : a.error === "mid_stream" && this.behaviour.billPartialOnErrorFinish === true);
    const spare = this.spareAttempts;
    const rec = spare.length > 0 ? spare.pop()! : new Attempt();
    rec.policy = this.policy.name;
    rec.requestId = a.requestId;
    rec.attempt = a.attemptNo;
    rec.endpoint = endpoint;
    rec.startMs = a.submitMs;
    rec.endMs = a.endMs;
    rec.ttftMs = a.ttftMs;
    rec.status = a.status;
    rec.error = a.error;
    rec.promptTokens = a.promptTokens;
    rec.completionTokens = a.tokensOut;
    if (billed) billInto(rec, endpoint, a.promptTokens, st.cached, a.tokensOut, this.billing);
    else rec.costUsd = 0;
    rec.cachedTokens = st.cached > 0 ? st.cached : undefined;
    rec.retryAfterS = a.retryAfterS === a.retryAfterS ? a.retryAfterS : undefined;
    const expired = a.hitRequestDeadline;
    this.farm.release(a);
    st.spentUsd += rec.costUsd;
    st.add(rec);
    if (this.tracksHealth) {
      // R7: end-to-end throughput = output tokens ÷ (TTFT + streaming time).
      const tps =
        ok && rec.endMs > rec.startMs
          ? rec.completionTokens / ((rec.endMs - rec.startMs) / 1000)
          : Number.NaN;
      this.health.record(endpoint.id, rec.endMs, rec.status, rec.error, rec.ttftMs, tps);
    }
    if (ok && endpoint.cache !== undefined) this.caches.served(endpoint, sessionOf(st.req), rec.endMs);
    this.observer.attempt(rec);
    const extra = this.extra;
    for (let i = 0; i < extra.length; i++) extra[i].attempt(rec);
    this.policy.observe?.(rec, this.view);

    const now = this.sim.now;
    if (ok) {
      // R106: stored when the response completes (not at arrival); errors are never stored.
      const rc = this.responseCache;
      if (rc !== null) {
        const key = rc.keyOf(st.req);
        if (key !== null) rc.store(key, endpoint, now);
      }
      this.served(
        st.outcome,
        endpoint,
        st.attempts.length,
        st.spentUsd,
        now - st.arrivalMs,
        rec.startMs + rec.ttftMs - st.arrivalMs,
      );
      this.finish(st);
      return;
    }
    if (rec.error === "mid_stream") {
      // Committed: the first token reached the client, so no other endpoint may be tried (R46).
      this.failed(st, rec.status, "mid_stream_error", rec.startMs + rec.ttftMs - st.arrivalMs);
      return;
    }
    if (expired) {
      this.requestTimedOut(st);
      return;
    }
    const action = this.behaviour.onFailure(rec.status, rec.error);
    if (action === "stop") {
      this.fail(st);
      return;
    }
    if (action === "next_model") (st.skipModels ??= []).push(endpoint.model);
    this.tryNext(st);
  }

  /** The gateway's request deadline passed: it answers 504, whatever the plan had left. */
  private requestTimedOut(st: InFlight): void {
    this.behaviour.finalError(st.attempts, st.req.id); // lets the policy drop the request's plan
    this.failWith(st, 504, "request_timeout");
  }

  private fail(st: InFlight): void {
    // R60: when the last candidate model had no eligible endpoint, its filter result is the answer.
    const fe = st.route.emptyTail ?? this.behaviour.finalError(st.attempts, st.req.id);
    this.failWith(st, fe.status, fe.code);
  }

  private failWith(st: InFlight, status: number, code: string): void {
    this.failed(st, status, code, Number.NaN);
  }

  private failed(
    st: InFlight,
    status: number,
    code: string,
    ttftMs: number,
    latencyMs = this.sim.now - st.arrivalMs,
  ): void {
    const o = st.outcome;
    o.kind = "failed";
    o.endpoint = undefined;
    o.status = status;
    o.code = code;
    o.attempts = st.attempts.length;
    o.latencyMs = latencyMs;
    o.ttftMs = ttftMs;
    o.costUsd = st.spentUsd;
    o.cacheHit = undefined;
    this.finish(st);
  }

  private served(
    o: Ending,
    endpoint: Endpoint,
    attempts: number,
    costUsd: number,
    latencyMs: number,
    ttftMs: number,
  ): void {
    o.kind = "served";
    o.endpoint = endpoint;
    o.status = undefined;
    o.code = undefined;
    o.attempts = attempts;
    o.costUsd = costUsd;
    o.latencyMs = latencyMs;
    o.ttftMs = ttftMs;
    o.cacheHit = undefined;
  }

  private finish(st: InFlight): void {
    this.completed++;
    this.policy.settle?.(st.req, st.outcome as Outcome, st.attempts, this.view);
    this.deliver(st);
  }

  /** The outcome to the observers; then, when nobody keeps them, the state and records are spare. */
  private deliver(st: InFlight): void {
    const o = st.outcome as Outcome;
    this.observer.outcome(st.req, o, st.attempts, st.decision);
    const extra = this.extra;
    for (let i = 0; i < extra.length; i++) extra[i].outcome(st.req, o, st.attempts, st.decision);
    if (!this.recycles) return;
    const done = st.attempts;
    for (let i = 0; i < done.length; i++) this.spareAttempts.push(done[i] as Attempt);
    this.requestPool?.release(st.req);
    st.req = NO_REQUEST;
    st.decision = NO_DECISION;
    this.spareFlights.push(st);
  }
}

/**
 * What policies see. A class, not an object literal with a getter: V8 then compiles
 * `view.endpointsOf` as a plain method load (the literal's shape made it a generic lookup per call).
 */
class RouterView implements EndpointView {
  private readonly byModel: ReadonlyMap<string, readonly Endpoint[]>;
  // Most traffic asks for one model: remember the latest answer (strings compare by identity first).
  // It starts as the catalog's first model, so that single-model runs never take the branch that
  // looks the answer up: taken only at a run's first request, it would have no type feedback, and
  // the next run in the process would discard the compiled code there.
  private lastModel: string;
  private lastList: readonly Endpoint[];
  constructor(
    private readonly sim: Simulator,
    readonly catalog: readonly Endpoint[],
    readonly health: HealthTracker,
  ) {
    this.byModel = endpointsByModel(catalog);
    this.lastModel = catalog.length > 0 ? catalog[0].model : "";
    this.lastList = this.byModel.get(this.lastModel) ?? NO_ENDPOINTS;
  }

  get now(): number {
    return this.sim.now;
  }

  endpointsOf(model: string): readonly Endpoint[] {
    if (model !== this.lastModel) {
      this.lastModel = model;
      this.lastList = this.byModel.get(model) ?? NO_ENDPOINTS;
    }
    return this.lastList;
  }
}

const NO_ENDPOINTS: readonly Endpoint[] = [];

/** The decision observers see for a response-cache hit: the policy was not asked. */
const CACHE_HIT: Decision = { kind: "route", candidates: [] };

/** A bound far above any gateway's retry count: past it, a policy's plan is looping (a bug). */
const MAX_NO_CALL_STEPS = 10_000;

/** The farm's timer for a scope; a stream cut at its end is committed, a plain read is not. */
function timerScope(s: TimeoutScope, streaming: boolean): number {
  if (s === "first_token") return TimerScope.FirstToken;
  if (s === "headers") return streaming ? TimerScope.Headers : TimerScope.Response;
  return streaming ? TimerScope.StreamEnd : TimerScope.Response;
}

/** Candidate k of a decision, -1 past the end; lazy decisions compute only what is asked. */
function candidateAt(d: Decision & { kind: "route" }, k: number): number {
  if (d.candidateAt !== undefined) return d.candidateAt(k);
  return k < d.candidates.length ? d.candidates[k] : -1;
}

/** The conversation key prompt caches are keyed by (R83): explicit `session_id`, else the traffic's. */
function sessionOf(req: RoutedRequest): string | undefined {
  return req.body.session_id ?? req.session;
}
