/**
 * Classic load balancers (round robin, weighted random, least outstanding requests, power of two
 * choices, lowest observed latency, cheapest) plus an optional retry wrapper: max retries,
 * exponential backoff with full jitter, Retry-After honoured where known, and an optional retry
 * budget (retries ≤ a share of recent requests, as in Envoy/Finagle retry budgets).
 *
 * Each balancer picks one endpoint among `view.endpointsOf(model)`; retries pick again, preferring
 * endpoints this request has not tried yet.
 */
import { z } from "zod";
import { InputError } from "../errors.js";
import { MAX_ATTEMPTS } from "../limits.js";
import { hashKey, Rng } from "../rng/rng.js";
import type { AttemptRecord, Endpoint, PolicySpec, RoutedRequest } from "../types.js";
import { isTerminal, lastStatusError, PlanBook } from "./gateway/plan.js";
import { type RetryAfter, retryAfterFor } from "./gateway/retryafter.js";
import { type BuiltPolicy, type PolicyContext, type PolicyFactory, parseOptions } from "./kind.js";
import type { EndpointView, Policy } from "./types.js";

/** Picks one endpoint from a non-empty list. */
export interface Balancer {
  pick(eps: readonly Endpoint[], req: RoutedRequest, view: EndpointView, rng: Rng): Endpoint;
}

// Option schemas are built on first use: a run builds those of the kinds it runs, not all of them.
export const RetryOptions = z.lazy(() =>
  z.strictObject({
    max_retries: z.number().int().nonnegative().max(MAX_ATTEMPTS).default(2),
    base_ms: z.number().positive().default(25).describe("backoff base; retry n waits up to base·2^(n−1)"),
    max_ms: z.number().positive().default(250).describe("backoff cap"),
    jitter: z.enum(["full", "none"]).default("full").describe("full: uniform in [0, backoff]"),
    retry_after: z.boolean().default(true).describe("wait at least the Retry-After of a 429 when known"),
    retry_on: z
      .array(z.union([z.number().int().min(400).max(599), z.literal("5xx")]))
      .default([408, 429, "5xx"]),
    budget_percent: z
      .number()
      .min(0)
      .optional()
      .describe("retries in the trailing 10 s may not exceed this % of requests (plus min_retries_per_s)"),
    min_retries_per_s: z.number().nonnegative().default(10),
  }),
);
export type RetryOptions = z.infer<typeof RetryOptions>;

const BUDGET_WINDOW_MS = 10_000;

/** Counts requests and retries in 1-second buckets over the trailing 10 s. */
class RetryBudget {
  private readonly sec = new Float64Array(10).fill(-1);
  private readonly reqs = new Int32Array(10);
  private readonly retries = new Int32Array(10);
  constructor(
    private readonly percent: number,
    private readonly minPerS: number,
  ) {}
  private slot(now: number): number {
    const s = Math.floor(now / 1000);
    const i = s % 10;
    if (this.sec[i] !== s) {
      this.sec[i] = s;
      this.reqs[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }
  request(now: number): void {
    this.reqs[this.slot(now)]++;
  }
  /** Takes one retry from the budget if allowed. */
  tryRetry(now: number): boolean {
    this.slot(now);
    const s = Math.floor(now / 1000);
    let r = 0;
    let q = 0;
    for (let i = 0; i < 10; i++)
      if (this.sec[i] > s - 10) {
        r += this.retries[i];
        q += this.reqs[i];
      }
    if (r + 1 > (q * this.percent) / 100 + (this.minPerS * BUDGET_WINDOW_MS) / 1000) return false;
    this.retries[this.slot(now)]++;
    return true;
  }
}

/** Decides retries for classic balancers; owns the request plans. */
export class RetryDriver {
  private readonly plans = new PlanBook();
  private readonly rng: Rng;
  private readonly key: [number, number];
  private readonly budget: RetryBudget | null;
  private readonly codes: Set<number>;
  private readonly any5xx: boolean;

  constructor(
    readonly opts: RetryOptions,
    private readonly retryAfter: RetryAfter,
    seed: number,
  ) {
    this.rng = new Rng(0);
    // Keyed by purpose, not by policy name: renaming a policy must not change its draws (CRN).
    this.key = hashKey([seed, "retry"]);
    this.budget =
      opts.budget_percent !== undefined ? new RetryBudget(opts.budget_percent, opts.min_retries_per_s) : null;
    this.codes = new Set(opts.retry_on.filter((c): c is number => typeof c === "number"));
    this.any5xx = opts.retry_on.includes("5xx");
  }

  retryable(s: number): boolean {
    return this.codes.has(s) || (this.any5xx && s >= 500);
  }

  /** Backoff before retry n (1-based), with jitter drawn from `u` in [0, 1). */
  backoffMs(n: number, u: number): number {
    const cap = Math.min(this.opts.max_ms, this.opts.base_ms * 2 ** (n - 1));
    return this.opts.jitter === "full" ? u * cap : cap;
  }

  begin(reqId: number, endpoint: number, now: number) {
    this.budget?.request(now);
    return this.plans.begin(reqId, endpoint);
  }

  /** After a failed attempt: the next endpoint (picked by `pick`) and its delay, or nothing. */
  next(a: AttemptRecord, now: number, pick: (rng: Rng) => Endpoint | null): void {
    const id = a.requestId;
    if (!this.plans.isOpen(id)) return;
    if (isTerminal(a) || a.attempt > this.opts.max_retries || !this.retryable(a.status)) {
      this.plans.close(id);
      return;
    }
    if (this.budget && !this.budget.tryRetry(now)) {
      this.plans.close(id);
      return;
    }
    this.rng.reseed(this.key, id, a.attempt);
    let delay = this.backoffMs(a.attempt, this.rng.next());
    const ra = this.opts.retry_after ? this.retryAfter(a) : null;
    if (ra !== null) delay = Math.max(delay, ra);
    const e = pick(this.rng);
    if (!e) {
      this.plans.close(id);
      return;
    }
    this.plans.extend(id, e.id, delay);
  }

  isOpen(id: number): boolean {
    return this.plans.isOpen(id);
  }

  close(id: number): void {
    this.plans.close(id);
  }

  get openPlans(): number {
    return this.plans.size;
  }
}

function modelOf(req: RoutedRequest): string {
  return req.body.model ?? req.model;
}

/** Wraps a balancer as a policy, with the optional retry driver. */
export function balancedPolicy(
  name: string,
  b: Balancer,
  retry: RetryDriver | null,
): Policy & { abandon(requestId: number): void } {
  const open = new Map<number, { req: RoutedRequest; tried: Set<number> }>();
  return {
    name,
    /** Drops a request the router stopped early (router.max_attempts). */
    abandon(requestId) {
      open.delete(requestId);
      retry?.close(requestId);
    },
    route(req, view, rng) {
      const eps = view.endpointsOf(modelOf(req));
      if (eps.length === 0) return { kind: "reject", status: 404, code: "no_endpoints" };
      const e = b.pick(eps, req, view, rng);
      if (!retry || retry.opts.max_retries === 0) return { kind: "route", candidates: [e.id] };
      open.set(req.id, { req, tried: new Set([e.id]) });
      return retry.begin(req.id, e.id, view.now);
    },
    observe(a, view) {
      const st = open.get(a.requestId);
      if (!retry || !st) return;
      retry.next(a, view.now, (rng) => {
        const all = view.endpointsOf(modelOf(st.req));
        if (all.length === 0) return null;
        const fresh = all.filter((e) => !st.tried.has(e.id));
        const e = b.pick(fresh.length > 0 ? fresh : all, st.req, view, rng);
        st.tried.add(e.id);
        return e;
      });
      if (!retry.isOpen(a.requestId)) open.delete(a.requestId);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Balancers
// ---------------------------------------------------------------------------------------------

/** Uniform choice among the minima of `score` (ties at random). */
function argminRandom(eps: readonly Endpoint[], score: (e: Endpoint) => number, rng: Rng): Endpoint {
  let best = Number.POSITIVE_INFINITY;
  let n = 0;
  let pick = eps[0];
  for (const e of eps) {
    const s = score(e);
    if (s < best) {
      best = s;
      n = 1;
      pick = e;
    } else if (s === best) {
      // Reservoir sampling keeps each tied endpoint with probability 1/n.
      n++;
      if (rng.int(n) === 0) pick = e;
    }
  }
  return pick;
}

export function roundRobin(): Balancer {
  const next = new Map<string, number>();
  return {
    pick(eps, req) {
      const m = modelOf(req);
      const i = next.get(m) ?? 0;
      next.set(m, i + 1);
      return eps[i % eps.length];
    },
  };
}

export function weightedRandom(weights: ReadonlyMap<string, number>): Balancer {
  return {
    pick(eps, _req, _view, rng) {
      let total = 0;
      for (const e of eps) total += weights.get(e.tag) ?? 1;
      if (total <= 0) return eps[rng.int(eps.length)];
      const x = rng.next() * total;
      let acc = 0;
      for (const e of eps) {
        acc += weights.get(e.tag) ?? 1;
        if (x < acc) return e;
      }
      return eps[eps.length - 1];
    },
  };
}

export function leastOutstanding(): Balancer {
  return { pick: (eps, _req, view, rng) => argminRandom(eps, (e) => view.health.inflight(e.id), rng) };
}

/** Power of two choices: two distinct random endpoints, keep the better (first drawn on ties). */
export function powerOfTwo(by: "inflight" | "latency"): Balancer {
  return {
    pick(eps, _req, view, rng) {
      if (eps.length === 1) return eps[0];
      const i = rng.int(eps.length);
      let j = rng.int(eps.length - 1);
      if (j >= i) j++;
      const score = (e: Endpoint): number => {
        if (by === "inflight") return view.health.inflight(e.id);
        const l = view.health.ttftEwmaMs(e.id);
        return l === l ? l : 0; // never measured: looks fastest, so it gets explored
      };
      return score(eps[j]) < score(eps[i]) ? eps[j] : eps[i];
    },
  };
}

export function lowestLatency(): Balancer {
  return {
    pick: (eps, _req, view, rng) =>
      argminRandom(
        eps,
        (e) => {
          const l = view.health.ttftEwmaMs(e.id);
          return l === l ? l : Number.NEGATIVE_INFINITY; // unmeasured endpoints are tried first
        },
        rng,
      ),
  };
}

/** Cheapest for this request's token counts; ties go to the first in catalog order. */
export function cheapest(): Balancer {
  return {
    pick(eps, req) {
      let best = eps[0];
      let bestCost = Number.POSITIVE_INFINITY;
      for (const e of eps) {
        const p = e.price;
        const c =
          ((p.prompt * req.promptTokens + p.completion * req.completionTokens) / 1e6 + p.request) *
          (1 - p.discount);
        if (c < bestCost) {
          bestCost = c;
          best = e;
        }
      }
      return best;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------

export const CLASSIC_KINDS = [
  "round_robin",
  "weighted_random",
  "least_outstanding",
  "p2c",
  "lowest_latency",
  "cheapest",
] as const;
export type ClassicKind = (typeof CLASSIC_KINDS)[number];

const optionSchemas = new Map<ClassicKind, z.ZodType>();

function optionsSchema(kind: ClassicKind): z.ZodType {
  let schema = optionSchemas.get(kind);
  if (schema === undefined) {
    const withRetry = { retry: RetryOptions.optional() };
    schema =
      kind === "weighted_random"
        ? z.strictObject({
            weights: z
              .record(z.string(), z.number().nonnegative())
              .default({})
              .describe("endpoint tag → weight (default 1)"),
            ...withRetry,
          })
        : kind === "p2c"
          ? z.strictObject({ by: z.enum(["inflight", "latency"]).default("inflight"), ...withRetry })
          : z.strictObject({ ...withRetry });
    optionSchemas.set(kind, schema);
  }
  return schema;
}

function balancerFor(kind: ClassicKind, opts: Record<string, unknown>, ctx: PolicyContext): Balancer {
  switch (kind) {
    case "round_robin":
      return roundRobin();
    case "weighted_random": {
      const w = opts.weights as Record<string, number>;
      const tags = new Set(ctx.catalog.map((e) => e.tag));
      const bad = Object.keys(w).filter((t) => !tags.has(t));
      if (bad.length)
        throw new InputError(
          ctx.file,
          bad.map((t) => ({
            path: `${ctx.path}.options.weights.${t}`,
            message: `unknown endpoint tag "${t}"; expected one of ${[...tags].join(", ")}`,
          })),
        );
      return weightedRandom(new Map(Object.entries(w)));
    }
    case "least_outstanding":
      return leastOutstanding();
    case "p2c":
      return powerOfTwo(opts.by as "inflight" | "latency");
    case "lowest_latency":
      return lowestLatency();
    case "cheapest":
      return cheapest();
  }
}

/** Builds a classic policy (also used by the envoy wrapper). */
export function buildClassic(kind: ClassicKind, spec: PolicySpec, ctx: PolicyContext): BuiltPolicy {
  const opts = parseOptions(optionsSchema(kind), spec.options, ctx, "options") as Record<string, unknown> & {
    retry?: RetryOptions;
  };
  const b = balancerFor(kind, opts, ctx);
  const retry = opts.retry
    ? new RetryDriver(opts.retry, retryAfterFor(ctx.scenario), ctx.scenario.seed)
    : null;
  const policy = balancedPolicy(spec.name, b, retry);
  return {
    policy,
    behaviour: {
      timeoutMs: spec.router.timeout_ms,
      timeoutScope: {
        streaming: spec.router.timeout_measures ?? "first_token",
        nonStreaming: spec.router.timeout_measures ?? "first_token",
      },
      // A self-hosted balancer calls providers directly: they bill what they generated for it.
      billsAbandoned: true,
      maxAttempts: spec.router.max_attempts ?? Number.POSITIVE_INFINITY,
      onFailure: () => "next",
      finalError: (attempts) => {
        if (attempts.length > 0) policy.abandon(attempts[0].requestId);
        return lastStatusError(attempts);
      },
    },
    warnings: [],
  };
}

/** The classic balancers' factories, one per kind. */
export const classicKinds: Readonly<Record<string, PolicyFactory>> = Object.fromEntries(
  CLASSIC_KINDS.map((kind): [string, PolicyFactory] => [kind, (spec, ctx) => buildClassic(kind, spec, ctx)]),
);
