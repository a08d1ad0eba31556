/**
 * Portkey gateway emulation (docs/gateways.md §2): a request walks the target tree. `loadbalance`
 * draws one target by weight and never fails over; `fallback` tries targets in order while the
 * previous target's final status is in `on_status_codes` (any non-2xx when absent); a leaf retries
 * the same target up to `attempts` extra times on its retry codes, waiting 1 s, 2 s, 4 s, … (no
 * jitter) or, for a 429 with `use_retry_after_header`, the Retry-After (≤ 60 s per request). There
 * is no cross-request health (the open-source gateway has none). The client gets the last status.
 */
import { configSource } from "../gateways/files.js";
import { isTerminal, lastStatusError, PlanBook } from "../gateways/plan.js";
import { loadPortkeyConfig, type PortkeyConfig, type PortkeyNode } from "../gateways/portkey-config.js";
import { type RetryAfter, retryAfterFor } from "../gateways/retryafter.js";
import { hashKey, Rng } from "../rng/rng.js";
import type { AttemptRecord, RoutedRequest } from "../types.js";
import { type BuiltPolicy, type PolicyFactory, registerPolicyKind } from "./registry.js";
import type { Decision, EndpointView, Policy } from "./types.js";

const MAX_RETRY_AFTER_MS = 60_000;

interface Step {
  endpoint: number;
  delayMs: number;
}

/** Per-request walk state shared by the leaves (Retry-After budget). */
interface Walk {
  retryAfterUsedMs: number;
  /** After a Retry-After wait the remaining backoff waits are 0 (async-retry patch). */
  zeroBackoff: boolean;
}

type Walker = Generator<Step, number, AttemptRecord>;

export class PortkeyRouter implements Policy {
  readonly plans = new PlanBook();
  private readonly walkers = new Map<number, Walker>();
  private readonly rng = new Rng(0);
  private readonly key: [number, number];

  constructor(
    readonly name: string,
    readonly cfg: PortkeyConfig,
    private readonly retryAfter: RetryAfter,
    seed: number,
  ) {
    this.key = hashKey([seed, "portkey"]);
  }

  private *walk(n: PortkeyNode, w: Walk): Walker {
    switch (n.kind) {
      case "loadbalance": {
        let total = 0;
        for (const x of n.weights) total += x;
        const u = this.rng.next() * total;
        let acc = 0;
        let k = n.targets.length - 1;
        for (let i = 0; i < n.targets.length; i++) {
          acc += n.weights[i];
          if (u < acc) {
            k = i;
            break;
          }
        }
        return yield* this.walk(n.targets[k], w);
      }
      case "fallback": {
        let status = 0;
        for (const t of n.targets) {
          status = yield* this.walk(t, w);
          if (n.onStatus !== null && !n.onStatus.has(status)) return status;
        }
        return status;
      }
      case "leaf": {
        let a = yield { endpoint: n.endpoint, delayMs: 0 };
        for (let retry = 1; retry <= n.retry.attempts && n.retry.codes.has(a.status); retry++) {
          let delay = w.zeroBackoff ? 0 : 1000 * 2 ** (retry - 1);
          const ra = n.retry.useRetryAfter && a.status === 429 ? this.retryAfter(a) : null;
          if (ra !== null) {
            if (ra >= MAX_RETRY_AFTER_MS || w.retryAfterUsedMs + ra > MAX_RETRY_AFTER_MS) return a.status;
            w.retryAfterUsedMs += ra;
            w.zeroBackoff = true;
            delay = ra;
          }
          a = yield { endpoint: n.endpoint, delayMs: delay };
        }
        return a.status;
      }
    }
  }

  route(req: RoutedRequest, _view: EndpointView, _rng: Rng): Decision {
    this.rng.reseed(this.key, req.id, 0);
    const g = this.walk(this.cfg.root, { retryAfterUsedMs: 0, zeroBackoff: false });
    const first = g.next();
    if (first.done) return { kind: "reject", status: 502, code: "provider_unavailable" }; // unreachable: a tree has leaves
    this.walkers.set(req.id, g);
    return this.plans.begin(req.id, first.value.endpoint, first.value.delayMs);
  }

  /** Drops a request the router stopped early (router.max_attempts). */
  abandon(requestId: number): void {
    this.walkers.delete(requestId);
    this.plans.close(requestId);
  }

  observe(a: AttemptRecord): void {
    const g = this.walkers.get(a.requestId);
    if (!g) return;
    if (isTerminal(a)) {
      this.walkers.delete(a.requestId);
      this.plans.close(a.requestId);
      return;
    }
    this.rng.reseed(this.key, a.requestId, a.attempt);
    const s = g.next(a);
    if (s.done) {
      this.walkers.delete(a.requestId);
      this.plans.close(a.requestId);
      return;
    }
    this.plans.extend(a.requestId, s.value.endpoint, s.value.delayMs);
  }
}

const build: PolicyFactory = (spec, ctx): BuiltPolicy => {
  const { file, data, base } = configSource(spec, ctx, "portkey");
  const models = ctx.scenario.traffic.model;
  const { config, warnings } = loadPortkeyConfig(data, ctx, file, base, spec.request.model ?? models);
  const r = new PortkeyRouter(spec.name, config, retryAfterFor(ctx.scenario), ctx.scenario.seed);
  return {
    policy: r,
    behaviour: {
      timeoutMs: config.timeoutMs ?? spec.router.timeout_ms,
      maxAttempts: spec.router.max_attempts ?? Number.POSITIVE_INFINITY,
      onFailure: () => "next",
      finalError: (attempts) => {
        if (attempts.length > 0) r.abandon(attempts[0].requestId);
        return lastStatusError(attempts);
      },
    },
    warnings,
  };
};

registerPolicyKind("portkey", build);
