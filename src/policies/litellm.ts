/**
 * LiteLLM Router emulation (docs/gateways.md §1): routing strategies, per-group retries with
 * LiteLLM's retry delay, model-group fallbacks (generic, context-window, content-policy), and
 * deployment cooldowns (default "v2" rules and the legacy allowed_fails path). Requests are planned
 * one attempt at a time (see src/gateways/plan.ts) because each retry re-runs the strategy over the
 * deployments that are healthy at that moment.
 *
 * Error classes from mock-provider statuses: 429 rate limit, 408 timeout, 401 authentication,
 * ≥ 500 internal server error, 451 content-policy violation (routesim's convention, since mock
 * providers only emit status codes), other 4xx bad request. A request whose tokens exceed a
 * deployment's context length fails on it with ContextWindowExceeded without a provider call.
 */

import { configSource } from "../gateways/files.js";
import type { ErrorClass, LiteConfig, LiteDeployment } from "../gateways/litellm-config.js";
import { loadLitellmConfig } from "../gateways/litellm-config.js";
import { isTerminal, PlanBook } from "../gateways/plan.js";
import { type RetryAfter, retryAfterFor } from "../gateways/retryafter.js";
import { hashKey, Rng } from "../rng/rng.js";
import { errorType } from "../router/errors.js";
import type { AttemptRecord, Endpoint, RoutedRequest } from "../types.js";
import { type BuiltPolicy, type PolicyFactory, registerPolicyKind } from "./registry.js";
import type { Decision, EndpointView, FinalError, Policy, RouterBehaviour } from "./types.js";

const MINUTE = 60_000;
const COUNTER_TTL_MS = 60_000;
const TIMEOUT_PENALTY_S = 1000;

export function errorClass(status: number): ErrorClass {
  if (status === 429) return "rate_limit";
  if (status === 408) return "timeout";
  if (status === 401) return "auth";
  if (status === 451) return "content_policy";
  if (status >= 500) return "server";
  return "bad_request";
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

interface RequestState {
  readonly req: RoutedRequest;
  group: string;
  /** Fallback groups chosen when the primary group failed; null while still in the primary. */
  chain: readonly string[] | null;
  chainPos: number;
  retries: number;
  /** Deployment of the attempt in flight. */
  current: number;
  primaryError: FinalError | null;
  lastError: FinalError;
}

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
  // Usage (calendar minute), least-busy and latency state.
  private readonly minute: Float64Array;
  private readonly rpmUsed: Int32Array;
  private readonly tpmUsed: Float64Array;
  private readonly busy: Int32Array;
  private readonly latency: number[][];
  private readonly groupLastSuccess = new Map<string, number>();
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
    this.busy = new Int32Array(n);
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

  /** Healthy deployments of a group for this request (cooldowns, then pre-call checks). */
  healthy(group: string, req: RoutedRequest, now: number): number[] {
    let h = (this.groups.get(group) ?? []).filter((d) => !this.isCooledDown(d, now));
    if (this.cfg.preCallChecks) {
      const tokens = req.promptTokens + req.completionTokens;
      h = h.filter((d) => this.catalog[this.cfg.deployments[d].endpoint].contextLength >= tokens);
      const orders = h.map((d) => this.cfg.deployments[d].order ?? Number.POSITIVE_INFINITY);
      const lowest = Math.min(...orders);
      if (lowest !== Number.POSITIVE_INFINITY) h = h.filter((_, i) => orders[i] === lowest);
    }
    return h;
  }

  /** Runs the routing strategy over the healthy deployments; -1 when none qualifies. */
  pick(group: string, req: RoutedRequest, now: number, rng: Rng): number {
    const h = this.healthy(group, req, now);
    if (h.length === 0) return -1;
    const deps = this.cfg.deployments;
    switch (this.cfg.strategy) {
      case "simple-shuffle": {
        // §1.1 weight quirk: only healthy[0] decides which field is used; missing values are 0.
        const first = deps[h[0]];
        const field: (d: LiteDeployment) => number | undefined =
          first.weight !== undefined
            ? (d) => d.weight
            : first.rpm !== undefined
              ? (d) => d.rpm
              : first.tpm !== undefined
                ? (d) => d.tpm
                : () => 1;
        const w = h.map((d) => field(deps[d]) ?? 0);
        const total = w.reduce((a, b) => a + b, 0);
        if (total <= 0) return h[rng.int(h.length)];
        const x = rng.next() * total;
        let acc = 0;
        for (let i = 0; i < h.length; i++) {
          acc += w[i];
          if (x < acc) return h[i];
        }
        return h[h.length - 1];
      }
      case "least-busy": {
        let best = h[0];
        for (const d of h) if (this.busy[d] < this.busy[best]) best = d;
        return best;
      }
      case "latency-based-routing": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, false));
        if (ok.length === 0) return -1;
        const means = ok.map((d) => this.meanLatency(d, group, now));
        const min = Math.min(...means);
        const within = ok.filter((_, i) => means[i] <= (1 + this.cfg.latencyBuffer) * min);
        return within[rng.int(within.length)];
      }
      case "usage-based-routing":
      case "usage-based-routing-v2": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, true));
        if (ok.length === 0) return -1;
        const min = Math.min(...ok.map((d) => this.tpmUsed[d]));
        const lowest = ok.filter((d) => this.tpmUsed[d] === min);
        return lowest[rng.int(lowest.length)];
      }
      case "cost-based-routing": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, false));
        if (ok.length === 0) return -1;
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

  private fallbacksFor(group: string, cls: ErrorClass): readonly string[] {
    const c = this.cfg;
    const specific =
      cls === "context_window"
        ? c.contextWindowFallbacks
        : cls === "content_policy"
          ? c.contentPolicyFallbacks
          : null;
    const list = specific?.get(group) ?? c.fallbacks.get(group) ?? c.fallbacks.get("*") ?? [];
    return list.slice(0, c.maxFallbacks);
  }

  /** The current group failed with `err`: move to the next fallback group; false when none is left. */
  private nextGroup(st: RequestState, err: FinalError, cls: ErrorClass): boolean {
    st.lastError = err;
    if (st.chain === null) {
      st.primaryError = err;
      st.chain = this.fallbacksFor(st.group, cls);
    }
    if (st.chainPos >= st.chain.length) return false;
    st.group = st.chain[st.chainPos++];
    st.retries = 0;
    return true;
  }

  /** First attempt in the current group (or the next ones that can serve); -1 when all fail. */
  private firstIn(st: RequestState, now: number, rng: Rng): number {
    const tokens = st.req.promptTokens + st.req.completionTokens;
    for (;;) {
      const d = this.pick(st.group, st.req, now, rng);
      if (d < 0) {
        if (!this.nextGroup(st, { status: 429, code: "no_deployments_available" }, "rate_limit")) return -1;
        continue;
      }
      if (this.catalog[this.cfg.deployments[d].endpoint].contextLength < tokens) {
        // ContextWindowExceeded: a 400 without a provider call, never retried (§1.2).
        if (!this.nextGroup(st, { status: 400, code: "context_length_exceeded" }, "context_window"))
          return -1;
        continue;
      }
      return d;
    }
  }

  private started(d: number, now: number): number {
    this.touchMinute(d, now);
    this.rpmUsed[d]++;
    this.busy[d]++;
    return this.cfg.deployments[d].endpoint;
  }

  route(req: RoutedRequest, view: EndpointView, rng: Rng): Decision {
    const group = this.groupFor(req.body.model ?? req.model);
    if (group === null) return { kind: "reject", status: 400, code: "invalid_request" };
    const st: RequestState = {
      req,
      group,
      chain: null,
      chainPos: 0,
      retries: 0,
      current: -1,
      primaryError: null,
      lastError: { status: 429, code: "no_deployments_available" },
    };
    const d = this.firstIn(st, view.now, rng);
    if (d < 0) {
      const e = st.primaryError ?? st.lastError;
      return { kind: "reject", status: e.status, code: e.code };
    }
    st.current = d;
    this.states.set(req.id, st);
    return this.plans.begin(req.id, this.started(d, view.now));
  }

  observe(a: AttemptRecord, view: EndpointView): void {
    const st = this.states.get(a.requestId);
    if (!st) return;
    const now = view.now;
    const d = st.current;
    this.learn(d, a, now);
    if (isTerminal(a)) {
      this.end(a.requestId, null);
      return;
    }
    const err: FinalError = { status: a.status, code: errorType(a.status) };
    st.lastError = err;
    const cls = errorClass(a.status);
    const size = this.groups.get(st.group)!.length;
    const allowed = this.cfg.retryPolicy[cls] ?? this.cfg.numRetries;
    const specific = cls === "content_policy" && this.cfg.contentPolicyFallbacks.has(st.group);
    this.rng.reseed(this.key, a.requestId, a.attempt);
    if (retryableStatus(a.status, size) && !specific && st.retries < allowed) {
      const healthy = this.healthy(st.group, st.req, now).length;
      const next = healthy > 0 ? this.pick(st.group, st.req, now, this.rng) : -1;
      if (next >= 0) {
        const delay = size > 1 ? 0 : this.backoffMs(st.retries, a);
        st.retries++;
        st.current = next;
        this.plans.extend(a.requestId, this.started(next, now), delay);
        return;
      }
    }
    if (this.nextGroup(st, err, cls)) {
      const next = this.firstIn(st, now, this.rng);
      if (next >= 0) {
        st.current = next;
        this.plans.extend(a.requestId, this.started(next, now), 0);
        return;
      }
    }
    this.end(a.requestId, st.primaryError ?? st.lastError);
  }

  /** §1.2 retry delay for a single-deployment group: Retry-After if 0 < it ≤ 60 s, else 0.5 s·2^n ≤ 8 s with jitter. */
  private backoffMs(n: number, a: AttemptRecord): number {
    const ra = this.retryAfter(a);
    let s: number;
    if (ra !== null && ra > 0 && ra <= 60_000) s = ra / 1000;
    else s = Math.min(0.5 * 2 ** n, 8) * (1 - 0.75 * this.rng.next());
    return Math.max(s, this.cfg.retryAfterS) * 1000;
  }

  private end(requestId: number, err: FinalError | null): void {
    this.plans.close(requestId);
    this.states.delete(requestId);
    if (err) this.finals.set(requestId, err);
  }

  /** Final error of a failed request: the primary group's original error (§1.2 fallbacks). */
  finalError(attempts: readonly AttemptRecord[]): FinalError {
    if (attempts.length === 0) return { status: 429, code: "no_deployments_available" };
    const id = attempts[0].requestId;
    const st = this.states.get(id);
    if (st) {
      // The router stopped before the planned next attempt (router.max_attempts): drop the plan.
      this.busy[st.current]--;
      this.end(id, null);
      return st.primaryError ?? st.lastError;
    }
    const e = this.finals.get(id);
    this.finals.delete(id);
    if (e) return e;
    const s = attempts[attempts.length - 1].status;
    return { status: s, code: errorType(s) };
  }

  /** Cooldown, usage and latency bookkeeping for every attempt (§1.4, §1.5). */
  private learn(d: number, a: AttemptRecord, now: number): void {
    this.busy[d]--;
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
    if (this.cfg.disableCooldowns || dep.cooldownS === 0) return;
    const size = this.groups.get(dep.group)!.length;
    let cool = false;
    if (this.cfg.v1) {
      const limit = this.cfg.v1.perClass[errorClass(a.status)] ?? this.cfg.v1.allowedFails;
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
    const ra = this.retryAfter(a);
    const secs = dep.cooldownS ?? (ra !== null ? ra / 1000 : this.cfg.cooldownS);
    this.cooldownUntil[d] = Math.max(this.cooldownUntil[d], now + secs * 1000);
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
    maxAttempts: maxAttempts ?? Number.POSITIVE_INFINITY,
    onFailure: () => "next",
    finalError: (attempts) => r.finalError(attempts),
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
  return { policy: r, behaviour: litellmBehaviour(r, spec.router.max_attempts), warnings };
};

registerPolicyKind("litellm", build);
