/**
 * nginx 1.22 as an upstream balancer (`kind: nginx`), as its code behaves:
 *
 * - ngx_http_upstream_round_robin.c: smooth weighted round robin over the primary servers
 *   (current_weight += effective_weight; the largest wins and loses the total), skipping servers
 *   that are `down`, already tried by this request, or failed `max_fails` times with the last
 *   failure less than `fail_timeout` ago (ngx_time(): whole seconds). A failure lowers the
 *   server's effective_weight by weight/max_fails; each pass over it raises it by 1. When no
 *   primary is left, the `backup` servers are balanced the same way; none → 502 ("no live
 *   upstreams"). A single primary server without backups is never marked failed and gets one try.
 * - ngx_http_upstream.c (ngx_http_upstream_test_next / _next): a response whose status is one of
 *   500 502 503 504 403 404 429 goes to the next server only when its `http_<code>` is listed in
 *   proxy_next_upstream, a try is left, proxy_next_upstream_timeout has not passed, and — the
 *   request (a POST) having been sent — `non_idempotent` is listed too. Otherwise that response
 *   is the client's, and it does not count as a failure. A read timeout is `timeout` (also after
 *   the request was sent, so POST needs `non_idempotent`); when nginx gives up on it the client
 *   gets 504; a 403/404 passed on is not a failure. Tries = min(proxy_next_upstream_tries, servers
 *   not down).
 *
 * Chat completions are POSTs: without `non_idempotent`, nginx passes a POST to the next server
 * only after connection errors, which simulated providers never produce.
 */
import { InputError } from "../../errors.js";
import type { Rng } from "../../rng/rng.js";
import type { AttemptRecord, RoutedRequest } from "../../types.js";
import { errorType } from "../errors.js";
import { configSource } from "../gateway/files.js";
import { gatewayFinalError, isTerminal, PlanBook } from "../gateway/plan.js";
import { type BuiltPolicy, measuresWarning, type PolicyFactory } from "../kind.js";
import type { Decision, EndpointView, Policy } from "../types.js";
import {
  loadNginxConfig,
  type NextCondition,
  NGINX_MODELLED_VERSION,
  type NginxConfig,
  type NginxServer,
} from "./config.js";

export { NGINX_MODELLED_VERSION };

/** One ngx_http_upstream_rr_peer_t. `checked`/`accessed` are ngx_time() seconds. */
interface Peer {
  readonly s: NginxServer;
  currentWeight: number;
  effectiveWeight: number;
  fails: number;
  accessed: number;
  checked: number;
}

/** A request's ngx_http_upstream_rr_peer_data_t plus the upstream's tries and start time. */
interface Req {
  set: Peer[];
  backup: boolean;
  tried: Set<Peer>;
  current: Peer;
  tries: number;
  startMs: number;
}

/** Statuses ngx_http_upstream_test_next looks at (ngx_http_upstream_next_errors). */
const NEXT_STATUSES = new Set([500, 502, 503, 504, 403, 404, 429]);

export class NginxRouter implements Policy {
  readonly readsHealth = false;
  readonly plans = new PlanBook();
  private readonly primary: Peer[];
  private readonly backups: Peer[];
  /** peers->single: one primary server and no backup. */
  private readonly single: boolean;
  private readonly maxTries: number;
  private readonly reqs = new Map<number, Req>();
  private readonly ended = new Map<number, number>();

  constructor(
    readonly name: string,
    readonly cfg: NginxConfig,
  ) {
    const peer = (s: NginxServer): Peer => ({
      s,
      currentWeight: 0,
      effectiveWeight: s.weight,
      fails: 0,
      // nginx starts from time 0, ages before any real clock: the first pick sets `checked`.
      accessed: Number.NEGATIVE_INFINITY,
      checked: Number.NEGATIVE_INFINITY,
    });
    this.primary = cfg.servers.filter((s) => !s.backup).map(peer);
    this.backups = cfg.servers.filter((s) => s.backup).map(peer);
    this.single = this.primary.length === 1 && this.backups.length === 0;
    const t = cfg.servers.filter((s) => !s.down).length;
    this.maxTries = cfg.tries > 0 ? Math.min(t, cfg.tries) : t;
  }

  /** Peer state for tests and explanations. */
  peers(): readonly Readonly<Peer>[] {
    return [...this.primary, ...this.backups];
  }

  /** ngx_http_upstream_get_peer: smooth weighted round robin over the untried, live peers. */
  private pick(r: Req, nowS: number): Peer | null {
    let best: Peer | null = null;
    let total = 0;
    for (const p of r.set) {
      if (r.tried.has(p) || p.s.down) continue;
      if (p.s.maxFails > 0 && p.fails >= p.s.maxFails && nowS - p.checked <= p.s.failTimeoutS) continue;
      p.currentWeight += p.effectiveWeight;
      total += p.effectiveWeight;
      if (p.effectiveWeight < p.s.weight) p.effectiveWeight++;
      if (best === null || p.currentWeight > best.currentWeight) best = p;
    }
    if (best === null) return null;
    r.tried.add(best);
    best.currentWeight -= total;
    if (nowS - best.checked > best.s.failTimeoutS) best.checked = nowS;
    return best;
  }

  /** ngx_http_upstream_get_round_robin_peer: the primary set, then (once) the backup set. */
  private getPeer(r: Req, nowMs: number): Peer | null {
    const nowS = Math.floor(nowMs / 1000);
    let p: Peer | null;
    if (this.single && !r.backup) p = r.current.s.down ? null : r.current;
    else p = this.pick(r, nowS);
    if (p === null && !r.backup && this.backups.length > 0) {
      r.set = this.backups;
      r.backup = true;
      r.tried = new Set();
      p = this.pick(r, nowS);
    }
    if (p !== null) r.current = p;
    return p;
  }

  /** ngx_http_upstream_free_round_robin_peer. */
  private free(r: Req, failed: boolean, nowMs: number): void {
    const p = r.current;
    if (this.single && !r.backup) {
      r.tries = 0;
      return;
    }
    if (failed) {
      const nowS = Math.floor(nowMs / 1000);
      p.fails++;
      p.accessed = nowS;
      p.checked = nowS;
      if (p.s.maxFails > 0) p.effectiveWeight -= Math.floor(p.s.weight / p.s.maxFails);
      if (p.effectiveWeight < 0) p.effectiveWeight = 0;
    } else if (p.accessed < p.checked) p.fails = 0;
    if (r.tries > 0) r.tries--;
  }

  route(req: RoutedRequest, view: EndpointView, _rng: Rng): Decision {
    const r: Req = {
      set: this.primary,
      backup: false,
      tried: new Set(),
      current: this.primary[0],
      tries: this.maxTries,
      startMs: view.now,
    };
    const p = this.getPeer(r, view.now);
    // "no live upstreams": NGX_BUSY → ngx_http_upstream_next(FT_NOLIVE) → 502 without a call.
    if (p === null) return { kind: "reject", status: 502, code: errorType(502) };
    this.reqs.set(req.id, r);
    return this.plans.begin(req.id, p.s.endpoint);
  }

  private end(id: number, status: number | null): void {
    this.reqs.delete(id);
    if (status !== null) this.ended.set(id, status);
    this.plans.close(id);
  }

  observe(a: AttemptRecord, view: EndpointView): void {
    const r = this.reqs.get(a.requestId);
    if (!r) return;
    const now = view.now;
    // A served or committed stream (a cut after headers, a read timeout mid-stream) is finalized
    // with the peer freed as a success: nginx marks failures only in ngx_http_upstream_next.
    if (isTerminal(a)) {
      this.free(r, false, now);
      this.end(a.requestId, null);
      return;
    }
    const timedOut = a.status === 408 && a.error === "timeout";
    const timeLeft = !(
      this.cfg.nextUpstreamTimeoutMs > 0 && now - r.startMs >= this.cfg.nextUpstreamTimeoutMs
    );
    // The request (a POST) was sent in every simulated failure: a response came, or a read timed out.
    const allowed = (c: NextCondition) =>
      this.cfg.nextUpstream.has(c) && this.cfg.nextUpstream.has("non_idempotent");
    if (!timedOut) {
      // ngx_http_upstream_test_next: only listed statuses, with a try left, go on.
      const cond = `http_${a.status}` as NextCondition;
      if (!(NEXT_STATUSES.has(a.status) && r.tries > 1 && allowed(cond) && timeLeft)) {
        this.free(r, false, now);
        this.end(a.requestId, a.status);
        return;
      }
    }
    // ngx_http_upstream_next: 403/404 are NGX_PEER_NEXT, everything else NGX_PEER_FAILED.
    this.free(r, !(a.status === 403 || a.status === 404), now);
    const status = timedOut ? 504 : a.status;
    if (
      r.tries === 0 ||
      !allowed(timedOut ? "timeout" : (`http_${a.status}` as NextCondition)) ||
      !timeLeft
    ) {
      this.end(a.requestId, status);
      return;
    }
    const p = this.getPeer(r, now);
    if (p === null) {
      this.end(a.requestId, 502); // no live upstreams
      return;
    }
    this.plans.extend(a.requestId, p.s.endpoint, 0);
  }

  /** The status nginx answers a failed request with; undefined if the request did not end here. */
  takeStatus(requestId: number): number | undefined {
    const s = this.ended.get(requestId);
    this.ended.delete(requestId);
    return s;
  }

  /** Drops a request the router stopped early (router.max_attempts). */
  abandon(requestId: number): void {
    this.reqs.delete(requestId);
    this.ended.delete(requestId);
    this.plans.close(requestId);
  }
}

const build: PolicyFactory = (spec, ctx): BuiltPolicy => {
  const src = configSource(spec, ctx, "nginx");
  let text: string;
  let base = src.base;
  if (typeof src.data === "string") text = src.data;
  else {
    const inline = (src.data as Record<string, unknown>).config;
    if (typeof inline !== "string")
      throw new InputError(ctx.file, [
        { path: `${ctx.path}.options.config`, message: "expected nginx.conf text (or `nginx: <file>`)" },
      ]);
    for (const k of Object.keys(src.data as object))
      if (k !== "config")
        throw new InputError(ctx.file, [
          { path: `${ctx.path}.options.${k}`, message: "unknown option; expected config" },
        ]);
    text = inline;
    base = `${ctx.path}.options.config`;
  }
  const { config, warnings } = loadNginxConfig(
    text,
    ctx,
    src.file,
    base,
    spec.request.model ?? ctx.scenario.traffic.model,
  );
  if (spec.router.timeout_ms !== 60_000)
    warnings.push(
      `router.timeout_ms (${spec.router.timeout_ms} ms) does not apply to nginx policies: the timer is proxy_read_timeout`,
    );
  warnings.push(...measuresWarning(spec, "nginx's proxy_read_timeout measures the time between two reads"));
  const r = new NginxRouter(spec.name, config);
  return {
    policy: r,
    behaviour: {
      timeoutMs: config.readTimeoutMs,
      // proxy_read_timeout runs between two reads: a plain response (sent whole) until its end, a
      // stream until its headers and first event (the gaps after that are not modelled).
      timeoutScope: { streaming: "first_token", nonStreaming: "response" },
      billsAbandoned: true,
      maxAttempts: spec.router.max_attempts ?? Number.POSITIVE_INFINITY,
      onFailure: () => "next",
      finalError: gatewayFinalError(r),
    },
    warnings,
    models: NGINX_MODELLED_VERSION,
  };
};

/** `kind: nginx`. */
export const nginxKind: PolicyFactory = build;
