/**
 * Envoy YAML/JSON as users write it → routesim's Envoy policy settings (docs/gateways.md §3).
 *
 * Accepted: a bootstrap (`static_resources.clusters[]`, the cluster picked by name, and the
 * `timeout`/`retry_policy` of the route that sends to it), a list `clusters: [...]`, one cluster,
 * or a bare `outlier_detection` block. Values are read as Envoy's proto-JSON loader reads them:
 * snake_case or lowerCamelCase names, durations as strings with an `s` suffix ("10s", "0.5s";
 * "1500ms" and bare numbers are refused, as Envoy refuses them), UInt32Value as a bare number,
 * Percent as `{ value: n }`. Every key routesim does not simulate is a warning naming its path;
 * a bad value is an InputError naming the file and the path.
 *
 * Hosts map to scenario endpoints by the first that works of (docs/gateways-model.md):
 * `metadata.filter_metadata.routesim.endpoint` (an endpoint tag), then `endpoint.hostname`, then
 * `socket_address.address`: a name equal to an endpoint tag, else its first DNS label that names a
 * scenario provider after the alias table (`api.groq.com` → groq, `together-ai.svc` → together).
 * A provider with several endpoints is narrowed by `routesim.model`, else the policy's model.
 */
import { InputError } from "../../errors.js";
import type { Endpoint } from "../../types.js";
import type { ClassicKind } from "../classic.js";
import { matchEndpoint, normaliseProvider } from "../gateway/endpoints.js";
import type { PolicyContext } from "../kind.js";
import type { DetectorOptions } from "./options.js";

type Obj = Record<string, unknown>;

export interface EnvoyImport {
  /** Outlier detection, panic threshold and overprovisioning, in routesim units (ms). */
  readonly detector: Partial<DetectorOptions>;
  /** Path of max_ejection_time (or base_ejection_time) for the max ≥ base check. */
  readonly maxEjectionPath: string;
  /** The cluster's hosts, or null when the file lists none (then one cluster per model). */
  readonly cluster: {
    readonly name: string;
    readonly hosts: readonly { endpoint: Endpoint; weight: number }[];
  } | null;
  /** The classic balancer standing in for the cluster's lb_policy (with the route's retries). */
  readonly balancer: { kind: ClassicKind; options: Record<string, unknown> } | null;
  /** Where the balancer came from, for a conflict message. */
  readonly balancerFrom: string;
  /** The route's retry_policy.per_try_timeout, if any. */
  readonly perTryTimeoutMs: number | null;
  /**
   * The route's `timeout` (default 15 s; 0 = none → Infinity): the whole request, retries included,
   * to the end of the response. Null when the file has no route to the cluster.
   */
  readonly routeTimeoutMs: number | null;
  readonly warnings: string[];
}

const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const U32_MAX = 4_294_967_295;

/** Reads proto-JSON values with paths; collects warnings, throws InputError on bad values. */
class Reader {
  readonly warnings: string[] = [];
  constructor(readonly file: string) {}

  fail(path: string, message: string): never {
    throw new InputError(this.file, [{ path, message }]);
  }

  warn(path: string, why: string): void {
    this.warnings.push(`Envoy setting ${path} not simulated (${why})`);
  }

  note(message: string): void {
    this.warnings.push(message);
  }

  obj(v: unknown, path: string, what = "an object"): Obj {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(path, `expected ${what}`);
    return v as Obj;
  }

  list(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, "expected a list");
    return v;
  }

  /**
   * The message's fields by snake_case name (each with the path as written). Fields not in `known`
   * are warned about with `why(name)`; a field given under both of its names is an error.
   */
  fields(
    o: Obj,
    path: string,
    known: readonly string[],
    why: (name: string) => string | null,
  ): Map<string, Field> {
    const byName = new Map<string, string>();
    for (const k of known) {
      byName.set(k, k);
      byName.set(jsonName(k), k);
    }
    const out = new Map<string, Field>();
    for (const [key, v] of Object.entries(o)) {
      const p = join(path, key);
      const name = byName.get(key);
      if (name === undefined) {
        const w = why(key);
        if (w !== null) this.warn(p, w);
        continue;
      }
      if (out.has(name)) this.fail(p, `${name} is given twice (as ${out.get(name)!.key} and ${key})`);
      out.set(name, { key, v, path: p });
    }
    return out;
  }

  /** google.protobuf.Duration in proto JSON → whole milliseconds (Envoy truncates as well). */
  durationMs(f: Field, rule: "positive" | "nonnegative"): number {
    const m = typeof f.v === "string" ? DURATION.exec(f.v) : null;
    if (!m)
      this.fail(
        f.path,
        `expected a duration string in seconds with an "s" suffix, like "10s" or "0.5s" (Envoy's proto-JSON loader refuses ${JSON.stringify(f.v)})`,
      );
    const secs = Number(m[2]);
    const nanos = Number((m[3] ?? "").padEnd(9, "0"));
    const zero = secs === 0 && nanos === 0;
    if ((m[1] === "-" && !zero) || (rule === "positive" && zero))
      this.fail(f.path, `expected a duration ${rule === "positive" ? "> 0" : "≥ 0"}`);
    const ms = secs * 1000 + Math.floor(nanos / 1e6);
    if (rule === "positive" && ms === 0) this.fail(f.path, "durations below 1 ms are not supported");
    return ms;
  }

  /** google.protobuf.UInt32Value / uint32: a bare number (or a quoted one, as proto JSON allows). */
  u32(f: Field, max = U32_MAX, min = 0): number {
    let v = f.v;
    if (typeof v === "string" && /^\d+$/.test(v)) v = Number(v);
    if (v !== null && typeof v === "object")
      this.fail(
        f.path,
        "expected a bare number (a UInt32Value is written as its value, not as { value: n })",
      );
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > U32_MAX)
      this.fail(f.path, "expected a whole number ≥ 0");
    if (v > max || v < min) this.fail(f.path, `expected a number from ${min} to ${max}`);
    return v;
  }

  bool(f: Field): boolean {
    if (typeof f.v !== "boolean") this.fail(f.path, "expected true or false");
    return f.v;
  }

  str(f: Field): string {
    if (typeof f.v !== "string") this.fail(f.path, "expected a string");
    return f.v;
  }

  /** envoy.type.v3.Percent: `{ value: 0…100 }`. */
  percent(f: Field): number {
    if (typeof f.v === "number") this.fail(f.path, `expected { value: ${f.v} } (a Percent is a message)`);
    const o = this.obj(f.v, f.path, "{ value: n }");
    const fs = this.fields(o, f.path, ["value"], () => "not a Percent field");
    const v = fs.get("value");
    if (!v) return 0;
    if (typeof v.v !== "number" || v.v < 0 || v.v > 100) this.fail(v.path, "expected a number from 0 to 100");
    return v.v;
  }
}

interface Field {
  readonly key: string;
  readonly v: unknown;
  readonly path: string;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** protoc's json_name: `consecutive_5xx` → `consecutive5xx`, `base_ejection_time` → `baseEjectionTime`. */
function jsonName(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function get(o: Obj, name: string): unknown {
  return o[name] ?? o[jsonName(name)];
}

// ---------------------------------------------------------------------------------------------
// outlier_detection
// ---------------------------------------------------------------------------------------------

const OD_COUNTS = [
  "consecutive_5xx",
  "consecutive_gateway_failure",
  "consecutive_local_origin_failure",
  "success_rate_minimum_hosts",
  "success_rate_request_volume",
  "success_rate_stdev_factor",
  "failure_percentage_minimum_hosts",
  "failure_percentage_request_volume",
] as const;
const OD_PERCENTS = [
  "max_ejection_percent",
  "enforcing_consecutive_5xx",
  "enforcing_consecutive_gateway_failure",
  "enforcing_consecutive_local_origin_failure",
  "enforcing_success_rate",
  "enforcing_local_origin_success_rate",
  "failure_percentage_threshold",
  "enforcing_failure_percentage",
  "enforcing_failure_percentage_local_origin",
] as const;
const OD_BOOLS = ["split_external_local_origin_errors", "always_eject_one_host"] as const;
const OD_DURATIONS = {
  interval: ["interval_ms", "positive"],
  base_ejection_time: ["base_ejection_time_ms", "positive"],
  max_ejection_time: ["max_ejection_time_ms", "positive"],
  max_ejection_time_jitter: ["max_ejection_time_jitter_ms", "nonnegative"],
} as const;
const OD_UNMODELLED: Record<string, string> = {
  successful_active_health_check_uneject_host: "routesim has no active health checking",
  monitors: "not implemented in Envoy either",
};
const NO_DETECTOR: Partial<DetectorOptions> = {
  consecutive_5xx: 0,
  consecutive_gateway_failure: 0,
  consecutive_local_origin_failure: 0,
  enforcing_success_rate: 0,
  enforcing_local_origin_success_rate: 0,
  enforcing_failure_percentage: 0,
  enforcing_failure_percentage_local_origin: 0,
};
const OD_FIELDS = [
  ...OD_COUNTS,
  ...OD_PERCENTS,
  ...OD_BOOLS,
  ...Object.keys(OD_DURATIONS),
  ...Object.keys(OD_UNMODELLED),
];

function readOutlier(r: Reader, o: Obj, path: string, out: Partial<DetectorOptions> & Obj): string {
  const fs = r.fields(o, path, OD_FIELDS, () => "not an OutlierDetection field of Envoy 1.31; a typo?");
  for (const k of OD_COUNTS) {
    const f = fs.get(k);
    if (f) out[k] = r.u32(f);
  }
  for (const k of OD_PERCENTS) {
    const f = fs.get(k);
    if (f) out[k] = r.u32(f, 100);
  }
  for (const k of OD_BOOLS) {
    const f = fs.get(k);
    if (f) out[k] = r.bool(f);
  }
  for (const [k, [to, rule]] of Object.entries(OD_DURATIONS)) {
    const f = fs.get(k);
    if (f) out[to] = r.durationMs(f, rule);
  }
  for (const [k, why] of Object.entries(OD_UNMODELLED)) if (fs.has(k)) r.warn(fs.get(k)!.path, why);
  // DetectorImpl::create refuses max < base; report it where it is written.
  const base = out.base_ejection_time_ms ?? 30_000;
  const maxF = fs.get("max_ejection_time");
  if (maxF && out.max_ejection_time_ms! < base)
    r.fail(maxF.path, "max_ejection_time cannot be smaller than base_ejection_time (Envoy rejects it)");
  return maxF?.path ?? fs.get("base_ejection_time")?.path ?? path;
}

// ---------------------------------------------------------------------------------------------
// Cluster
// ---------------------------------------------------------------------------------------------

const CLUSTER_KEYS = [
  "name",
  "load_assignment",
  "lb_policy",
  "outlier_detection",
  "common_lb_config",
  "type",
];
const CLUSTER_MODELLED = [...CLUSTER_KEYS, "least_request_lb_config", "load_balancing_policy"];
const CLUSTER_WHY: Record<string, string> = {
  circuit_breakers:
    "connection, pending, request and retry limits; note Envoy's default allows only 3 concurrent retries per cluster",
  health_checks: "routesim has no active health checking",
  connect_timeout: "routesim has no connection setup",
  transport_socket: "TLS",
  typed_extension_protocol_options: "HTTP protocol options",
  eds_cluster_config: "service discovery",
  dns_lookup_family: "DNS",
  dns_refresh_rate: "DNS",
  respect_dns_ttl: "DNS",
  lb_subset_config: "subset load balancing",
  ring_hash_lb_config: "consistent hashing",
  maglev_lb_config: "consistent hashing",
  round_robin_lb_config: "slow start and locality settings",
  per_connection_buffer_limit_bytes: "buffers",
};
const LB_POLICIES = [
  "ROUND_ROBIN",
  "LEAST_REQUEST",
  "RING_HASH",
  "RANDOM",
  "",
  "MAGLEV",
  "CLUSTER_PROVIDED",
  "LOAD_BALANCING_POLICY_CONFIG",
];

interface Host {
  endpoint: Endpoint;
  weight: number;
}

interface MapCtx {
  readonly catalog: readonly Endpoint[];
  readonly model: string | undefined;
}

const HEALTHY = new Set<unknown>(["UNKNOWN", "HEALTHY", 0, 1]);
/** An IPv4 or IPv6 literal names no provider. */
const IP = /^(\d{1,3}(\.\d{1,3}){3}|\[?[0-9a-f]*:[0-9a-f:.]*\]?)$/i;

/** The endpoint rule (see the file comment); `null` = try the next name. */
function mapName(name: string, m: MapCtx, model: string | undefined): Endpoint | string | null {
  if (IP.test(name)) return null;
  const n = name.toLowerCase();
  if (m.catalog.some((e) => e.tag === n)) {
    const r = matchEndpoint(m.catalog, n.split("/")[0], model, n);
    return r.ok ? r.endpoint : r.message;
  }
  for (const label of n.split(".")) {
    const slug = normaliseProvider(label);
    if (!m.catalog.some((e) => e.provider.toLowerCase() === slug)) continue;
    const r = matchEndpoint(m.catalog, label, model);
    return r.ok ? r.endpoint : r.message;
  }
  return null;
}

function readHost(r: Reader, v: unknown, path: string, m: MapCtx): Host {
  const o = r.obj(v, path);
  const fs = r.fields(
    o,
    path,
    ["endpoint", "load_balancing_weight", "metadata", "health_status"],
    () => "not simulated",
  );
  const weightF = fs.get("load_balancing_weight");
  const weight = weightF ? r.u32(weightF, U32_MAX, 1) : 1;
  const hs = fs.get("health_status");
  if (hs && !HEALTHY.has(hs.v)) r.warn(hs.path, "EDS health status; the host is used as healthy");
  let tag: string | undefined;
  let model = m.model;
  const md = fs.get("metadata");
  if (md) {
    const fm = get(r.obj(md.v, md.path), "filter_metadata");
    const ours = fm && typeof fm === "object" ? (fm as Obj).routesim : undefined;
    if (ours !== undefined) {
      const p = join(join(md.path, "filter_metadata"), "routesim");
      const rs = r.fields(
        r.obj(ours, p),
        p,
        ["endpoint", "model"],
        () => "not a routesim key (endpoint, model)",
      );
      if (rs.get("endpoint")) tag = r.str(rs.get("endpoint")!).toLowerCase();
      if (rs.get("model")) model = r.str(rs.get("model")!);
    }
  }
  const names: string[] = [];
  const ep = fs.get("endpoint");
  if (ep) {
    const eo = r.obj(ep.v, ep.path);
    const efs = r.fields(eo, ep.path, ["address", "hostname", "health_check_config"], () => "not simulated");
    if (efs.get("health_check_config"))
      r.warn(efs.get("health_check_config")!.path, "no active health checking");
    if (efs.get("hostname")) names.push(r.str(efs.get("hostname")!));
    const addr = efs.get("address");
    if (addr) {
      const sa = get(r.obj(addr.v, addr.path), "socket_address");
      if (sa !== undefined) {
        const a = get(r.obj(sa, join(addr.path, "socket_address")), "address");
        if (typeof a === "string") names.push(a);
      }
    }
  }
  if (tag !== undefined) {
    const hit = m.catalog.find((e) => e.tag === tag);
    if (!hit)
      r.fail(
        join(path, "metadata.filter_metadata.routesim.endpoint"),
        `no scenario endpoint is tagged "${tag}"; tags: ${[...new Set(m.catalog.map((e) => e.tag))].join(", ")}`,
      );
    const res = matchEndpoint(m.catalog, tag.split("/")[0], model, tag);
    if (!res.ok) r.fail(join(path, "metadata.filter_metadata.routesim"), res.message);
    return { endpoint: res.endpoint, weight };
  }
  for (const n of names) {
    const hit = mapName(n, m, model);
    if (hit === null) continue;
    if (typeof hit === "string") r.fail(path, hit);
    return { endpoint: hit, weight };
  }
  const providers = [...new Set(m.catalog.map((e) => e.provider))].join(", ");
  return r.fail(
    path,
    `cannot map host ${names.length ? names.map((n) => `"${n}"`).join(" / ") : "(no address)"} to a scenario endpoint: use a hostname or address whose DNS label names a provider (${providers}), or metadata.filter_metadata.routesim.endpoint`,
  );
}

function readLoadAssignment(r: Reader, v: unknown, path: string, m: MapCtx, out: Obj): Host[] {
  const o = r.obj(v, path);
  const fs = r.fields(o, path, ["cluster_name", "endpoints", "policy"], () => "not simulated");
  const pol = fs.get("policy");
  if (pol) {
    const pfs = r.fields(
      r.obj(pol.v, pol.path),
      pol.path,
      ["overprovisioning_factor"],
      () => "not simulated",
    );
    const f = pfs.get("overprovisioning_factor");
    if (f) out.overprovisioning_factor = r.u32(f, U32_MAX, 1);
  }
  const hosts: Host[] = [];
  const eps = fs.get("endpoints");
  if (!eps) return hosts;
  r.list(eps.v, eps.path).forEach((loc, i) => {
    const lp = join(eps.path, i);
    const lfs = r.fields(
      r.obj(loc, lp),
      lp,
      ["lb_endpoints", "priority", "locality", "load_balancing_weight"],
      () => "not simulated",
    );
    const pr = lfs.get("priority");
    if (pr && r.u32(pr) > 0) r.warn(pr.path, "priority levels; these hosts are used as priority 0");
    if (lfs.get("locality")) r.warn(lfs.get("locality")!.path, "zone-aware routing");
    if (lfs.get("load_balancing_weight")) r.warn(lfs.get("load_balancing_weight")!.path, "locality weights");
    const lbe = lfs.get("lb_endpoints");
    if (!lbe) return;
    r.list(lbe.v, lbe.path).forEach((h, j) => {
      const hp = join(lbe.path, j);
      const host = readHost(r, h, hp, m);
      const dup = hosts.find((x) => x.endpoint.id === host.endpoint.id);
      if (dup)
        r.fail(
          hp,
          `maps to endpoint ${host.endpoint.tag} (${host.endpoint.model}) like an earlier host; each endpoint can be one host`,
        );
      hosts.push(host);
    });
  });
  return hosts;
}

type Lb = "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH" | "MAGLEV";

const TYPED_LB: Record<string, Lb> = {
  "envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin": "ROUND_ROBIN",
  "envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest": "LEAST_REQUEST",
  "envoy.extensions.load_balancing_policies.random.v3.Random": "RANDOM",
  "envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash": "RING_HASH",
  "envoy.extensions.load_balancing_policies.maglev.v3.Maglev": "MAGLEV",
};

/** `load_balancing_policy.policies[]`: Envoy uses the first one it supports. */
function readTypedLb(r: Reader, f: Field): { lb: Lb; choiceCount: number; path: string } {
  const fs = r.fields(r.obj(f.v, f.path), f.path, ["policies"], () => "not simulated");
  const pols = fs.get("policies");
  if (pols)
    for (const [i, p] of r.list(pols.v, pols.path).entries()) {
      const pp = join(pols.path, i);
      const tec = get(r.obj(p, pp), "typed_extension_config");
      const tc = tec && typeof tec === "object" ? get(tec as Obj, "typed_config") : undefined;
      const type = tc && typeof tc === "object" ? String((tc as Obj)["@type"] ?? "") : "";
      const lb = TYPED_LB[type.replace(/^type\.googleapis\.com\//, "")];
      if (!lb) {
        r.warn(pp, `load balancer ${type || "(no @type)"}; the next policy in the list is used`);
        continue;
      }
      let choiceCount = 2;
      for (const [k, v] of Object.entries(tc as Obj)) {
        const kp = join(join(join(pp, "typed_extension_config"), "typed_config"), k);
        if (k === "@type") continue;
        if (lb === "LEAST_REQUEST" && (k === "choice_count" || k === "choiceCount"))
          choiceCount = r.u32({ key: k, v, path: kp }, U32_MAX, 2);
        else r.warn(kp, "load balancer option");
      }
      return { lb, choiceCount, path: pp };
    }
  return r.fail(
    f.path,
    "no load balancer routesim can simulate (round_robin, least_request, random, ring_hash, maglev)",
  );
}

/** The classic balancer standing in for an Envoy load balancer over `hosts`. */
function balancerFor(
  r: Reader,
  lb: Lb,
  choiceCount: number,
  hosts: readonly Host[] | null,
  path: string,
): { kind: ClassicKind; options: Record<string, unknown> } {
  const weighted = hosts?.some((h) => h.weight !== hosts[0].weight) ?? false;
  const weights = () => Object.fromEntries((hosts ?? []).map((h) => [h.endpoint.tag, h.weight]));
  switch (lb) {
    case "ROUND_ROBIN":
      if (!weighted) return { kind: "round_robin", options: {} };
      r.warn(
        path,
        "weighted round robin (EDF) simulated as weighted random: the same shares in a random order",
      );
      return { kind: "weighted_random", options: { weights: weights() } };
    case "LEAST_REQUEST":
      if (weighted) r.warn(path, "weighted least request; host weights are ignored");
      if (choiceCount === 2) return { kind: "p2c", options: { by: "inflight" } };
      r.warn(path, `choice_count ${choiceCount} simulated as the least loaded of all hosts`);
      return { kind: "least_outstanding", options: {} };
    case "RANDOM":
      // Envoy's random balancer ignores load_balancing_weight.
      return { kind: "weighted_random", options: {} };
    case "RING_HASH":
    case "MAGLEV":
      r.warn(
        path,
        "consistent hashing on request attributes routesim does not have; simulated as weighted random",
      );
      return { kind: "weighted_random", options: { weights: weights() } };
  }
}

// ---------------------------------------------------------------------------------------------
// Route (bootstrap listeners → HttpConnectionManager → route_config)
// ---------------------------------------------------------------------------------------------

const RETRY_ON: Record<string, readonly (number | "5xx")[] | string> = {
  "5xx": ["5xx", 408],
  "gateway-error": [502, 503, 504, 408],
  reset: [408],
  "reset-before-request": "routesim attempts never fail before the request is sent",
  "connect-failure": "routesim has no connection failures",
  "refused-stream": "routesim has no HTTP/2 streams",
  "http3-post-connect-failure": "routesim has no HTTP/3",
  "retriable-4xx": [409],
  "retriable-status-codes": [],
  "retriable-headers": "routesim responses have no headers",
  "envoy-ratelimited": "routesim responses have no x-envoy-ratelimited header",
};

interface RouteFound {
  readonly route: Obj;
  readonly path: string;
  readonly vhRetry: Field | null;
}

function findRoutes(r: Reader, sr: Obj, srPath: string, cluster: string): RouteFound[] {
  const found: RouteFound[] = [];
  const listeners = get(sr, "listeners");
  if (!Array.isArray(listeners)) return found;
  listeners.forEach((l, i) => {
    const lp = join(join(srPath, "listeners"), i);
    const chains = l && typeof l === "object" ? get(l as Obj, "filter_chains") : undefined;
    if (!Array.isArray(chains)) return;
    chains.forEach((c, j) => {
      const filters = c && typeof c === "object" ? get(c as Obj, "filters") : undefined;
      if (!Array.isArray(filters)) return;
      filters.forEach((f, k) => {
        const fp = join(join(join(join(lp, "filter_chains"), j), "filters"), k);
        const tc = f && typeof f === "object" ? get(f as Obj, "typed_config") : undefined;
        if (!tc || typeof tc !== "object" || !String((tc as Obj)["@type"]).endsWith("HttpConnectionManager"))
          return;
        const tp = join(fp, "typed_config");
        if (get(tc as Obj, "rds") !== undefined) r.warn(join(tp, "rds"), "routes from RDS cannot be read");
        const rc = get(tc as Obj, "route_config");
        const vhs = rc && typeof rc === "object" ? get(rc as Obj, "virtual_hosts") : undefined;
        if (!Array.isArray(vhs)) return;
        vhs.forEach((vh, m) => {
          const vp = join(join(join(tp, "route_config"), "virtual_hosts"), m);
          const vo = r.obj(vh, vp);
          const rp = get(vo, "retry_policy");
          const vhRetry =
            rp === undefined ? null : { key: "retry_policy", v: rp, path: join(vp, "retry_policy") };
          const routes = get(vo, "routes");
          if (!Array.isArray(routes)) return;
          routes.forEach((rt, n) => {
            const path = join(join(join(vp, "routes"), n), "route");
            const ra = rt && typeof rt === "object" ? (rt as Obj).route : undefined;
            if (!ra || typeof ra !== "object") return;
            if ((ra as Obj).cluster === cluster) found.push({ route: ra as Obj, path, vhRetry });
            const wc = get(ra as Obj, "weighted_clusters");
            if (wc && JSON.stringify(wc).includes(`"${cluster}"`))
              r.warn(join(path, "weighted_clusters"), "traffic splitting between clusters");
          });
        });
      });
    });
  });
  return found;
}

interface RetryImport {
  retry: Record<string, unknown> | null;
  perTryTimeoutMs: number | null;
}

interface RouteImport extends RetryImport {
  /** Null when no route sends to the cluster. */
  routeTimeoutMs: number | null;
}

function readRetryPolicy(r: Reader, f: Field): RetryImport {
  const fs = r.fields(
    r.obj(f.v, f.path),
    f.path,
    [
      "retry_on",
      "num_retries",
      "per_try_timeout",
      "retriable_status_codes",
      "retry_back_off",
      "retry_host_predicate",
      "host_selection_retry_max_attempts",
      "rate_limited_retry_back_off",
    ],
    () => "not simulated",
  );
  const perTry = fs.get("per_try_timeout");
  const perTryTimeoutMs = perTry ? r.durationMs(perTry, "positive") : null;
  const on: (number | "5xx")[] = [];
  const onF = fs.get("retry_on");
  const tokens = onF
    ? r
        .str(onF)
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean)
    : [];
  for (const t of tokens) {
    const m = RETRY_ON[t];
    if (m === undefined)
      r.warn(`${onF!.path} "${t}"`, "a retry condition routesim does not know (gRPC, or a typo)");
    else if (typeof m === "string") r.warn(`${onF!.path} "${t}"`, m);
    else on.push(...m);
  }
  const codes = fs.get("retriable_status_codes");
  if (codes && !tokens.includes("retriable-status-codes"))
    r.warn(codes.path, 'ignored without retry_on "retriable-status-codes", as in Envoy');
  else if (codes)
    for (const [i, c] of r.list(codes.v, codes.path).entries())
      on.push(r.u32({ key: String(i), v: c, path: join(codes.path, i) }, 599, 400));
  const n = fs.get("num_retries");
  const retries = n ? r.u32(n) : 1;
  let baseMs = 25;
  let maxMs: number | null = null;
  const bo = fs.get("retry_back_off");
  if (bo) {
    const bfs = r.fields(
      r.obj(bo.v, bo.path),
      bo.path,
      ["base_interval", "max_interval"],
      () => "not simulated",
    );
    const b = bfs.get("base_interval");
    if (!b) r.fail(bo.path, "retry_back_off needs base_interval");
    baseMs = r.durationMs(b, "positive");
    const mx = bfs.get("max_interval");
    if (mx) {
      maxMs = r.durationMs(mx, "positive");
      if (maxMs < baseMs) r.fail(mx.path, "max_interval must be ≥ base_interval");
    }
  }
  const hp = fs.get("retry_host_predicate");
  const previous =
    hp !== undefined &&
    r
      .list(hp.v, hp.path)
      .some((p) => p && typeof p === "object" && String((p as Obj).name).endsWith("previous_hosts"));
  if (!previous)
    r.warn(
      join(f.path, "retry_host_predicate"),
      "without previous_hosts Envoy may retry on the same host; routesim's retry prefers hosts not tried yet",
    );
  if (fs.get("host_selection_retry_max_attempts"))
    r.warn(
      fs.get("host_selection_retry_max_attempts")!.path,
      "routesim's retry always avoids tried hosts when it can",
    );
  const rl = fs.get("rate_limited_retry_back_off");
  if (rl)
    r.warn(
      rl.path,
      "a 429's Retry-After is honoured where routesim knows one, without Envoy's header parsing",
    );
  if (retries === 0 || on.length === 0) return { retry: null, perTryTimeoutMs };
  r.note(
    `Envoy ${join(f.path, "retry_back_off")} approximated: Envoy's retry N waits up to (2^N − 1) × base, routesim's classic retry up to base × 2^(N−1), both capped at max_interval (default 10 × base)`,
  );
  const retry = {
    max_retries: retries,
    base_ms: baseMs,
    max_ms: maxMs ?? 10 * baseMs,
    jitter: "full",
    retry_after: rl !== undefined,
    retry_on: [...new Set(on)],
  };
  return { retry, perTryTimeoutMs };
}

function readRoute(r: Reader, sr: Obj, srPath: string, cluster: string): RouteImport {
  const found = findRoutes(r, sr, srPath, cluster);
  if (get(sr, "listeners") !== undefined && found.length > 0)
    r.note(
      `Envoy ${join(srPath, "listeners")}: only the timeout and retry_policy of the route to cluster "${cluster}" are read (listeners, filters and route matching are not simulated)`,
    );
  if (found.length === 0) {
    if (get(sr, "listeners") !== undefined)
      r.warn(
        join(srPath, "listeners"),
        `no route sends to cluster "${cluster}"; the cluster is used without retries`,
      );
    return { retry: null, perTryTimeoutMs: null, routeTimeoutMs: null };
  }
  if (found.length > 1)
    r.warn(found[1].path, `a second route to cluster "${cluster}"; the first (${found[0].path}) is used`);
  const { route, path, vhRetry } = found[0];
  const fs = r.fields(route, path, ["cluster", "timeout", "retry_policy"], () => "not simulated");
  const t = fs.get("timeout");
  const timeoutMs = t ? r.durationMs(t, "nonnegative") : 15_000;
  if (!t)
    r.note(
      `Envoy ${join(path, "timeout")} is not set: Envoy's default of 15 s bounds each request, retries included, to the end of its response (set timeout: 0s to turn it off)`,
    );
  const routeTimeoutMs = timeoutMs === 0 ? Number.POSITIVE_INFINITY : timeoutMs;
  const rp = fs.get("retry_policy") ?? vhRetry;
  return {
    ...(rp ? readRetryPolicy(r, rp) : { retry: null, perTryTimeoutMs: null }),
    routeTimeoutMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/** Which part of the file is the cluster, and where it is. */
function locate(
  r: Reader,
  root: Obj,
  want: string | undefined,
  ctx: PolicyContext,
): { cluster: Obj | null; path: string; sr: Obj | null; srPath: string } {
  let list: unknown[] | null = null;
  let listPath = "";
  let sr: Obj | null = null;
  const srv = get(root, "static_resources");
  if (srv !== undefined) {
    sr = r.obj(srv, "static_resources");
    for (const k of Object.keys(root))
      if (k !== "static_resources" && k !== "staticResources") r.warn(k, "bootstrap setting");
    for (const k of Object.keys(sr))
      if (!["clusters", "listeners"].includes(k)) r.warn(join("static_resources", k), "bootstrap setting");
    const c = get(sr, "clusters");
    listPath = "static_resources.clusters";
    list = c === undefined ? [] : r.list(c, listPath);
  } else if (Array.isArray(root.clusters)) {
    list = root.clusters;
    listPath = "clusters";
    for (const k of Object.keys(root)) if (k !== "clusters") r.warn(k, "not part of a cluster");
  }
  if (list === null) {
    const isCluster = Object.keys(root).some(
      (k) => CLUSTER_KEYS.includes(k) || CLUSTER_KEYS.map(jsonName).includes(k),
    );
    return { cluster: isCluster ? root : null, path: "", sr: null, srPath: "" };
  }
  const names = list.map((c, i) => {
    const n = c && typeof c === "object" ? (c as Obj).name : undefined;
    return typeof n === "string" ? n : `(${join(listPath, i)} has no name)`;
  });
  const i = want !== undefined ? names.indexOf(want) : list.length === 1 ? 0 : -1;
  if (i < 0) {
    const message =
      list.length === 0
        ? "the file has no clusters"
        : want !== undefined
          ? `no cluster named "${want}"; clusters: ${names.join(", ")}`
          : `the file has ${list.length} clusters (${names.join(", ")}): name one in options.cluster`;
    throw new InputError(ctx.file, [{ path: `${ctx.path}.options.cluster`, message }]);
  }
  return {
    cluster: r.obj(list[i], join(listPath, i)),
    path: join(listPath, i),
    sr,
    srPath: "static_resources",
  };
}

export function loadEnvoyConfig(
  data: unknown,
  ctx: PolicyContext,
  file: string,
  opts: { cluster?: string; model?: string },
): EnvoyImport {
  const r = new Reader(file);
  const root = r.obj(data ?? null, "", "an Envoy bootstrap, cluster or outlier_detection object");
  const { cluster, path, sr, srPath } = locate(r, root, opts.cluster, ctx);
  const detector: Partial<DetectorOptions> & Obj = {};
  const m: MapCtx = { catalog: ctx.catalog, model: opts.model };
  if (cluster === null) {
    const maxEjectionPath = readOutlier(r, root, "", detector);
    r.note(
      "Envoy route not in the file: the route timeout (default 15 s, the whole response) is not simulated; routesim bounds each attempt by router.timeout_ms",
    );
    return {
      detector,
      maxEjectionPath,
      cluster: null,
      balancer: null,
      balancerFrom: "",
      perTryTimeoutMs: null,
      routeTimeoutMs: null,
      warnings: r.warnings,
    };
  }
  const fs = r.fields(
    cluster,
    path,
    CLUSTER_MODELLED,
    (k) => CLUSTER_WHY[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] ?? "not simulated",
  );
  const name = fs.get("name") ? r.str(fs.get("name")!) : "cluster";
  const type = fs.get("type");
  if (type && !["STATIC", 0].includes(type.v as string))
    r.warn(type.path, `${String(type.v)} discovery; each lb_endpoint is one host`);
  const od = fs.get("outlier_detection");
  let maxEjectionPath = path;
  if (od) maxEjectionPath = readOutlier(r, r.obj(od.v, od.path), od.path, detector);
  else {
    // No outlier_detection: Envoy builds no detector, so no host is ever ejected.
    Object.assign(detector, NO_DETECTOR);
    r.note(`Envoy cluster ${join(path, "outlier_detection")} absent: no host is ever ejected`);
  }
  const cl = fs.get("common_lb_config");
  if (cl) {
    const cfs = r.fields(r.obj(cl.v, cl.path), cl.path, ["healthy_panic_threshold"], () => "not simulated");
    const hp = cfs.get("healthy_panic_threshold");
    if (hp) detector.healthy_panic_threshold = r.percent(hp);
  }
  const la = fs.get("load_assignment");
  const hosts = la ? readLoadAssignment(r, la.v, la.path, m, detector) : null;
  if (hosts !== null && hosts.length === 0) r.fail(la!.path, "the cluster has no hosts (lb_endpoints)");
  // lb_policy, or the typed load_balancing_policy that takes precedence over it.
  let lb: Lb | null = null;
  let choiceCount = 2;
  let from = "";
  const lbp = fs.get("load_balancing_policy");
  const lbPolicy = fs.get("lb_policy");
  if (lbp) {
    const t = readTypedLb(r, lbp);
    lb = t.lb;
    choiceCount = t.choiceCount;
    from = t.path;
    if (lbPolicy) r.warn(lbPolicy.path, "ignored: load_balancing_policy is set");
  } else {
    const v = lbPolicy?.v ?? "ROUND_ROBIN";
    const s = typeof v === "number" ? LB_POLICIES[v] : v;
    if (s === "CLUSTER_PROVIDED" || s === "LOAD_BALANCING_POLICY_CONFIG")
      r.fail(lbPolicy!.path, `${s} needs a cluster type or load_balancing_policy routesim does not simulate`);
    if (!["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM", "RING_HASH", "MAGLEV"].includes(String(s)))
      r.fail(lbPolicy!.path, `expected one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV`);
    lb = s as Lb;
    from = lbPolicy?.path ?? join(path, "lb_policy");
    const lr = fs.get("least_request_lb_config");
    if (lr) {
      const lfs = r.fields(r.obj(lr.v, lr.path), lr.path, ["choice_count"], () => "not simulated");
      if (lfs.get("choice_count")) choiceCount = r.u32(lfs.get("choice_count")!, U32_MAX, 2);
    }
  }
  const balancer = balancerFor(r, lb, choiceCount, hosts, from);
  const route =
    sr !== null
      ? readRoute(r, sr, srPath, name)
      : { retry: null, perTryTimeoutMs: null, routeTimeoutMs: null };
  if (route.routeTimeoutMs === null)
    r.note(
      "Envoy route not in the file: no retries (Envoy retries only with a retry_policy) and no route timeout (Envoy's default is 15 s for the whole request); routesim bounds each attempt by router.timeout_ms",
    );
  if (route.retry) balancer.options.retry = route.retry;
  return {
    detector,
    maxEjectionPath,
    cluster: hosts === null ? null : { name, hosts },
    balancer,
    balancerFrom: from,
    perTryTimeoutMs: route.perTryTimeoutMs,
    routeTimeoutMs: route.routeTimeoutMs,
    warnings: r.warnings,
  };
}
