/**
 * Envoy outlier detection (docs/gateways.md §3) as a wrapper around a classic balancer or
 * openrouter: the wrapped balancer sees only the hosts the detector lets it use.
 *
 * Modelled on Envoy's `DetectorImpl` as of ENVOY_MODELLED_VERSION:
 * - consecutive_5xx / consecutive_gateway_failure / consecutive_local_origin_failure fire when a
 *   counter *reaches* its threshold (`++n == threshold`); the detection resets that counter whether
 *   or not the host is ejected; any non-5xx resets the 5xx and gateway counters.
 * - `ejectHost`: an ejection happens only if `100 × (ejected + 1) / hosts ≤ max_ejection_percent`,
 *   or, with `always_eject_one_host`, when nothing is ejected yet; then the `enforcing_*` draw.
 * - ejection lasts min(base × backoff, max_ejection_time) + jitter (uniform 0…max_jitter ms, drawn
 *   once per ejection); backoff grows by one per ejection while backoff × base < max + base, and
 *   shrinks by one at each sweep ≥ interval after the host's return while it stays in.
 * - sweeps every `interval` from t = 0: returns due hosts, then success-rate and failure-percentage
 *   ejection over the interval that just ended (per-interval counters), then the backoff decay.
 * - panic (LoadBalancerBase): with healthy weight × overprovisioning (140 %) below 100 % of the
 *   cluster and the healthy share below `healthy_panic_threshold`, the balancer sees every host.
 *
 * Results as the router reports them: a response is its status (429 and 4xx count as success); a
 * timeout is a locally originated timeout with code 504; a stream cut after 200 headers is a 200 and
 * then a reset (503); an empty 200 is a 200. Without `split_external_local_origin_errors` the local
 * ones are HTTP codes; with it they feed the local-origin counters, and every attempt's start is a
 * local-origin success (Envoy's pool-ready callback).
 */
import { z } from "zod";
import { InputError } from "../../errors.js";
import { hashKey, Rng } from "../../rng/rng.js";
import type { AttemptRecord, Endpoint, PolicySpec, RoutedRequest } from "../../types.js";
import { CLASSIC_KINDS } from "../classic.js";
import { configSource, parseConfig } from "../gateway/files.js";
import {
  type BuiltPolicy,
  type KindContext,
  type PolicyContext,
  type PolicyFactory,
  parseOptions,
  routerTimeoutWarning,
} from "../kind.js";
import { keepsRecords } from "../records.js";
import { DEFERRED, type Decision, type EndpointView, type Policy, type RouterBehaviour } from "../types.js";
import { loadEnvoyConfig } from "./config.js";
import { DetectorOptions, detectorObject } from "./options.js";

/** The Envoy whose behaviour this file follows (and the sources it was read from). */
export const ENVOY_MODELLED_VERSION =
  "Envoy 1.31+ (always_eject_one_host; outlier_detection_impl.cc @00c7146d, outlier_detection.proto @b62b88e0)";

export { DetectorOptions } from "./options.js";

/** The schemas of `kind: envoy`'s options, built on first use: most runs have no Envoy policy. */
function buildSchemas() {
  const Balancer = z.strictObject({
    kind: z.string(),
    options: z.record(z.string(), z.unknown()).default({}),
  });
  return {
    /** Inline `options` of `kind: envoy`. */
    EnvoyOptions: detectorObject().extend({
      balancer: Balancer.default({ kind: "round_robin", options: {} }),
      route_timeout_ms: z
        .number()
        .nonnegative()
        .default(15_000)
        .describe(
          "the route's timeout: the whole request, retries included, to the end of the response; 0 = none",
        ),
      per_try_timeout_ms: z
        .number()
        .positive()
        .optional()
        .describe("retry_policy.per_try_timeout: each attempt until its response headers; default none"),
    }),
    /** `options` next to `envoy: file`: which cluster of a bootstrap, and a balancer for a bare block. */
    FileOptions: z.strictObject({
      cluster: z.string().min(1).optional().describe("the cluster to import from a bootstrap with several"),
      balancer: Balancer.optional().describe("only for a file without lb_policy"),
    }),
  };
}
let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = (): ReturnType<typeof buildSchemas> => (built ??= buildSchemas());
export type EnvoyOptions = z.infer<ReturnType<typeof buildSchemas>["EnvoyOptions"]>;

/** Settings with every default resolved. */
export type DetectorSettings = Omit<DetectorOptions, "max_ejection_time_ms"> & {
  readonly max_ejection_time_ms: number;
};

/** Resolves `max_ejection_time` as Envoy does; `fail` reports a bad value (it must throw). */
export function resolveSettings(
  o: DetectorOptions,
  fail: (key: string, message: string) => never,
): DetectorSettings {
  const max = o.max_ejection_time_ms ?? Math.max(300_000, o.base_ejection_time_ms);
  if (max < o.base_ejection_time_ms)
    fail(
      "max_ejection_time_ms",
      "max_ejection_time cannot be smaller than base_ejection_time (Envoy rejects it)",
    );
  return { ...o, max_ejection_time_ms: max, healthy_panic_threshold: Math.round(o.healthy_panic_threshold) };
}

export type EjectionType =
  | "consecutive_5xx"
  | "consecutive_gateway_failure"
  | "consecutive_local_origin_failure"
  | "success_rate"
  | "success_rate_local_origin"
  | "failure_percentage"
  | "failure_percentage_local_origin";

const TYPES: readonly EjectionType[] = [
  "consecutive_5xx",
  "consecutive_gateway_failure",
  "consecutive_local_origin_failure",
  "success_rate",
  "success_rate_local_origin",
  "failure_percentage",
  "failure_percentage_local_origin",
];

/** An enforced ejection or a return to service. */
export type EjectionEvent =
  | { readonly t: number; readonly endpoint: number; readonly what: "eject"; readonly type: EjectionType }
  | { readonly t: number; readonly endpoint: number; readonly what: "return" };

/** Envoy's `outlier_detection.*` counters for one cluster. */
export interface DetectorStats {
  readonly detected: Record<EjectionType, number>;
  readonly enforced: Record<EjectionType, number>;
  /** Ejections refused by max_ejection_percent (`ejections_overflow`). */
  overflow: number;
}

interface Counts {
  total: number;
  ok: number;
}

interface Host {
  readonly e: Endpoint;
  readonly weight: number;
  c5xx: number;
  cGw: number;
  cLocal: number;
  ejected: boolean;
  ejectedAt: number;
  jitterMs: number;
  backoff: number;
  lastReturn: number;
  /** Success-rate counts of the interval in progress and of the one that just ended. */
  ext: Counts;
  extDone: Counts;
  local: Counts;
  localDone: Counts;
  /** Split mode: attempt starts still to happen (each is a local-origin success), ascending. */
  starts: number[];
}

type Monitor = "ext" | "local";

/** One cluster's detector: its hosts' counters and ejection state, swept lazily but exactly. */
export class OutlierDetector {
  readonly hosts: readonly Endpoint[];
  readonly events: EjectionEvent[] = [];
  readonly stats: DetectorStats = {
    detected: Object.fromEntries(TYPES.map((t) => [t, 0])) as Record<EjectionType, number>,
    enforced: Object.fromEntries(TYPES.map((t) => [t, 0])) as Record<EjectionType, number>,
    overflow: 0,
  };
  private readonly byId = new Map<number, Host>();
  private readonly list: Host[] = [];
  private readonly totalWeight: number;
  private ejectedCount = 0;
  /** Ejections and returns so far; `usable()` is recomputed only when this moves. */
  private changes = 0;
  private usableAt = -1;
  private usableSet: ReadonlySet<number> | null = null;
  /** Index of the last sweep run (sweep k happens at k × interval). */
  private sweepK = 0;
  private readonly rng = new Rng(0);
  private readonly attemptKey: [number, number];
  private readonly sweepKey: [number, number];

  constructor(
    readonly o: DetectorSettings,
    hosts: readonly Endpoint[],
    seed: number,
    weights?: ReadonlyMap<number, number>,
  ) {
    this.hosts = hosts;
    let w = 0;
    for (const e of hosts) {
      const h: Host = {
        e,
        weight: weights?.get(e.id) ?? 1,
        c5xx: 0,
        cGw: 0,
        cLocal: 0,
        ejected: false,
        ejectedAt: 0,
        jitterMs: 0,
        backoff: 0,
        lastReturn: Number.NaN,
        ext: { total: 0, ok: 0 },
        extDone: { total: 0, ok: 0 },
        local: { total: 0, ok: 0 },
        localDone: { total: 0, ok: 0 },
        starts: [],
      };
      this.byId.set(e.id, h);
      this.list.push(h);
      w += h.weight;
    }
    this.totalWeight = w;
    // Keyed by purpose and by request/attempt or sweep/host, never by policy name or call order:
    // renaming a policy or reordering unrelated traffic must not change these draws.
    this.attemptKey = hashKey([seed, "envoy", "attempt"]);
    this.sweepKey = hashKey([seed, "envoy", "sweep"]);
  }

  has(endpoint: number): boolean {
    return this.byId.has(endpoint);
  }

  isEjected(endpoint: number, now: number): boolean {
    this.advance(now);
    return this.byId.get(endpoint)?.ejected ?? false;
  }

  /** A host's backoff multiplier: while ejected, it is out for min(base × this, max) + jitter. */
  backoffOf(endpoint: number): number {
    return this.byId.get(endpoint)?.backoff ?? 0;
  }

  /** Split mode: an attempt on `endpoint` starts (its connection succeeds) at `at` ≥ now. */
  started(endpoint: number, at: number): void {
    const h = this.byId.get(endpoint);
    if (!h || !this.o.split_external_local_origin_errors) return;
    let i = h.starts.length;
    while (i > 0 && h.starts[i - 1] > at) i--;
    h.starts.splice(i, 0, at);
  }

  /** Runs every sweep due at or before `now`, with the attempt starts before each one. */
  advance(now: number): void {
    const iv = this.o.interval_ms;
    while ((this.sweepK + 1) * iv <= now) {
      const s = ++this.sweepK * iv;
      this.applyStarts(s);
      this.sweep(s, this.sweepK);
    }
    this.applyStarts(now);
  }

  private applyStarts(t: number): void {
    if (!this.o.split_external_local_origin_errors) return;
    for (const h of this.list) {
      let n = 0;
      while (n < h.starts.length && h.starts[n] <= t) n++;
      if (n === 0) continue;
      h.starts.splice(0, n);
      // Envoy's LocalOriginConnectSuccess: one local-origin success each, and the run is broken.
      h.local.total += n;
      h.local.ok += n;
      h.cLocal = 0;
    }
  }

  /** Learns from one finished attempt (ignored if its host is not in this cluster). */
  record(a: AttemptRecord, now: number): void {
    this.advance(now);
    const h = this.byId.get(a.endpoint.id);
    if (!h) return;
    const key = (type: number) => this.rng.reseed(this.attemptKey, a.requestId, a.attempt, type);
    switch (a.error) {
      case "timeout": // the router's per-try timeout: LocalOriginTimeout, code 504
        this.localFailure(h, 504, now, key);
        return;
      case "mid_stream": // 200 headers, then the stream reset: LocalOriginConnectFailed (503)
        this.http(h, 200, now, key);
        this.localFailure(h, 503, now, key);
        return;
      case "empty_response": // Envoy sees the 200; only the body is empty
        this.http(h, 200, now, key);
        return;
      default:
        this.http(h, a.status, now, key);
    }
  }

  private http(h: Host, code: number, now: number, key: (type: number) => void): void {
    h.ext.total++;
    if (code < 500 || code > 599) {
      h.ext.ok++;
      h.c5xx = 0;
      h.cGw = 0;
      return;
    }
    if (code === 502 || code === 503 || code === 504) {
      if (++h.cGw === this.o.consecutive_gateway_failure)
        this.consecutive(h, "consecutive_gateway_failure", now, key);
    } else h.cGw = 0;
    if (++h.c5xx === this.o.consecutive_5xx) this.consecutive(h, "consecutive_5xx", now, key);
  }

  private localFailure(h: Host, code: number, now: number, key: (type: number) => void): void {
    if (!this.o.split_external_local_origin_errors) {
      this.http(h, code, now, key);
      return;
    }
    h.local.total++;
    if (++h.cLocal === this.o.consecutive_local_origin_failure)
      this.consecutive(h, "consecutive_local_origin_failure", now, key);
  }

  /** `onConsecutiveErrorWorker`: an ejected host is left alone; otherwise detect, try, reset. */
  private consecutive(h: Host, type: EjectionType, now: number, key: (type: number) => void): void {
    if (h.ejected) return;
    this.stats.detected[type]++;
    key(TYPES.indexOf(type));
    this.eject(h, type, now);
    if (type === "consecutive_5xx") h.c5xx = 0;
    else if (type === "consecutive_gateway_failure") h.cGw = 0;
    else h.cLocal = 0;
  }

  private enforcing(type: EjectionType): number {
    const o = this.o;
    switch (type) {
      case "consecutive_5xx":
        return o.enforcing_consecutive_5xx;
      case "consecutive_gateway_failure":
        return o.enforcing_consecutive_gateway_failure;
      case "consecutive_local_origin_failure":
        return o.enforcing_consecutive_local_origin_failure;
      case "success_rate":
        return o.enforcing_success_rate;
      case "success_rate_local_origin":
        return o.enforcing_local_origin_success_rate;
      case "failure_percentage":
        return o.enforcing_failure_percentage;
      case "failure_percentage_local_origin":
        return o.enforcing_failure_percentage_local_origin;
    }
  }

  /** `DetectorImpl::ejectHost`; the caller has keyed `this.rng` for this decision. */
  private eject(h: Host, type: EjectionType, now: number): void {
    const o = this.o;
    const share = (100 * (this.ejectedCount + 1)) / this.list.length;
    const allowed = share <= o.max_ejection_percent || (o.always_eject_one_host && this.ejectedCount === 0);
    if (!allowed) {
      this.stats.overflow++;
      return;
    }
    const p = this.enforcing(type);
    if (p <= 0 || (p < 100 && this.rng.next() * 100 >= p)) return;
    this.stats.enforced[type]++;
    this.ejectedCount++;
    this.changes++;
    h.ejected = true;
    h.ejectedAt = now;
    h.jitterMs = o.max_ejection_time_jitter_ms > 0 ? this.rng.int(o.max_ejection_time_jitter_ms + 1) : 0;
    if (h.backoff * o.base_ejection_time_ms < o.max_ejection_time_ms + o.base_ejection_time_ms) h.backoff++;
    this.events.push({ t: now, endpoint: h.e.id, what: "eject", type });
  }

  /** How long a host ejected now stays out: min(base × backoff, max) + its jitter. */
  ejectionMs(endpoint: number): number {
    const h = this.byId.get(endpoint);
    if (!h) return 0;
    return Math.min(this.o.base_ejection_time_ms * h.backoff, this.o.max_ejection_time_ms) + h.jitterMs;
  }

  /** `onIntervalTimer` at time `s` (sweep number `k`). */
  private sweep(s: number, k: number): void {
    for (const h of this.list) {
      if (h.ejected && this.ejectionMs(h.e.id) <= s - h.ejectedAt) {
        h.ejected = false;
        this.ejectedCount--;
        this.changes++;
        h.c5xx = 0;
        h.cGw = 0;
        h.cLocal = 0;
        h.lastReturn = s;
        this.events.push({ t: s, endpoint: h.e.id, what: "return" });
      }
      // The interval that just ended becomes the one analysed; a new one starts empty.
      h.extDone = h.ext;
      h.ext = { total: 0, ok: 0 };
      h.localDone = h.local;
      h.local = { total: 0, ok: 0 };
    }
    this.statistical("ext", s, k);
    // Local-origin counts exist only in split mode (Envoy feeds that monitor nothing otherwise).
    if (this.o.split_external_local_origin_errors) this.statistical("local", s, k);
    for (const h of this.list)
      if (
        !h.ejected &&
        h.backoff > 0 &&
        h.lastReturn === h.lastReturn &&
        s - h.lastReturn >= this.o.interval_ms
      )
        h.backoff--;
  }

  /** `processSuccessRateEjections` for one monitor. */
  private statistical(m: Monitor, s: number, k: number): void {
    const o = this.o;
    const n = this.list.length;
    if (n < o.success_rate_minimum_hosts && n < o.failure_percentage_minimum_hosts) return;
    const sr: { h: Host; rate: number }[] = [];
    const fp: { h: Host; rate: number }[] = [];
    let sum = 0;
    for (const h of this.list) {
      if (h.ejected) continue;
      const c = m === "ext" ? h.extDone : h.localDone;
      if (c.total === 0) continue;
      const rate = (100 * c.ok) / c.total;
      if (c.total >= o.success_rate_request_volume) {
        sr.push({ h, rate });
        sum += rate;
      }
      if (c.total >= o.failure_percentage_request_volume) fp.push({ h, rate });
    }
    if (sr.length > 0 && sr.length >= o.success_rate_minimum_hosts) {
      const mean = sum / sr.length;
      let v = 0;
      for (const x of sr) v += (x.rate - mean) ** 2;
      const threshold = mean - (o.success_rate_stdev_factor / 1000) * Math.sqrt(v / sr.length);
      const type: EjectionType = m === "ext" ? "success_rate" : "success_rate_local_origin";
      for (const x of sr) if (x.rate < threshold) this.statisticalEject(x.h, type, s, k);
    }
    if (fp.length > 0 && fp.length >= o.failure_percentage_minimum_hosts) {
      const type: EjectionType = m === "ext" ? "failure_percentage" : "failure_percentage_local_origin";
      for (const x of fp)
        if (100 - x.rate >= o.failure_percentage_threshold) this.statisticalEject(x.h, type, s, k);
    }
  }

  private statisticalEject(h: Host, type: EjectionType, s: number, k: number): void {
    this.stats.detected[type]++;
    // Envoy would eject a host twice if success rate and failure percentage both enforced it in one
    // sweep (a debug assertion); once is what it means.
    if (h.ejected) return;
    this.rng.reseed(this.sweepKey, k, h.e.id, TYPES.indexOf(type));
    this.eject(h, type, s);
  }

  /**
   * The hosts the balancer may use now: all of them (`null`), the healthy ones, or none (every
   * host ejected and panic off: Envoy answers 503 "no healthy upstream").
   */
  usable(now: number): ReadonlySet<number> | null {
    this.advance(now);
    if (this.ejectedCount === 0) return null;
    if (this.usableAt === this.changes) return this.usableSet;
    this.usableAt = this.changes;
    this.usableSet = this.computeUsable();
    return this.usableSet;
  }

  private computeUsable(): ReadonlySet<number> | null {
    let healthyW = 0;
    const healthy = new Set<number>();
    for (const h of this.list)
      if (!h.ejected) {
        healthy.add(h.e.id);
        healthyW += h.weight;
      }
    const availability = Math.min(
      100,
      Math.floor((this.o.overprovisioning_factor * healthyW) / this.totalWeight),
    );
    const threshold = Math.min(100, this.o.healthy_panic_threshold);
    // LoadBalancerBase: never panic at full availability; otherwise panic below the threshold.
    const panic = availability < 100 && (100 * healthy.size) / this.list.length < threshold;
    return panic ? null : healthy;
  }
}

/** How hosts are grouped into clusters, each with its own detector. */
export type Clusters =
  /** Inline options: one cluster per model (the endpoints serving it). */
  | { readonly kind: "per_model"; readonly byModel: ReadonlyMap<string, OutlierDetector> }
  /** An imported Envoy cluster: fixed hosts, used for every request whatever its model. */
  | { readonly kind: "fixed"; readonly name: string; readonly detector: OutlierDetector };

/** Builds one detector per model served in the catalog. */
export function perModelClusters(catalog: readonly Endpoint[], o: DetectorSettings, seed: number): Clusters {
  const groups = new Map<string, Endpoint[]>();
  for (const e of catalog) {
    const g = groups.get(e.model);
    if (g) g.push(e);
    else groups.set(e.model, [e]);
  }
  const byModel = new Map<string, OutlierDetector>();
  for (const [m, eps] of groups) byModel.set(m, new OutlierDetector(o, eps, seed));
  return { kind: "per_model", byModel };
}

/** The Envoy wrapper: records every attempt, filters what the inner balancer sees. */
export class EnvoyPolicy implements Policy {
  readonly readsHealth: boolean | undefined;
  /** The inner balancer sees every record too. */
  readonly keepsRecords: boolean;
  /** Split mode only: open plans, to learn when each attempt starts. */
  private readonly plans = new Map<number, Decision & { kind: "route" }>();
  private base: EndpointView | null = null;
  private filtered: EndpointView | null = null;

  constructor(
    readonly name: string,
    readonly inner: Policy,
    readonly clusters: Clusters,
    private readonly split: boolean,
  ) {
    this.readsHealth = inner.readsHealth;
    this.keepsRecords = keepsRecords(inner);
    const resolve = inner.resolve;
    if (resolve)
      this.resolve = (id, view) => {
        const e = resolve.call(inner, id, this.viewOf(view));
        if (this.split) this.started(e, view.now, view);
        return e;
      };
  }

  /** Every detector, by cluster name (the model id, or the Envoy cluster's name). */
  get detectors(): ReadonlyMap<string, OutlierDetector> {
    const c = this.clusters;
    return c.kind === "fixed" ? new Map([[c.name, c.detector]]) : c.byModel;
  }

  private detectorOf(e: Endpoint): OutlierDetector | undefined {
    const c = this.clusters;
    if (c.kind === "fixed") return c.detector.has(e.id) ? c.detector : undefined;
    return c.byModel.get(e.model);
  }

  private allow(eps: readonly Endpoint[], now: number): readonly Endpoint[] {
    if (eps.length === 0) return eps;
    const c = this.clusters;
    if (c.kind === "fixed") {
      const ok = c.detector.usable(now);
      return ok === null ? c.detector.hosts : c.detector.hosts.filter((e) => ok.has(e.id));
    }
    let out: Endpoint[] | null = null;
    for (let i = 0; i < eps.length; i++) {
      const e = eps[i];
      const ok = c.byModel.get(e.model)?.usable(now) ?? null;
      if (ok !== null && !ok.has(e.id)) out ??= eps.slice(0, i);
      else out?.push(e);
    }
    return out ?? eps;
  }

  private viewOf(v: EndpointView): EndpointView {
    if (v !== this.base) {
      this.base = v;
      // An imported cluster serves every request (Envoy routes by route, not by model).
      const fixed = this.clusters.kind === "fixed" ? this.clusters.detector.hosts : null;
      this.filtered = {
        get now() {
          return v.now;
        },
        catalog: v.catalog,
        health: v.health,
        endpointsOf: (m) => this.allow(fixed ?? v.endpointsOf(m), v.now),
      };
    }
    return this.filtered!;
  }

  private started(endpoint: number, at: number, view: EndpointView): void {
    if (endpoint < 0) return;
    const e = view.catalog[endpoint];
    if (e) this.detectorOf(e)?.started(endpoint, at);
  }

  route(req: RoutedRequest, view: EndpointView, rng: Rng): Decision {
    const d = this.inner.route(req, this.viewOf(view), rng);
    if (d.kind === "reject") {
      // The cluster has hosts but none may be used: Envoy's local reply, no upstream call.
      if (d.code === "no_endpoints" && this.hasHosts(req.body.model ?? req.model, view))
        return { kind: "reject", status: 503, code: "no_healthy_upstream" };
      return d;
    }
    if (this.split) {
      this.plans.set(req.id, d);
      this.started(
        d.candidateAt ? d.candidateAt(0) : d.candidates[0],
        view.now + (d.delaysMs?.[0] ?? 0),
        view,
      );
    }
    return d;
  }

  private hasHosts(model: string, view: EndpointView): boolean {
    return this.clusters.kind === "fixed"
      ? this.clusters.detector.hosts.length > 0
      : view.endpointsOf(model).length > 0;
  }

  /** Present only when the inner policy plans deferred steps. */
  readonly resolve?: (requestId: number, view: EndpointView) => number;

  observe(a: AttemptRecord, view: EndpointView): void {
    this.detectorOf(a.endpoint)?.record(a, view.now);
    this.inner.observe?.(a, this.viewOf(view));
    if (!this.split) return;
    const d = this.plans.get(a.requestId);
    if (!d) return;
    const k = a.attempt;
    const next =
      a.status === 200 || a.error === "mid_stream"
        ? -1
        : d.candidateAt
          ? d.candidateAt(k)
          : (d.candidates[k] ?? -1);
    if (next < 0 && next !== DEFERRED) this.plans.delete(a.requestId);
    else if (next >= 0) this.started(next, view.now + (d.delaysMs?.[k] ?? 0), view);
  }

  settle(...args: Parameters<NonNullable<Policy["settle"]>>): void {
    this.inner.settle?.(...args);
  }

  enableExplain(): void {
    this.inner.enableExplain?.();
  }

  /** Forgets a request the router gave up on (split mode bookkeeping). */
  forget(requestId: number): void {
    this.plans.delete(requestId);
  }
}

const INNER_KINDS = new Set<string>([...CLASSIC_KINDS, "openrouter"]);

export function checkInnerKind(kind: string, ctx: PolicyContext, path: string): void {
  if (!INNER_KINDS.has(kind))
    throw new InputError(ctx.file, [
      {
        path,
        message: `expected one of ${[...INNER_KINDS].join(", ")} (ejection filters endpointsOf(); gateway kinds pick fixed deployments)`,
      },
    ]);
}

/** The version-dependent rule users trip over: small clusters under max_ejection_percent. */
function capWarnings(o: DetectorSettings, clusters: Clusters): string[] {
  if (o.always_eject_one_host) return [];
  const sizes =
    clusters.kind === "fixed"
      ? [[clusters.name, clusters.detector.hosts.length] as const]
      : [...clusters.byModel].map(([m, d]) => [m, d.hosts.length] as const);
  const blocked = sizes.filter(([, n]) => 100 / n > o.max_ejection_percent);
  if (blocked.length === 0) return [];
  const shown = blocked.slice(0, 3).map(([name, n]) => `${name}: ${n} host${n === 1 ? "" : "s"}`);
  if (blocked.length > 3) shown.push(`${blocked.length - 3} more`);
  const list = shown.join("; ");
  return [
    `max_ejection_percent ${o.max_ejection_percent}: ${ENVOY_MODELLED_VERSION.split(" (")[0]} never ejects a host of a cluster where one host is more than that (${list}); always_eject_one_host: true allows one. Envoy releases before mid-2023 ejected one host regardless`,
  ];
}

/** Wraps a built inner policy; the request's failure forgets its plan. */
export function wrapEnvoy(
  name: string,
  inner: BuiltPolicy,
  clusters: Clusters,
  settings: DetectorSettings,
  warnings: readonly string[],
): BuiltPolicy {
  const split = settings.split_external_local_origin_errors;
  const p = new EnvoyPolicy(name, inner.policy, clusters, split);
  // Envoy proxies to the providers itself: they bill what they generated for it.
  const b: RouterBehaviour = { ...inner.behaviour, billsAbandoned: true };
  return {
    policy: p,
    behaviour: split
      ? {
          ...b,
          finalError: (attempts, id) => {
            if (attempts.length > 0) p.forget(attempts[0].requestId);
            return b.finalError(attempts, id);
          },
        }
      : b,
    warnings: [...inner.warnings, ...warnings, ...capWarnings(settings, clusters)],
    models: ENVOY_MODELLED_VERSION,
  };
}

function buildFromFile(spec: PolicySpec, ctx: KindContext): BuiltPolicy {
  const fo = parseOptions(schemas().FileOptions, spec.options, ctx, "options");
  const { file, data } = configSource(spec, ctx, "envoy");
  const models = ctx.scenario.traffic.model;
  const imp = loadEnvoyConfig(data, ctx, file, { cluster: fo.cluster, model: spec.request.model ?? models });
  const settings = resolveSettings(parseConfig(DetectorOptions, imp.detector, file), (_k, message) => {
    throw new InputError(file, [{ path: imp.maxEjectionPath, message }]);
  });
  if (imp.balancer && fo.balancer)
    throw new InputError(ctx.file, [
      {
        path: `${ctx.path}.options.balancer`,
        message: `${file} sets the load balancer (${imp.balancerFrom})`,
      },
    ]);
  const balancer = imp.balancer ?? fo.balancer ?? { kind: "round_robin", options: {} };
  checkInnerKind(balancer.kind, ctx, `${ctx.path}.options.balancer.kind`);
  const inner = ctx.build(
    { ...spec, envoy: undefined, kind: balancer.kind, options: balancer.options },
    { ...ctx, path: `${ctx.path}.options.balancer` },
  );
  const clusters: Clusters = imp.cluster
    ? {
        kind: "fixed",
        name: imp.cluster.name,
        detector: new OutlierDetector(
          settings,
          imp.cluster.hosts.map((h) => h.endpoint),
          ctx.scenario.seed,
          new Map(imp.cluster.hosts.map((h) => [h.endpoint.id, h.weight])),
        ),
      }
    : perModelClusters(ctx.catalog, settings, ctx.scenario.seed);
  // Without a route in the file there is no route timeout to read: the balancer's timer stays.
  const built =
    imp.routeTimeoutMs !== null || imp.perTryTimeoutMs !== null
      ? {
          ...inner,
          behaviour: envoyTimers(
            inner.behaviour,
            imp.perTryTimeoutMs ??
              (imp.routeTimeoutMs !== null ? Number.POSITIVE_INFINITY : inner.behaviour.timeoutMs),
            imp.routeTimeoutMs ?? Number.POSITIVE_INFINITY,
          ),
        }
      : inner;
  return wrapEnvoy(spec.name, built, clusters, settings, imp.warnings);
}

/** `kind: envoy`: inline options (routesim units) or Envoy's own config file. */
export const envoyKind: PolicyFactory = (spec, ctx): BuiltPolicy => {
  if (spec.envoy !== undefined) return buildFromFile(spec, ctx);
  // Inline options are routesim-style (ms) Envoy settings; a file is Envoy's own YAML/JSON.
  const o = parseOptions(schemas().EnvoyOptions, spec.options, ctx, "options");
  checkInnerKind(o.balancer.kind, ctx, `${ctx.path}.options.balancer.kind`);
  const settings = resolveSettings(o, (key, message) => {
    throw new InputError(ctx.file, [{ path: `${ctx.path}.options.${key}`, message }]);
  });
  const inner = ctx.build(
    { ...spec, kind: o.balancer.kind, options: o.balancer.options },
    { ...ctx, path: `${ctx.path}.options.balancer` },
  );
  const clusters = perModelClusters(ctx.catalog, settings, ctx.scenario.seed);
  const timed = {
    ...inner,
    behaviour: envoyTimers(
      inner.behaviour,
      o.per_try_timeout_ms ?? Number.POSITIVE_INFINITY,
      o.route_timeout_ms === 0 ? Number.POSITIVE_INFINITY : o.route_timeout_ms,
    ),
  };
  const notes = routerTimeoutWarning(
    spec,
    "Envoy",
    "set options.per_try_timeout_ms and options.route_timeout_ms",
  );
  return wrapEnvoy(spec.name, timed, clusters, settings, notes);
};

/**
 * Envoy's two timers: retry_policy.per_try_timeout bounds an attempt until its response headers
 * (it is ignored once the response has started), and the route timeout bounds the whole request,
 * retries included, to the end of the response (504 when it fires).
 */
function envoyTimers(b: RouterBehaviour, perTryMs: number, routeMs: number): RouterBehaviour {
  return {
    ...b,
    timeoutMs: perTryMs,
    timeoutScope: { streaming: "headers", nonStreaming: "headers" },
    requestTimeoutMs: routeMs,
  };
}
