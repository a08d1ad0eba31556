/** Small hand-driven worlds for gateway policy tests: a catalog, a fake health view, and a driver that plays the router's part. */
import { buildPolicy, type PolicyContext } from "../../src/policies/registry.js";
import {
  DEFERRED,
  type Decision,
  type EndpointView,
  type FinalError,
  type HealthView,
  type Policy,
  type RouterBehaviour,
} from "../../src/policies/types.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import { Rng } from "../../src/rng/rng.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import type { AttemptError, AttemptRecord, Endpoint, RoutedRequest } from "../../src/types.js";

export const M = "meta-llama/llama-3.3-70b-instruct";

export interface P {
  name: string;
  model?: string;
  prompt?: number;
  rpm?: number;
  context?: number;
}

export function world(providers: P[], baseDir = process.cwd()) {
  const loaded = scenarioFromObject(
    {
      name: "t",
      traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 10, model: M },
      providers: providers.map((p) => ({
        name: p.name,
        model: p.model ?? M,
        price: { prompt: p.prompt ?? 1, completion: 1 },
        rate_limit: p.rpm ?? null,
        ...(p.context ? { context_length: p.context } : {}),
      })),
      policies: [{ name: "x" }],
    },
    {},
    baseDir,
  );
  const catalog = buildCatalog(loaded.scenario.providers);
  const ctx: PolicyContext = {
    catalog,
    scenario: loaded.scenario,
    baseDir,
    file: "<inline>",
    path: "policies[0]",
  };
  return { catalog, ctx, scenario: loaded.scenario };
}

export class FakeHealth implements HealthView {
  readonly inflightN = new Map<number, number>();
  readonly ewma = new Map<number, number>();
  lastFailureMs = () => Number.NEGATIVE_INFINITY;
  failuresSince = () => 0;
  lastRateLimitedMs = () => Number.NEGATIVE_INFINITY;
  window = () => ({ successes: 0, errors: 0, rateLimited: 0 });
  inflight = (e: number) => this.inflightN.get(e) ?? 0;
  ttftEwmaMs = (e: number) => this.ewma.get(e) ?? Number.NaN;
}

export class Clock implements EndpointView {
  now = 0;
  readonly health = new FakeHealth();
  constructor(readonly catalog: readonly Endpoint[]) {}
  endpointsOf = (m: string) => this.catalog.filter((e) => e.model === m);
}

export function request(
  id: number,
  opts: { model?: string; prompt?: number; completion?: number } = {},
): RoutedRequest {
  const model = opts.model ?? M;
  return {
    id,
    arrivalMs: 0,
    promptTokens: opts.prompt ?? 100,
    completionTokens: opts.completion ?? 100,
    model,
    body: { model },
  };
}

export type Out = number | { status: number; error?: AttemptError; ms?: number; ttftMs?: number };

/** One attempt with a scripted outcome, starting now; the clock moves to its end (100 ms by default). */
function playAttempt(
  policy: Policy,
  view: Clock,
  req: RoutedRequest,
  attempt: number,
  endpoint: Endpoint,
  o: Out,
): AttemptRecord {
  const status = typeof o === "number" ? o : o.status;
  const error: AttemptError =
    typeof o === "object" && o.error
      ? o.error
      : status === 200
        ? "none"
        : status === 429
          ? "rate_limited"
          : "error";
  const ms = typeof o === "object" && o.ms !== undefined ? o.ms : 100;
  const startMs = view.now;
  view.now += ms;
  return {
    policy: policy.name,
    requestId: req.id,
    attempt,
    endpoint,
    startMs,
    endMs: view.now,
    ttftMs:
      status === 200 ? (typeof o === "object" && o.ttftMs !== undefined ? o.ttftMs : ms / 2) : Number.NaN,
    status,
    error,
    promptTokens: req.promptTokens,
    completionTokens: status === 200 ? req.completionTokens : 0,
    costUsd: 0,
  };
}

/** Plays the router: runs the decision's candidates (re-read after each observe) with the given outcomes. */
export function drive(
  policy: Policy,
  view: Clock,
  req: RoutedRequest,
  outcomes: Out[],
  rng = new Rng(1, req.id),
) {
  const d: Decision = policy.route(req, view, rng);
  const tried: string[] = [];
  const delays: number[] = [];
  const attempts: AttemptRecord[] = [];
  if (d.kind === "reject") return { d, tried, delays, attempts };
  let i = 0;
  while (i < d.candidates.length && i < outcomes.length) {
    const e = view.catalog[d.candidates[i]];
    const delay = d.delaysMs?.[i] ?? 0;
    delays.push(delay);
    view.now += delay;
    const a = playAttempt(policy, view, req, i + 1, e, outcomes[i]);
    attempts.push(a);
    tried.push(e.tag);
    policy.observe?.(a, view);
    i++;
    if (a.status === 200 || a.error === "mid_stream") break;
  }
  return { d, tried, delays, attempts, pending: d.candidates.length > i };
}

export function build(ctx: PolicyContext, spec: Record<string, unknown>) {
  const s = {
    name: "p",
    kind: "openrouter",
    request: {},
    openrouter: {},
    router: { timeout_ms: 60_000, max_attempts: null },
    options: {},
    ...spec,
  };
  return buildPolicy(s as Parameters<typeof buildPolicy>[0], ctx);
}

/** Occurrences of each string. */
export function count(xs: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const x of xs) c[x] = (c[x] ?? 0) + 1;
  return c;
}

/** One plan step as the router ran it: its delay, and the endpoint called (null: no provider call). */
export interface PlanStep {
  delayMs: number;
  tag: string | null;
}

/**
 * Plays the router for a policy with `DEFERRED` steps (LiteLLM): waits each step's delay, asks
 * `policy.resolve` for deferred steps (-1 = no provider call, go on), runs provider calls with the
 * given outcomes, and ends a failed request with `behaviour.finalError` as the router does.
 * `pending` is true when the outcomes ran out while the plan still had a call to make.
 */
export function drivePlan(
  built: { policy: Policy; behaviour: RouterBehaviour },
  view: Clock,
  req: RoutedRequest,
  outcomes: Out[],
  rng = new Rng(1, req.id),
) {
  const { policy, behaviour } = built;
  const d: Decision = policy.route(req, view, rng);
  const tried: string[] = [];
  const steps: PlanStep[] = [];
  const attempts: AttemptRecord[] = [];
  const start = view.now;
  if (d.kind === "reject")
    return { d, tried, steps, attempts, pending: false, final: { status: d.status, code: d.code }, ms: 0 };
  let i = 0;
  let pending = false;
  let done = false;
  while (i < d.candidates.length) {
    const delay = d.delaysMs?.[i] ?? 0;
    view.now += delay;
    let c = d.candidates[i++];
    if (c === DEFERRED) c = policy.resolve!(req.id, view);
    if (c < 0) {
      steps.push({ delayMs: delay, tag: null });
      continue;
    }
    const o = outcomes[attempts.length];
    if (o === undefined) {
      pending = true;
      break;
    }
    const e = view.catalog[c];
    const a = playAttempt(policy, view, req, attempts.length + 1, e, o);
    attempts.push(a);
    tried.push(e.tag);
    steps.push({ delayMs: delay, tag: e.tag });
    policy.observe?.(a, view);
    if (a.status === 200 || a.error === "mid_stream") {
      done = true;
      break;
    }
  }
  const final: FinalError | null = done || pending ? null : behaviour.finalError(attempts, req.id);
  return { d, tried, steps, attempts, pending, final, ms: view.now - start };
}

/** A LiteLLM deployment for `liteWorld`: one `model_list` entry. */
export interface LiteDep {
  group?: string;
  model: string;
  id?: string;
  weight?: number;
  rpm?: number;
  tpm?: number;
  cooldown_time?: number;
  order?: number;
}

/** A world with a LiteLLM policy built from inline deployments and router_settings. */
export function liteWorld(providers: P[], deps: LiteDep[], router: Record<string, unknown> = {}) {
  const w = world(providers);
  const model_list = deps.map((d) => ({
    model_name: d.group ?? "g",
    litellm_params: {
      model: d.model,
      ...(d.weight !== undefined ? { weight: d.weight } : {}),
      ...(d.rpm !== undefined ? { rpm: d.rpm } : {}),
      ...(d.tpm !== undefined ? { tpm: d.tpm } : {}),
      ...(d.cooldown_time !== undefined ? { cooldown_time: d.cooldown_time } : {}),
      ...(d.order !== undefined ? { order: d.order } : {}),
    },
    ...(d.id ? { model_info: { id: d.id } } : {}),
  }));
  const b = build(w.ctx, { kind: "litellm", options: { model_list, router_settings: router } });
  return { ...w, b, v: new Clock(w.catalog) };
}
