/**
 * Envoy-style outlier ejection as a wrapper around another balancer (a classic kind or openrouter).
 *
 * Semantics follow Envoy's outlier detection (envoyproxy.io, config.cluster.v3.OutlierDetection and
 * the arch overview): `consecutive_5xx` (default 5) and `consecutive_gateway_failure` (502/503/504,
 * default 5, enforced 0 % by default) counted per host; any other response resets them; an
 * ejection lasts base_ejection_time × (times ejected), capped at max(base, max_ejection_time); hosts
 * return at the first interval sweep after that; at each sweep a host that is not ejected has its
 * multiplier decremented; at most `max_ejection_percent` of a cluster is ejected, but the first
 * ejection always happens; when the healthy share falls below `healthy_panic_threshold` the
 * balancer sees every host (panic). A cluster is the set of endpoints serving one model. Timeouts
 * (408 from the router's per-attempt limit) count as 504, as Envoy's upstream timeout does.
 */
import { z } from "zod";
import { Rng } from "../rng/rng.js";
import { InputError } from "../scenario/errors.js";
import type { AttemptRecord, Endpoint } from "../types.js";
import { CLASSIC_KINDS } from "./classic.js";
import { type BuiltPolicy, buildPolicy, parseOptions, registerPolicyKind } from "./registry.js";
import type { EndpointView, Policy } from "./types.js";

const pct = z.number().min(0).max(100);
export const EnvoyOptions = z.strictObject({
  balancer: z
    .strictObject({ kind: z.string(), options: z.record(z.string(), z.unknown()).default({}) })
    .default({ kind: "round_robin", options: {} }),
  consecutive_5xx: z.number().int().positive().default(5),
  enforcing_consecutive_5xx: pct.default(100),
  consecutive_gateway_failure: z.number().int().positive().default(5),
  enforcing_consecutive_gateway_failure: pct.default(0),
  interval_ms: z.number().positive().default(10_000),
  base_ejection_time_ms: z.number().positive().default(30_000),
  max_ejection_time_ms: z.number().positive().default(300_000),
  max_ejection_percent: pct.default(10),
  healthy_panic_threshold: pct.default(50),
});
export type EnvoyOptions = z.infer<typeof EnvoyOptions>;

interface HostState {
  c5xx: number;
  cGw: number;
  ejected: boolean;
  ejectedAt: number;
  multiplier: number;
}

/** Per-host ejection state with lazily evaluated interval sweeps. */
export class OutlierDetector {
  private readonly hosts = new Map<number, HostState>();
  private lastSweep = 0;
  private readonly rng: Rng;
  /** Ejection events (time, endpoint id, "eject" | "return"), for tests and debugging. */
  readonly events: { t: number; endpoint: number; what: "eject" | "return" }[] = [];

  constructor(
    readonly o: EnvoyOptions,
    seed: number,
  ) {
    // Keyed by purpose, not by policy name: renaming a policy must not change its draws (CRN).
    this.rng = new Rng(seed, "envoy");
  }

  private state(e: number): HostState {
    let s = this.hosts.get(e);
    if (!s) {
      s = { c5xx: 0, cGw: 0, ejected: false, ejectedAt: 0, multiplier: 0 };
      this.hosts.set(e, s);
    }
    return s;
  }

  isEjected(e: number, now: number): boolean {
    this.sweep(now);
    return this.hosts.get(e)?.ejected ?? false;
  }

  ejectionMs(multiplier: number): number {
    return Math.min(
      this.o.base_ejection_time_ms * multiplier,
      Math.max(this.o.base_ejection_time_ms, this.o.max_ejection_time_ms),
    );
  }

  /** Runs every interval sweep due at or before `now`. */
  sweep(now: number): void {
    const iv = this.o.interval_ms;
    for (let s = (Math.floor(this.lastSweep / iv) + 1) * iv; s <= now; s += iv) {
      for (const [e, h] of this.hosts) {
        if (h.ejected) {
          if (s >= h.ejectedAt + this.ejectionMs(h.multiplier)) {
            h.ejected = false;
            this.events.push({ t: s, endpoint: e, what: "return" });
          }
        } else if (h.multiplier > 0) h.multiplier--;
      }
      this.lastSweep = s;
    }
  }

  /** Learns from one attempt on a host of `cluster`. */
  record(a: AttemptRecord, cluster: readonly Endpoint[], now: number): void {
    this.sweep(now);
    const h = this.state(a.endpoint.id);
    if (h.ejected) return;
    const timeout = a.error === "timeout";
    const is5xx = a.status >= 500 || timeout;
    const isGw = timeout || a.status === 502 || a.status === 503 || a.status === 504;
    if (!is5xx) {
      h.c5xx = 0;
      h.cGw = 0;
      return;
    }
    h.c5xx++;
    h.cGw = isGw ? h.cGw + 1 : 0;
    const o = this.o;
    let fire = false;
    if (h.cGw >= o.consecutive_gateway_failure && this.enforce(o.enforcing_consecutive_gateway_failure))
      fire = true;
    if (!fire && h.c5xx >= o.consecutive_5xx && this.enforce(o.enforcing_consecutive_5xx)) fire = true;
    if (fire && this.tryEject(a.endpoint.id, h, cluster, now)) {
      h.c5xx = 0;
      h.cGw = 0;
    }
  }

  private enforce(percent: number): boolean {
    if (percent >= 100) return true;
    if (percent <= 0) return false;
    return this.rng.next() * 100 < percent;
  }

  private tryEject(e: number, h: HostState, cluster: readonly Endpoint[], now: number): boolean {
    let ejected = 0;
    for (const x of cluster) if (this.hosts.get(x.id)?.ejected) ejected++;
    // The first ejection always happens; further ones only below max_ejection_percent.
    if (ejected > 0 && (100 * ejected) / cluster.length >= this.o.max_ejection_percent) return false;
    h.ejected = true;
    h.ejectedAt = now;
    h.multiplier++;
    this.events.push({ t: now, endpoint: e, what: "eject" });
    return true;
  }

  /** Hosts the balancer may use: the non-ejected ones, or all of them in panic. */
  usable(cluster: readonly Endpoint[], now: number): readonly Endpoint[] {
    this.sweep(now);
    if (cluster.length === 0) return cluster;
    const healthy = cluster.filter((e) => !this.hosts.get(e.id)?.ejected);
    if ((100 * healthy.length) / cluster.length < this.o.healthy_panic_threshold) return cluster;
    return healthy;
  }
}

/** Wraps `inner`: it sees only usable hosts through `endpointsOf`. */
export function envoyPolicy(name: string, inner: Policy, det: OutlierDetector): Policy {
  let base: EndpointView | null = null;
  let filtered: EndpointView | null = null;
  const viewOf = (v: EndpointView): EndpointView => {
    if (v !== base) {
      base = v;
      filtered = {
        get now() {
          return v.now;
        },
        catalog: v.catalog,
        health: v.health,
        endpointsOf: (m) => det.usable(v.endpointsOf(m), v.now),
      };
    }
    return filtered!;
  };
  return {
    name,
    route: (req, view, rng) => inner.route(req, viewOf(view), rng),
    observe(a, view) {
      det.record(a, view.endpointsOf(a.endpoint.model), view.now);
      inner.observe?.(a, viewOf(view));
    },
  };
}

const INNER_KINDS = new Set<string>([...CLASSIC_KINDS, "openrouter"]);

registerPolicyKind("envoy", (spec, ctx): BuiltPolicy => {
  const o = parseOptions(EnvoyOptions, spec.options, ctx, "options");
  if (!INNER_KINDS.has(o.balancer.kind))
    throw new InputError(ctx.file, [
      {
        path: `${ctx.path}.options.balancer.kind`,
        message: `expected one of ${[...INNER_KINDS].join(", ")} (ejection filters endpointsOf(); gateway kinds pick fixed deployments)`,
      },
    ]);
  const inner = buildPolicy(
    { ...spec, kind: o.balancer.kind, options: o.balancer.options },
    { ...ctx, path: `${ctx.path}.options.balancer` },
  );
  const det = new OutlierDetector(o, ctx.scenario.seed);
  return {
    policy: envoyPolicy(spec.name, inner.policy, det),
    behaviour: inner.behaviour,
    warnings: inner.warnings,
  };
});
