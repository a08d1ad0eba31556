/**
 * Portkey gateway emulation (docs/gateways.md §2): a request walks the target tree. `loadbalance`
 * draws one target by weight and never fails over (every weight 0: no target, HTTP 500);
 * `fallback` tries targets in order while the previous target's final status is in
 * `on_status_codes` (any non-2xx when absent); a leaf retries the same target up to `attempts`
 * extra times on its retry codes, waiting 1 s, 2 s, 4 s, … (no jitter). With
 * `use_retry_after_header` a 429's Retry-After is waited inside the attempt, final 429 included,
 * within a 60 s budget per target (src/handlers/retryHandler.ts with patches/async-retry). There
 * is no cross-request health (the open-source gateway has none). The client gets the last
 * target's final status.
 */
import { hashKey, Rng } from "../../rng/rng.js";
import type { AttemptRecord, RoutedRequest } from "../../types.js";
import { errorType } from "../errors.js";
import { configSource } from "../gateway/files.js";
import { gatewayFinalError, isTerminal, PlanBook } from "../gateway/plan.js";
import { type RetryAfter, retryAfterFor } from "../gateway/retryafter.js";
import { type BuiltPolicy, type PolicyFactory, routerTimeoutWarning } from "../kind.js";
import { DEFERRED, type Decision, type EndpointView, type Policy } from "../types.js";
import { loadPortkeyConfig, type PortkeyConfig, type PortkeyNode } from "./config.js";

/**
 * Which build of the gateway: from source, where `patches/async-retry+1.3.3.patch` hands the
 * retry operation to the attempt, or the npm package, which ships without that patch.
 */
export type PortkeyBuild = "source" | "npm";

export const PORTKEY_VERSIONS: Record<PortkeyBuild, string> = {
  source: "Portkey gateway 1.15.2 (source build, with patches/)",
  npm: "Portkey gateway 1.15.2 (npm package @portkey-ai/gateway, without patches/)",
};
export const PORTKEY_MODELLED_VERSION = PORTKEY_VERSIONS.source;

/** MAX_RETRY_LIMIT_MS in the gateway's globals.ts. */
const MAX_RETRY_LIMIT_MS = 60_000;

interface Step {
  endpoint: number;
  delayMs: number;
  /** The target's request_timeout (Infinity = no timer): each retry starts a fresh one. */
  timeoutMs: number;
}

/** What a target hands back: its final status, or null when it made no call (all weights 0). */
type Status = number | null;

/** A request's walk: the wait owed before whatever comes next (the final 429's Retry-After). */
interface Walk {
  owedMs: number;
}

type Walker = Generator<Step, Status, AttemptRecord>;

export class PortkeyRouter implements Policy {
  readonly plans = new PlanBook(Number.POSITIVE_INFINITY);
  private readonly walks = new Map<number, { g: Walker; w: Walk }>();
  /** Client status of requests whose walk ended, until the router asks for it (finalError). */
  private readonly ended = new Map<number, number>();
  private readonly rng = new Rng(0);
  private readonly key: [number, number];

  constructor(
    readonly name: string,
    readonly cfg: PortkeyConfig,
    private readonly retryAfter: RetryAfter,
    seed: number,
    readonly build: PortkeyBuild = "source",
  ) {
    this.key = hashKey([seed, "portkey"]);
  }

  private *walk(n: PortkeyNode, w: Walk): Walker {
    switch (n.kind) {
      case "loadbalance": {
        // The gateway's draw: subtract weights until the draw falls below one.
        let total = 0;
        for (const x of n.weights) total += x;
        let u = this.rng.next() * total;
        for (let i = 0; i < n.targets.length; i++) {
          if (u < n.weights[i]) return yield* this.walk(n.targets[i], w);
          u -= n.weights[i];
        }
        return null;
      }
      case "fallback": {
        let status: Status = null;
        for (const t of n.targets) {
          status = yield* this.walk(t, w);
          // No response (all weights 0) is not in any list, and not ok either.
          if (n.onStatus !== null ? status === null || !n.onStatus.has(status) : status === 200)
            return status;
        }
        return status;
      }
      case "leaf":
        return yield* this.leaf(n, w);
    }
  }

  /**
   * One `retryRequest` of the gateway: its Retry-After budget and its zeroed backoffs belong to
   * this target alone. async-retry waits 1 s · 2^(k−1) before retry k (node-retry, factor 2).
   */
  private *leaf(n: PortkeyNode & { kind: "leaf" }, w: Walk): Walker {
    const { attempts, codes, useRetryAfter } = n.retry;
    let budgetMs = MAX_RETRY_LIMIT_MS;
    let zeroBackoff = false;
    let delayMs = w.owedMs;
    w.owedMs = 0;
    const timeoutMs = n.timeoutMs ?? Number.POSITIVE_INFINITY;
    for (let k = 1; ; k++) {
      const a = yield { endpoint: n.endpoint, delayMs, timeoutMs };
      if (!codes.has(a.status)) return a.status; // success, or bail() on a status not retried
      let status = a.status;
      let waitMs = 0;
      let stop = false;
      const ra = useRetryAfter && a.status === 429 ? this.retryAfter(a) : null;
      if (ra !== null && ra > 0) {
        if (this.build === "npm") {
          // Unpatched async-retry passes no retry operation: setting its timeouts throws a
          // TypeError inside the attempt, so the normal backoff runs; a final one answers 500.
          status = 500;
        } else if (ra >= MAX_RETRY_LIMIT_MS || ra > budgetMs) {
          stop = true; // timeouts emptied, no wait: the 429 is returned
        } else {
          budgetMs -= ra;
          zeroBackoff = true;
          waitMs = ra; // waited before async-retry looks at the attempts left, so also after the last
        }
      }
      if (stop || k > attempts) {
        w.owedMs = waitMs;
        return status;
      }
      delayMs = waitMs + (zeroBackoff ? 0 : 1000 * 2 ** (k - 1));
    }
  }

  route(req: RoutedRequest, _view: EndpointView, _rng: Rng): Decision {
    this.rng.reseed(this.key, req.id, 0);
    const w: Walk = { owedMs: 0 };
    const g = this.walk(this.cfg.root, w);
    const first = g.next();
    // Only a loadbalance whose weights are all 0 ends a walk without a call: the gateway answers 500.
    if (first.done) return { kind: "reject", status: 500, code: errorType(500) };
    this.walks.set(req.id, { g, w });
    return this.plans.begin(req.id, first.value.endpoint, first.value.delayMs, first.value.timeoutMs);
  }

  observe(a: AttemptRecord): void {
    const s = this.walks.get(a.requestId);
    if (!s) return;
    if (isTerminal(a)) {
      this.walks.delete(a.requestId);
      this.plans.close(a.requestId);
      return;
    }
    this.rng.reseed(this.key, a.requestId, a.attempt);
    const next = s.g.next(a);
    if (!next.done) {
      this.plans.extend(a.requestId, next.value.endpoint, next.value.delayMs, next.value.timeoutMs);
      return;
    }
    this.walks.delete(a.requestId);
    this.ended.set(a.requestId, next.value ?? 500);
    // The final 429's Retry-After wait still holds the client: a step that calls no provider.
    if (s.w.owedMs > 0) this.plans.extend(a.requestId, DEFERRED, s.w.owedMs);
    this.plans.close(a.requestId);
  }

  /** The only deferred step is the wait after a final 429: it makes no provider call. */
  resolve(): number {
    return -1;
  }

  /** Drops a request the router stopped early (router.max_attempts). */
  abandon(requestId: number): void {
    this.walks.delete(requestId);
    this.ended.delete(requestId);
    this.plans.close(requestId);
  }

  /** The status the gateway answers a failed request with; undefined if its walk did not end. */
  takeStatus(requestId: number): number | undefined {
    const s = this.ended.get(requestId);
    this.ended.delete(requestId);
    return s;
  }
}

const build: PolicyFactory = (spec, ctx): BuiltPolicy => {
  const { file, data, base } = configSource(spec, ctx, "portkey");
  const models = ctx.scenario.traffic.model;
  const { config, warnings } = loadPortkeyConfig(data, ctx, file, base, spec.request.model ?? models);
  const b: PortkeyBuild = spec.portkey_build ?? "source";
  warnings.push(
    ...routerTimeoutWarning(spec, "Portkey", "the gateway's only timer is request_timeout in its config"),
  );
  const r = new PortkeyRouter(spec.name, config, retryAfterFor(ctx.scenario), ctx.scenario.seed, b);
  return {
    policy: r,
    behaviour: {
      // No request_timeout: the gateway sets no timer (router.timeout_ms does not apply). Each
      // target's own value rides on its plan steps; this one is the headline for reports.
      timeoutMs: config.timeoutMs ?? Number.POSITIVE_INFINITY,
      // The timer is cleared when fetch resolves: at the response headers (P-retry fetchWithTimeout).
      timeoutScope: { streaming: "headers", nonStreaming: "headers" },
      billsAbandoned: true,
      maxAttempts: spec.router.max_attempts ?? Number.POSITIVE_INFINITY,
      onFailure: () => "next",
      finalError: gatewayFinalError(r),
    },
    warnings,
    models: PORTKEY_VERSIONS[b],
  };
};

/** `kind: portkey`. */
export const portkeyKind: PolicyFactory = build;
