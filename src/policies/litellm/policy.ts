/**
 * LiteLLM Router emulation (docs/gateways.md §1), modelled on router.py f292d1ae: the policy that
 * ties together its routing strategies (./strategy.ts), deployment cooldowns (./cooldown.ts), and
 * the retry and fallback plan of each request (./retry.ts); exception classes in ./errors.ts.
 *
 * A request is planned one step at a time (../gateway/plan.ts). A retry that follows a sleep is a
 * `DEFERRED` step: the strategy runs in `resolve()`, at the retry's real time, over the deployments
 * healthy then.
 */
import { hashKey, Rng } from "../../rng/rng.js";
import type { AttemptRecord, Endpoint, RoutedRequest } from "../../types.js";
import { errorType } from "../errors.js";
import { configSource } from "../gateway/files.js";
import { isTerminal, PlanBook } from "../gateway/plan.js";
import { type RetryAfter, retryAfterFor } from "../gateway/retryafter.js";
import type { BuiltPolicy, PolicyFactory } from "../kind.js";
import {
  DEFERRED,
  type Decision,
  type EndpointView,
  type FinalError,
  type Policy,
  type RouterBehaviour,
} from "../types.js";
import type { LiteConfig } from "./config.js";
import { LITELLM_VERSION, loadLitellmConfig } from "./config.js";
import { Cooldowns } from "./cooldown.js";
import { errorClass, type LiteError, NO_DEPLOYMENTS } from "./errors.js";
import { type RequestState, Retries } from "./retry.js";
import { Strategy } from "./strategy.js";

/** For run.json and the docs: the LiteLLM code this policy reproduces. */
export const LITELLM_MODELLED_VERSION = LITELLM_VERSION;

/** The router's mutable state; exposed for tests (cooldown timelines). */
export class LiteRouter implements Policy {
  readonly plans = new PlanBook();
  /** When each deployment's cooldown ends (see Cooldowns). */
  readonly cooldownUntil: Float64Array;
  /** Cooldown start times, for tests: [time, deployment index]. */
  readonly cooldowns: [number, number][];
  private readonly groups = new Map<string, number[]>();
  private readonly byModel = new Map<string, string | null>();
  private readonly states = new Map<number, RequestState>();
  private readonly finals = new Map<number, FinalError>();
  private readonly cooldown: Cooldowns;
  private readonly strategy: Strategy;
  private readonly retries: Retries;
  private readonly rng = new Rng(0);
  private readonly key: [number, number];

  constructor(
    readonly name: string,
    readonly cfg: LiteConfig,
    private readonly catalog: readonly Endpoint[],
    private readonly retryAfter: RetryAfter,
    streaming: boolean,
    seed: number,
  ) {
    cfg.deployments.forEach((d, i) => {
      const g = this.groups.get(d.group) ?? [];
      g.push(i);
      this.groups.set(d.group, g);
    });
    this.key = hashKey([seed, "litellm"]);
    this.cooldown = new Cooldowns(cfg, this.groups, retryAfter);
    this.cooldownUntil = this.cooldown.until;
    this.cooldowns = this.cooldown.log;
    this.strategy = new Strategy(cfg, catalog, this.groups, this.cooldown, streaming);
    this.retries = new Retries(cfg, catalog, this.groups, this.cooldown, this.strategy, this.rng, this.key);
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
    return this.cooldown.isCooledDown(d, now);
  }

  /** In-flight counts of a group's least-busy map, in map order (for tests). */
  inflightOf(group: string): [string, number][] {
    return this.strategy.inflightOf(group);
  }

  private started(st: RequestState, d: number, now: number): number {
    this.strategy.started(d, now);
    st.current = d;
    return this.cfg.deployments[d].endpoint;
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
    const s = this.retries.next(st, view.now, rng);
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
    const s = this.retries.next(st, view.now, this.rng);
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
    if (st.phase.kind === "first") this.retries.firstFailed(st, e, now);
    else this.retries.retryFailed(st, now);
    this.rng.reseed(this.key, a.requestId, ++st.draws);
    const s = this.retries.next(st, now, this.rng);
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
      if (st.current >= 0) this.strategy.ended(st.current);
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
    this.strategy.ended(d);
    if (a.status === 200) {
      this.cooldown.succeeded(d, now);
      this.strategy.succeeded(d, a, now);
      return;
    }
    if (a.error === "timeout") this.strategy.timedOut(d);
    this.cooldown.failed(d, a, now);
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
