/**
 * LiteLLM Router emulation (docs/gateways.md §1), modelled on router.py f292d1ae: routing
 * strategies, `async_function_with_retries` (one retry refusal check after the first failure, a
 * fixed retry count, a backoff sleep after every failed retry, the last one included),
 * `async_function_with_fallbacks` (generic, context-window and content-policy lists), and deployment
 * cooldowns (default "v2" rules and the legacy allowed_fails path).
 *
 * A request is planned one step at a time (src/gateways/plan.ts). A retry that follows a sleep is a
 * `DEFERRED` step: the strategy runs in `resolve()`, at the retry's real time, over the deployments
 * healthy then. A step may end without a provider call ("No deployments available", a zero-weight
 * shuffle): it still counts as a retry and is followed by its sleep.
 *
 * Exception classes from mock-provider statuses (§1.2 retry_policy row, OpenAI-compatible mapping):
 * 400/422 BadRequestError, 401 AuthenticationError, 404 NotFoundError, 408 and 504 Timeout, 429
 * RateLimitError, 500 InternalServerError, anything else APIError (503 ServiceUnavailableError has no
 * policy field either). Mock providers send no message text, so routesim's conventions stand in for
 * LiteLLM's message rules: status 451 is a ContentPolicyViolationError, and a request whose tokens
 * exceed the picked deployment's context length fails there with ContextWindowExceededError, without
 * a provider call.
 */

import { configSource } from "../gateways/files.js";
import type { ErrorClass, LiteConfig, LiteDeployment } from "../gateways/litellm-config.js";
import { LITELLM_VERSION, loadLitellmConfig } from "../gateways/litellm-config.js";
import { isTerminal, PlanBook } from "../gateways/plan.js";
import { type RetryAfter, retryAfterFor } from "../gateways/retryafter.js";
import { hashKey, Rng } from "../rng/rng.js";
import { errorType } from "../router/errors.js";
import type { AttemptRecord, Endpoint, RoutedRequest } from "../types.js";
import type { BuiltPolicy, PolicyFactory } from "./kind.js";
import {
  DEFERRED,
  type Decision,
  type EndpointView,
  type FinalError,
  type Policy,
  type RouterBehaviour,
} from "./types.js";

/** For run.json and the docs: the LiteLLM code this policy reproduces. */
export const LITELLM_MODELLED_VERSION = LITELLM_VERSION;

const MINUTE = 60_000;
const COUNTER_TTL_MS = 60_000;
const TIMEOUT_PENALTY_S = 1000;
// litellm/constants.py: INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, JITTER (seconds).
const INITIAL_RETRY_DELAY_S = 0.5;
const MAX_RETRY_DELAY_S = 8;
const JITTER_S = 0.75;

/** A failure as LiteLLM's retry and fallback code sees it: the client status, the class, the hint. */
export interface LiteError extends FinalError {
  readonly cls: ErrorClass;
  /** Retry-After of the failing response (ms), null when it has none. */
  readonly retryAfterMs: number | null;
}

/** §1.2 retry_policy row: the exception class of a provider status (message rules: see the header). */
export function errorClass(status: number): ErrorClass {
  switch (status) {
    case 400:
    case 422:
      return "bad_request";
    case 401:
      return "auth";
    case 404:
      return "not_found";
    case 408:
    case 504:
      return "timeout";
    case 429:
      return "rate_limit";
    case 451:
      return "content_policy";
    case 500:
      return "internal_server";
    default:
      return "api_error";
  }
}

/**
 * `get_num_retries_from_retry_policy` checks Auth, Timeout, RateLimit, ContentPolicy, BadRequest in
 * that order; ContentPolicyViolationError and ContextWindowExceededError are BadRequestErrors.
 */
const RETRY_FIELDS: Record<ErrorClass, readonly ErrorClass[]> = {
  auth: ["auth"],
  timeout: ["timeout"],
  rate_limit: ["rate_limit"],
  content_policy: ["content_policy", "bad_request"],
  context_window: ["bad_request"],
  bad_request: ["bad_request"],
  internal_server: ["internal_server"],
  not_found: [],
  api_error: [],
};

/** `get_allowed_fails_from_policy` checks BadRequest first, then Auth, Timeout, RateLimit, ContentPolicy. */
const FAILS_FIELDS: Record<ErrorClass, readonly ErrorClass[]> = {
  ...RETRY_FIELDS,
  content_policy: ["bad_request", "content_policy"],
};

function firstSet(o: Partial<Record<ErrorClass, number>>, keys: readonly ErrorClass[]): number | undefined {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

/** §1.2 `_should_retry`: 408, 409, 429, ≥ 500 (401 only with several deployments; 403 is retried). */
function retryableStatus(status: number, groupSize: number): boolean {
  if (status === 408 || status === 409 || status === 429 || status >= 500 || status === 403) return true;
  return status === 401 && groupSize > 1;
}

/** §1.4 step 2: statuses that can lead to a cooldown. */
function cooldownEligible(status: number): boolean {
  if (status === 429 || status === 401 || status === 404 || status === 408) return true;
  return status < 400 || status >= 500;
}

/** The router raises RouterRateLimitError (a ValueError: no policy field) when nothing is healthy. */
const NO_DEPLOYMENTS: LiteError = {
  status: 429,
  code: "no_deployments_available",
  cls: "api_error",
  retryAfterMs: null,
};
/** usage-based-routing-v2 raises a RateLimitError with Retry-After 60 s when nothing is under budget (§1.5). */
const OVER_BUDGET: LiteError = {
  status: 429,
  code: "no_deployments_available",
  cls: "rate_limit",
  retryAfterMs: 60_000,
};
/** simple-shuffle over weights summing to 0: `random.choices` raises ValueError, which the proxy returns as 500. */
const ZERO_WEIGHTS: LiteError = { status: 500, code: "zero_weights", cls: "api_error", retryAfterMs: null };
const CONTEXT_WINDOW: LiteError = {
  status: 400,
  code: "context_length_exceeded",
  cls: "context_window",
  retryAfterMs: null,
};

/** Where a request stands inside its current model group (`async_function_with_retries`). */
type Phase =
  | { readonly kind: "first" }
  /** Retry `k` of `of` is next. */
  | { readonly kind: "retry"; readonly k: number; readonly of: number }
  /** The group raised its original error: fallbacks next, or the end. */
  | { readonly kind: "raised" };

interface RequestState {
  readonly req: RoutedRequest;
  group: string;
  phase: Phase;
  /** Sleep before the next step (ms); taken as a `DEFERRED` step's delay. */
  waitMs: number;
  /** The current group's first exception: its class fixes the retry count, its Retry-After every sleep. */
  first: LiteError | null;
  /** The primary group's original exception: what the client gets if every group fails. */
  primary: LiteError | null;
  /** Fallback groups once the primary group raised; null while still in the primary. */
  chain: readonly string[] | null;
  chainPos: number;
  /** Deployment of the attempt handed to the router and not yet observed, or -1. */
  current: number;
  /** Draws made for this request (keys the generator). */
  draws: number;
}

/** What to do next for a request. */
type Step =
  | { readonly kind: "call"; readonly deployment: number }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "end"; readonly error: LiteError };

/** The router's mutable state; exposed for tests (cooldown timelines). */
export class LiteRouter implements Policy {
  readonly plans = new PlanBook();
  readonly cooldownUntil: Float64Array;
  /** Cooldown start times, for tests: [time, deployment index]. */
  readonly cooldowns: [number, number][] = [];
  private readonly groups = new Map<string, number[]>();
  private readonly byModel = new Map<string, string | null>();
  private readonly states = new Map<number, RequestState>();
  private readonly finals = new Map<number, FinalError>();
  // v2 counters (§1.4 step 1) and the v1 failed_calls counter (step 4).
  private readonly succ: Int32Array;
  private readonly succExp: Float64Array;
  private readonly fail: Int32Array;
  private readonly failExp: Float64Array;
  private readonly v1Fails: Int32Array;
  private readonly v1Exp: Float64Array;
  // Usage (calendar minute) and latency state.
  private readonly minute: Float64Array;
  private readonly rpmUsed: Int32Array;
  private readonly tpmUsed: Float64Array;
  private readonly latency: number[][];
  private readonly groupLastSuccess = new Map<string, number>();
  /**
   * least-busy's `{group}_request_count` maps (§1.5): deployment → in flight, in the order entries
   * were first written (a started call, or an unused healthy deployment seen by a pick once the map
   * exists). Cooled-down deployments stay in.
   */
  private readonly inflight = new Map<string, Map<number, number>>();
  private readonly rng = new Rng(0);
  private readonly key: [number, number];

  constructor(
    readonly name: string,
    readonly cfg: LiteConfig,
    private readonly catalog: readonly Endpoint[],
    private readonly retryAfter: RetryAfter,
    private readonly streaming: boolean,
    seed: number,
  ) {
    const n = cfg.deployments.length;
    cfg.deployments.forEach((d, i) => {
      const g = this.groups.get(d.group) ?? [];
      g.push(i);
      this.groups.set(d.group, g);
    });
    this.cooldownUntil = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.succ = new Int32Array(n);
    this.succExp = new Float64Array(n);
    this.fail = new Int32Array(n);
    this.failExp = new Float64Array(n);
    this.v1Fails = new Int32Array(n);
    this.v1Exp = new Float64Array(n);
    this.minute = new Float64Array(n).fill(-1);
    this.rpmUsed = new Int32Array(n);
    this.tpmUsed = new Float64Array(n);
    this.latency = Array.from({ length: n }, () => []);
    this.key = hashKey([seed, "litellm"]);
  }

  /** The model group a request asks for: its model if that is a model_name, else the first group serving it. */
  groupFor(model: string): string | null {
    if (this.groups.has(model)) return model;
    let g = this.byModel.get(model);
    if (g === undefined) {
      const d = this.cfg.deployments.find((x) => this.catalog[x.endpoint].model === model);
      g = d ? d.group : null;
      this.byModel.set(model, g);
    }
    return g;
  }

  isCooledDown(d: number, now: number): boolean {
    return now < this.cooldownUntil[d];
  }

  /** In-flight counts of a group's least-busy map, in map order (for tests). */
  inflightOf(group: string): [string, number][] {
    return [...(this.inflight.get(group) ?? [])].map(([d, c]) => [this.cfg.deployments[d].id, c]);
  }

  private touchMinute(d: number, now: number): void {
    const m = Math.floor(now / MINUTE);
    if (this.minute[d] !== m) {
      this.minute[d] = m;
      this.rpmUsed[d] = 0;
      this.tpmUsed[d] = 0;
    }
  }

  private overLimits(d: number, now: number, inputTokens: number, strict: boolean): boolean {
    const dep = this.cfg.deployments[d];
    this.touchMinute(d, now);
    if (dep.tpm !== undefined && this.tpmUsed[d] + inputTokens > dep.tpm) return true;
    // usage-based-v2 stops selecting at rpm − 1 (§1.5 ⚠ `≥`); latency/cost skip at rpm.
    if (dep.rpm !== undefined && (strict ? this.rpmUsed[d] + 1 >= dep.rpm : this.rpmUsed[d] >= dep.rpm))
      return true;
    return false;
  }

  private meanLatency(d: number, group: string, now: number): number {
    const last = this.groupLastSuccess.get(group);
    if (last !== undefined && now - last > this.cfg.latencyTtlS * 1000) {
      for (const x of this.groups.get(group)!) this.latency[x].length = 0;
      this.groupLastSuccess.delete(group);
    }
    const s = this.latency[d];
    if (s.length === 0) return 0; // never measured: counts as 0 and wins (§1.5)
    let sum = 0;
    for (const v of s) sum += v;
    return sum / s.length;
  }

  /** `_async_get_healthy_deployments`: the group minus cooled-down deployments (what retry decisions count). */
  private notCooled(group: string, now: number): number {
    let n = 0;
    for (const d of this.groups.get(group) ?? []) if (!this.isCooledDown(d, now)) n++;
    return n;
  }

  /** Deployments a pick chooses from: not cooled down, then the pre-call checks (context window, order). */
  healthy(group: string, req: RoutedRequest, now: number): number[] | LiteError {
    let h = (this.groups.get(group) ?? []).filter((d) => !this.isCooledDown(d, now));
    if (this.cfg.preCallChecks && h.length > 0) {
      const tokens = req.promptTokens + req.completionTokens;
      h = h.filter((d) => this.catalog[this.cfg.deployments[d].endpoint].contextLength >= tokens);
      // `_pre_call_checks` raises ContextWindowExceededError when the context filter leaves nothing.
      if (h.length === 0) return CONTEXT_WINDOW;
      const orders = h.map((d) => this.cfg.deployments[d].order ?? Number.POSITIVE_INFINITY);
      const lowest = Math.min(...orders);
      if (lowest !== Number.POSITIVE_INFINITY) h = h.filter((_, i) => orders[i] === lowest);
    }
    return h;
  }

  /** Runs the routing strategy over the healthy deployments: a deployment, or why the pick failed. */
  pick(group: string, req: RoutedRequest, now: number, rng: Rng): number | LiteError {
    const h = this.healthy(group, req, now);
    if (!Array.isArray(h)) return h;
    if (h.length === 0) return NO_DEPLOYMENTS;
    const deps = this.cfg.deployments;
    switch (this.cfg.strategy) {
      case "simple-shuffle": {
        // §1.1 weight quirk: only healthy[0] decides which field is used; missing values are 0.
        const first = deps[h[0]];
        const field: ((d: LiteDeployment) => number | undefined) | null =
          first.weight !== undefined
            ? (d) => d.weight
            : first.rpm !== undefined
              ? (d) => d.rpm
              : first.tpm !== undefined
                ? (d) => d.tpm
                : null;
        if (field === null) return h[rng.int(h.length)];
        const w = h.map((d) => field(deps[d]) ?? 0);
        const total = w.reduce((a, b) => a + b, 0);
        // §1.1 zero weights: random.choices raises ValueError; there is no uniform fallback.
        if (total <= 0) return ZERO_WEIGHTS;
        const x = rng.next() * total;
        let acc = 0;
        for (let i = 0; i < h.length; i++) {
          acc += w[i];
          if (x < acc) return h[i];
        }
        return h[h.length - 1];
      }
      case "least-busy":
        return this.leastBusy(group, h, rng);
      case "latency-based-routing": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, false));
        if (ok.length === 0) return NO_DEPLOYMENTS;
        const means = ok.map((d) => this.meanLatency(d, group, now));
        const min = Math.min(...means);
        const within = ok.filter((_, i) => means[i] <= (1 + this.cfg.latencyBuffer) * min);
        return within[rng.int(within.length)];
      }
      case "usage-based-routing":
      case "usage-based-routing-v2": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, true));
        if (ok.length === 0) return OVER_BUDGET;
        const min = Math.min(...ok.map((d) => this.tpmUsed[d]));
        const lowest = ok.filter((d) => this.tpmUsed[d] === min);
        return lowest[rng.int(lowest.length)];
      }
      case "cost-based-routing": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, false));
        if (ok.length === 0) return NO_DEPLOYMENTS;
        let best = ok[0];
        let bestCost = Number.POSITIVE_INFINITY;
        for (const d of ok) {
          const p = this.catalog[deps[d].endpoint].price;
          const c = p.prompt + p.completion;
          if (c < bestCost) {
            bestCost = c;
            best = d;
          }
        }
        return best;
      }
    }
  }

  /**
   * least_busy.py `_get_available_deployments`: unused healthy deployments join the map with 0
   * (kept only once the map exists, i.e. after the group's first call); the first entry with the
   * strictly smallest count wins if it is healthy, else `random.choice` over the healthy ones.
   */
  private leastBusy(group: string, h: readonly number[], rng: Rng): number {
    const m = this.inflight.get(group) ?? new Map<number, number>();
    for (const d of h) if (!m.has(d)) m.set(d, 0);
    let best = -1;
    let min = Number.POSITIVE_INFINITY;
    for (const [d, c] of m)
      if (c < min) {
        min = c;
        best = d;
      }
    return h.includes(best) ? best : h[rng.int(h.length)];
  }

  /** One pick for the request's current group: a deployment, or the error raised without a provider call. */
  private tryGroup(st: RequestState, now: number, rng: Rng): number | LiteError {
    const d = this.pick(st.group, st.req, now, rng);
    if (typeof d !== "number") return d;
    const tokens = st.req.promptTokens + st.req.completionTokens;
    return this.catalog[this.cfg.deployments[d].endpoint].contextLength < tokens ? CONTEXT_WINDOW : d;
  }

  /**
   * The group's first call failed with `e` (a provider error or a failed pick). Runs
   * `should_retry_this_error` once (§1.2 "when a retry is refused"), then reads retry_policy: the
   * retry count is fixed here and nothing is re-checked inside the retry loop.
   */
  private firstFailed(st: RequestState, e: LiteError, now: number): void {
    st.first = e;
    if (st.chain === null) st.primary = e;
    const size = this.groups.get(st.group)!.length;
    const healthy = this.notCooled(st.group, now);
    const c = this.cfg;
    const refused =
      !retryableStatus(e.status, size) ||
      e.cls === "not_found" ||
      (e.cls === "context_window" && c.contextWindowFallbacks !== null) ||
      (e.cls === "content_policy" && c.contentPolicyFallbacks !== null) ||
      (e.cls === "auth" && size <= 1) ||
      healthy <= 0;
    const n = refused ? 0 : (firstSet(c.retryPolicy, RETRY_FIELDS[e.cls]) ?? c.numRetries);
    if (n <= 0) {
      st.phase = { kind: "raised" };
      return;
    }
    st.phase = { kind: "retry", k: 1, of: n };
    st.waitMs = this.sleepMs(st, n, n, healthy);
  }

  /** Retry k failed (a provider error or a failed pick): sleep, then retry k + 1, or raise after the last. */
  private retryFailed(st: RequestState, now: number): void {
    const p = st.phase;
    if (p.kind !== "retry") throw new Error(`retry failed outside the retry loop (${p.kind})`);
    // The loop passes remaining_retries = num_retries − current_attempt, so n = k − 1 (§1.2).
    st.waitMs = this.sleepMs(st, p.of - (p.k - 1), p.of, this.notCooled(st.group, now));
    st.phase = p.k < p.of ? { kind: "retry", k: p.k + 1, of: p.of } : { kind: "raised" };
  }

  /**
   * §1.2 retry delay, `_time_to_sleep_before_retry` and `_calculate_retry_after` (ms): 0 when the
   * group has several deployments and one is healthy; else Retry-After of the group's first
   * exception + jitter if 0 < it ≤ 60 s; else min(max(0.5 s·2^n, retry_after), 8 s) + jitter.
   */
  private sleepMs(st: RequestState, remaining: number, numRetries: number, healthy: number): number {
    if (this.groups.get(st.group)!.length !== 1 && healthy > 0) return 0;
    this.rng.reseed(this.key, st.req.id, ++st.draws);
    const jitter = JITTER_S * this.rng.next();
    const ra = st.first?.retryAfterMs ?? null;
    if (ra !== null && ra > 0 && ra <= 60_000) return ra + jitter * 1000;
    const backoff = INITIAL_RETRY_DELAY_S * 2 ** (numRetries - remaining);
    return (Math.min(Math.max(backoff, this.cfg.retryAfterS), MAX_RETRY_DELAY_S) + jitter) * 1000;
  }

  /**
   * `async_function_with_fallbacks_common_utils` on the primary group's original error: a
   * context-window or content-policy error uses its own list when that list is set (no entry for
   * the group: no fallback at all); otherwise the generic list, with `"*"` as the default entry.
   */
  private fallbacksFor(group: string, cls: ErrorClass): readonly string[] {
    const c = this.cfg;
    const specific =
      cls === "context_window"
        ? c.contextWindowFallbacks
        : cls === "content_policy"
          ? c.contentPolicyFallbacks
          : null;
    const list = specific ? specific.get(group) : (c.fallbacks.get(group) ?? c.fallbacks.get("*"));
    return (list ?? []).slice(0, c.maxFallbacks);
  }

  /** Plays the request forward from its phase until a provider call, a sleep, or the end. */
  private next(st: RequestState, now: number, rng: Rng): Step {
    for (;;) {
      if (st.waitMs > 0) {
        const ms = st.waitMs;
        st.waitMs = 0;
        return { kind: "wait", ms };
      }
      const p = st.phase;
      if (p.kind === "raised") {
        const primary = st.primary!;
        if (st.chain === null) st.chain = this.fallbacksFor(st.group, primary.cls);
        if (st.chainPos >= st.chain.length) return { kind: "end", error: primary };
        st.group = st.chain[st.chainPos++];
        st.phase = { kind: "first" };
        st.first = null;
        continue;
      }
      const d = this.tryGroup(st, now, rng);
      if (typeof d === "number") return { kind: "call", deployment: d };
      if (p.kind === "first") this.firstFailed(st, d, now);
      else this.retryFailed(st, now);
    }
  }

  private started(st: RequestState, d: number, now: number): number {
    this.touchMinute(d, now);
    this.rpmUsed[d]++;
    const g = this.cfg.deployments[d].group;
    let m = this.inflight.get(g);
    if (m === undefined) {
      m = new Map();
      this.inflight.set(g, m);
    }
    m.set(d, (m.get(d) ?? 0) + 1);
    st.current = d;
    return this.cfg.deployments[d].endpoint;
  }

  private ended(d: number): void {
    const m = this.inflight.get(this.cfg.deployments[d].group)!;
    m.set(d, (m.get(d) ?? 0) - 1);
  }

  route(req: RoutedRequest, view: EndpointView, rng: Rng): Decision {
    const group = this.groupFor(req.body.model ?? req.model);
    if (group === null) return { kind: "reject", status: 400, code: "invalid_request" };
    const st: RequestState = {
      req,
      group,
      phase: { kind: "first" },
      waitMs: 0,
      first: null,
      primary: null,
      chain: null,
      chainPos: 0,
      current: -1,
      draws: 0,
    };
    const s = this.next(st, view.now, rng);
    if (s.kind === "end") return { kind: "reject", status: s.error.status, code: s.error.code };
    this.states.set(req.id, st);
    if (s.kind === "wait") return this.plans.begin(req.id, DEFERRED, s.ms);
    return this.plans.begin(req.id, this.started(st, s.deployment, view.now));
  }

  /** A `DEFERRED` step's delay has passed: pick now (a retry or a fallback group's first call). */
  resolve(requestId: number, view: EndpointView): number {
    const st = this.states.get(requestId);
    if (!st) throw new Error(`LiteLLM: no open request ${requestId} to resolve`);
    this.rng.reseed(this.key, requestId, ++st.draws);
    const s = this.next(st, view.now, this.rng);
    if (s.kind === "call") return this.started(st, s.deployment, view.now);
    if (s.kind === "wait") this.plans.extend(requestId, DEFERRED, s.ms);
    else this.end(requestId, s.error);
    return -1;
  }

  observe(a: AttemptRecord, view: EndpointView): void {
    const st = this.states.get(a.requestId);
    if (!st) return;
    const now = view.now;
    const d = st.current;
    st.current = -1;
    this.learn(d, a, now);
    if (isTerminal(a)) {
      this.end(a.requestId, null);
      return;
    }
    const e: LiteError = {
      status: a.status,
      code: errorType(a.status),
      cls: errorClass(a.status),
      retryAfterMs: this.retryAfter(a),
    };
    if (st.phase.kind === "first") this.firstFailed(st, e, now);
    else this.retryFailed(st, now);
    this.rng.reseed(this.key, a.requestId, ++st.draws);
    const s = this.next(st, now, this.rng);
    if (s.kind === "call") this.plans.extend(a.requestId, this.started(st, s.deployment, now), 0);
    else if (s.kind === "wait") this.plans.extend(a.requestId, DEFERRED, s.ms);
    else this.end(a.requestId, s.error);
  }

  private end(requestId: number, err: FinalError | null): void {
    this.plans.close(requestId);
    this.states.delete(requestId);
    if (err) this.finals.set(requestId, { status: err.status, code: err.code });
  }

  /** Final error of a failed request: the primary group's original error (§1.2 fallbacks). */
  finalError(attempts: readonly AttemptRecord[], id: number): FinalError {
    const st = this.states.get(id);
    if (st) {
      // The router stopped before the planned next step (router.max_attempts): drop the plan.
      if (st.current >= 0) this.ended(st.current);
      this.end(id, null);
      const e = st.primary ?? st.first;
      if (e) return { status: e.status, code: e.code };
    }
    const e = this.finals.get(id);
    this.finals.delete(id);
    if (e) return e;
    if (attempts.length === 0) return { status: NO_DEPLOYMENTS.status, code: NO_DEPLOYMENTS.code };
    const s = attempts[attempts.length - 1].status;
    return { status: s, code: errorType(s) };
  }

  /** Cooldown, usage and latency bookkeeping for every attempt (§1.4, §1.5). */
  private learn(d: number, a: AttemptRecord, now: number): void {
    this.ended(d);
    const dep = this.cfg.deployments[d];
    if (a.status === 200) {
      this.count(this.succ, this.succExp, d, now);
      this.touchMinute(d, now);
      this.tpmUsed[d] += a.promptTokens + a.completionTokens;
      const secs = this.streaming ? a.ttftMs / 1000 : (a.endMs - a.startMs) / 1000;
      this.addLatency(d, a.completionTokens > 0 ? secs / a.completionTokens : secs);
      this.groupLastSuccess.set(dep.group, now);
      return;
    }
    if (a.error === "timeout") this.addLatency(d, TIMEOUT_PENALTY_S);
    if (a.error === "mid_stream" || !cooldownEligible(a.status)) return;
    // §1.1/§1.2: only disable_cooldowns turns cooldowns off (cooldown_time 0 is the default).
    if (this.cfg.disableCooldowns) return;
    const size = this.groups.get(dep.group)!.length;
    const cls = errorClass(a.status);
    let cool = false;
    if (this.cfg.v1) {
      // `get_allowed_fails_from_policy(e) or allowed_fails`: a per-class 0 falls back too.
      const limit = firstSet(this.cfg.v1.perClass, FAILS_FIELDS[cls]) || this.cfg.v1.allowedFails;
      const current = now < this.v1Exp[d] ? this.v1Fails[d] : 0;
      if (current + 1 > limit) cool = true;
      else {
        this.v1Fails[d] = current + 1;
        this.v1Exp[d] = now + this.cfg.cooldownS * 1000;
      }
    } else {
      this.count(this.fail, this.failExp, d, now);
      const s = now < this.succExp[d] ? this.succ[d] : 0;
      const f = this.fail[d];
      const total = s + f;
      if (a.status === 429 && size > 1) cool = true;
      else if (s === 0 && total >= 1000) cool = true;
      else if (size > 1 && total >= 5 && f / total > 0.5) cool = true;
      // litellm._should_retry (408, 409, 429, ≥ 500) without the router's 401/403 exceptions (§1.4 step 3).
      else if (!(a.status === 408 || a.status === 409 || a.status === 429 || a.status >= 500)) cool = true;
    }
    if (!cool) return;
    // Deployment value > Retry-After > router value; then `cooldown_time or default` (§1.1), and the
    // cache entry is overwritten, not extended.
    const ra = this.retryAfter(a);
    const secs = dep.cooldownS ?? (ra !== null ? ra / 1000 : this.cfg.cooldownS);
    this.cooldownUntil[d] = now + (secs || this.cfg.cooldownS) * 1000;
    this.cooldowns.push([now, d]);
  }

  /** Increments a counter whose 60 s TTL is re-set by every increment (§1.4 step 1 ⚠). */
  private count(c: Int32Array, exp: Float64Array, d: number, now: number): void {
    if (now >= exp[d]) c[d] = 0;
    c[d]++;
    exp[d] = now + COUNTER_TTL_MS;
  }

  private addLatency(d: number, v: number): void {
    const s = this.latency[d];
    s.push(v);
    if (s.length > this.cfg.maxLatencyListSize) s.shift();
  }
}

export function litellmBehaviour(r: LiteRouter, maxAttempts: number | null = null): RouterBehaviour {
  return {
    timeoutMs: r.cfg.timeoutS * 1000,
    // The timeout goes to the provider's HTTP client as a read timeout: a stream's first chunk, or
    // a plain response, which arrives whole at its end (no asyncio.wait_for around the call).
    timeoutScope: { streaming: "first_token", nonStreaming: "response" },
    billsAbandoned: true,
    maxAttempts: maxAttempts ?? Number.POSITIVE_INFINITY,
    onFailure: () => "next",
    finalError: (attempts, id) => r.finalError(attempts, id),
  };
}

const build: PolicyFactory = (spec, ctx): BuiltPolicy => {
  const { file, data, base } = configSource(spec, ctx, "litellm");
  const { config, warnings } = loadLitellmConfig(data, ctx, file, base);
  const r = new LiteRouter(
    spec.name,
    config,
    ctx.catalog,
    retryAfterFor(ctx.scenario),
    spec.request.stream === true,
    ctx.scenario.seed,
  );
  return {
    policy: r,
    behaviour: litellmBehaviour(r, spec.router.max_attempts),
    warnings,
    models: LITELLM_MODELLED_VERSION,
  };
};

/** `kind: litellm`. */
export const litellmKind: PolicyFactory = build;
