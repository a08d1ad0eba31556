/** Importing Envoy configs as written for Envoy (docs/gateways.md §3; mapping in docs/gateways-model.md). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { EnvoyPolicy } from "../../../src/policies/envoy/policy.js";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import { thrownInputError as thrown } from "../../helpers.js";
import { build, Clock, drive, M, request, world } from "../../support/gateways.js";

const DIR = resolve("scenarios/gateways");
const names = [
  { name: "groq" },
  { name: "deepinfra" },
  { name: "together" },
  { name: "fireworks" },
  { name: "novita" },
];

/** Writes `text` as an Envoy file in a fresh folder and builds `{ envoy: file }` over `names`. */
function imp(text: string, options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "envoy-"));
  writeFileSync(join(dir, "envoy.yaml"), text);
  const w = world(names, dir);
  const b = build(w.ctx, { kind: "envoy", envoy: "envoy.yaml", options, ...extra });
  return { ...b, w, envoy: b.policy as EnvoyPolicy, file: join(dir, "envoy.yaml") };
}

function settings(p: EnvoyPolicy) {
  return [...p.detectors.values()][0].o;
}

const CLUSTER = (od: string, extra = "") => `
name: pool
lb_policy: ROUND_ROBIN
load_assignment:
  cluster_name: pool
  endpoints:
    - lb_endpoints:
        - endpoint: { address: { socket_address: { address: api.groq.com, port_value: 443 } } }
        - endpoint: { address: { socket_address: { address: api.deepinfra.com, port_value: 443 } } }
outlier_detection:
${od}
${extra}`;

describe("Envoy config import: the shipped bootstrap (configs/envoy-cluster.yaml)", () => {
  const w = world(names, DIR);
  const b = build(w.ctx, { kind: "envoy", envoy: "configs/envoy-cluster.yaml" });
  const p = b.policy as EnvoyPolicy;

  it("§3 reads the cluster's hosts, outlier_detection and panic threshold in Envoy's units", () => {
    const d = p.detectors.get("llm_pool")!;
    expect(d.hosts.map((e) => e.tag)).toEqual(["groq", "deepinfra", "together", "fireworks"]);
    expect(d.o).toMatchObject({
      consecutive_5xx: 5,
      interval_ms: 5000,
      base_ejection_time_ms: 30_000,
      max_ejection_time_ms: 120_000,
      max_ejection_time_jitter_ms: 2500,
      max_ejection_percent: 50,
      healthy_panic_threshold: 25,
      enforcing_consecutive_gateway_failure: 0,
    });
  });

  it("imports the route: per_try_timeout is the attempt timeout; retries on 5xx and 429 avoid tried hosts; a 400 is not retried", () => {
    expect(b.behaviour.timeoutMs).toBe(30_000);
    const v = new Clock(w.catalog);
    const r = drive(p, v, request(0), [503, 429, 200]);
    expect(r.tried.length).toBe(3);
    expect(new Set(r.tried).size).toBe(3);
    expect(r.tried).not.toContain("novita"); // not in the cluster
    expect(drive(p, v, request(1), [400]).tried.length).toBe(1);
    expect(drive(p, v, request(2), [503, 503, 503]).tried.length).toBe(3); // num_retries 2
  });

  it("warns about every setting it does not simulate, by path", () => {
    const text = b.warnings.join("\n");
    for (const k of [
      "static_resources.clusters[0].connect_timeout",
      "static_resources.clusters[0].circuit_breakers",
      "static_resources.clusters[0].transport_socket",
      "static_resources.clusters[0].type",
      "retry_policy.retry_back_off",
      "static_resources.listeners",
    ])
      expect(text).toContain(k);
    // The route's timers are simulated: no warning, and they reach the router.
    expect(text).not.toContain("route.timeout");
    expect(b.behaviour).toMatchObject({
      timeoutMs: 30_000, // per_try_timeout, to the response headers
      timeoutScope: { streaming: "headers", nonStreaming: "headers" },
      requestTimeoutMs: 120_000, // the route timeout, to the end of the response
      billsAbandoned: true,
    });
  });
});

describe("Envoy config import: value forms (Envoy's proto-JSON loader)", () => {
  it("a bare outlier_detection block in camelCase, durations as seconds strings, a quoted UInt32", () => {
    const { envoy, warnings } = imp(
      'consecutive5xx: "7"\ninterval: 0.5s\nbaseEjectionTime: 1.25s\nmaxEjectionPercent: 30\nalwaysEjectOneHost: true\n',
    );
    expect(envoy.clusters.kind).toBe("per_model");
    expect(settings(envoy)).toMatchObject({
      consecutive_5xx: 7,
      interval_ms: 500,
      base_ejection_time_ms: 1250,
      max_ejection_time_ms: 300_000,
      max_ejection_percent: 30,
      always_eject_one_host: true,
    });
    expect(warnings.join("\n")).toMatch(/route not in the file: the route timeout \(default 15 s/);
  });

  it("refuses what Envoy refuses, naming the file and the path", () => {
    const bad = (text: string) => thrown(() => imp(text)).problems[0];
    expect(bad("interval: 1500ms\n")).toMatchObject({ path: "interval" });
    expect(bad("interval: 1500ms\n").message).toMatch(/"s" suffix/);
    expect(bad("interval: 10\n").message).toMatch(/"10s"/);
    expect(bad("base_ejection_time: 0s\n").message).toMatch(/> 0/);
    expect(bad("consecutive_5xx: { value: 5 }\n").message).toMatch(/bare number/);
    expect(bad("max_ejection_percent: 101\n").message).toMatch(/0 to 100/);
    expect(bad("consecutive_5xx: 2\nconsecutive5xx: 3\n").message).toMatch(/given twice/);
    expect(
      bad(CLUSTER("  interval: 10s", "common_lb_config: { healthy_panic_threshold: 50 }")).message,
    ).toMatch(/\{ value: 50 \}/);
    const e = thrown(() => imp("base_ejection_time: 60s\nmax_ejection_time: 30s\n"));
    expect(e.file).toMatch(/envoy\.yaml$/);
    expect(e.problems[0]).toMatchObject({ path: "max_ejection_time" });
  });

  it("picks a cluster of a list by name; a bad value is reported at clusters[i]…", () => {
    const two = `clusters:\n  - ${CLUSTER("    interval: 10s").trim().replace(/\n/g, "\n    ")}\n  - name: other\n    outlier_detection: { interval: 3 }\n`;
    const which = thrown(() => imp(two));
    expect(which.problems[0].path).toBe("policies[0].options.cluster");
    expect(which.problems[0].message).toMatch(/2 clusters \(pool, other\)/);
    expect(settings(imp(two, { cluster: "pool" }).envoy).interval_ms).toBe(10_000);
    expect(thrown(() => imp(two, { cluster: "other" })).problems[0].path).toBe(
      "clusters[1].outlier_detection.interval",
    );
    expect(thrown(() => imp(two, { cluster: "nope" })).problems[0].message).toMatch(
      /no cluster named "nope"/,
    );
  });

  it("warns about unknown and unmodelled keys, naming them", () => {
    const { warnings } = imp(
      CLUSTER(
        "  consecutive_5xx: 3\n  consecutive_local_origin_failure: 2\n  successful_active_health_check_uneject_host: true\n  consecutive_5xxx: 1",
        "health_checks: []\ncircuit_breakers: {}",
      ),
    );
    const text = warnings.join("\n");
    expect(text).toContain("outlier_detection.consecutive_5xxx not simulated (not an OutlierDetection field");
    expect(text).toContain("outlier_detection.successful_active_health_check_uneject_host");
    expect(text).toContain(
      "Envoy setting health_checks not simulated (routesim has no active health checking)",
    );
    expect(text).toContain("Envoy setting circuit_breakers not simulated");
    // consecutive_local_origin_failure is simulated (it matters with split_external_local_origin_errors).
    expect(text).not.toContain("consecutive_local_origin_failure");
  });
});

describe("Envoy config import: hosts and load balancers", () => {
  it("maps hosts by metadata.filter_metadata.routesim, hostname, or the address's DNS labels; an IP alone is an error", () => {
    const host = (ep: string, md = "") => `
name: c
load_assignment:
  endpoints:
    - lb_endpoints:
        - endpoint: ${ep}
          ${md}`;
    const tags = (t: string) =>
      imp(t)
        .envoy.detectors.get("c")!
        .hosts.map((e) => e.tag);
    expect(
      tags(host("{ address: { socket_address: { address: together.default.svc.cluster.local } } }")),
    ).toEqual(["together"]);
    expect(
      tags(host("{ hostname: api.fireworks.ai, address: { socket_address: { address: 10.0.0.7 } } }")),
    ).toEqual(["fireworks"]);
    expect(tags(host("{ address: { socket_address: { address: novita } } }"))).toEqual(["novita"]);
    expect(
      tags(
        host(
          "{ address: { socket_address: { address: 10.0.0.7 } } }",
          "metadata: { filter_metadata: { routesim: { endpoint: groq } } }",
        ),
      ),
    ).toEqual(["groq"]);
    const e = thrown(() => imp(host("{ address: { socket_address: { address: 10.0.0.7 } } }")));
    expect(e.problems[0].path).toBe("load_assignment.endpoints[0].lb_endpoints[0]");
    expect(e.problems[0].message).toMatch(/routesim\.endpoint/);
    const dup = `
name: c
load_assignment:
  endpoints:
    - lb_endpoints:
        - endpoint: { address: { socket_address: { address: api.groq.com } } }
        - endpoint: { address: { socket_address: { address: groq.internal } } }`;
    expect(thrown(() => imp(dup)).problems[0].message).toMatch(/like an earlier host/);
  });

  it("lb_policy → classic balancers: weighted ROUND_ROBIN (warned), RANDOM ignores weights, LEAST_REQUEST choice_count", () => {
    const lb = (policy: string, w2 = 1, extra = "") => `
name: c
lb_policy: ${policy}
${extra}
load_assignment:
  endpoints:
    - lb_endpoints:
        - { endpoint: { address: { socket_address: { address: api.groq.com } } }, load_balancing_weight: 1 }
        - { endpoint: { address: { socket_address: { address: api.together.xyz } } }, load_balancing_weight: ${w2} }`;
    const share = (text: string) => {
      const { envoy, w } = imp(text);
      const v = new Clock(w.catalog);
      let together = 0;
      for (let i = 0; i < 400; i++)
        if (drive(envoy, v, request(i), [200]).tried[0] === "together") together++;
      return together / 400;
    };
    expect(share(lb("ROUND_ROBIN"))).toBe(0.5);
    expect(imp(lb("ROUND_ROBIN", 3)).warnings.join()).toMatch(/weighted random/);
    expect(share(lb("ROUND_ROBIN", 3))).toBeGreaterThan(0.65);
    expect(share(lb("RANDOM", 3))).toBeLessThan(0.6);
    expect(
      imp(lb("LEAST_REQUEST", 1, "least_request_lb_config: { choice_count: 3 }")).warnings.join(),
    ).toMatch(/choice_count 3/);
    expect(imp(lb("RING_HASH")).warnings.join()).toMatch(/consistent hashing/);
    expect(thrown(() => imp(lb("CLUSTER_PROVIDED"))).problems[0].path).toBe("lb_policy");
    const typed = `
name: c
load_balancing_policy:
  policies:
    - typed_extension_config:
        name: envoy.load_balancing_policies.least_request
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest
          choice_count: 4
load_assignment:
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: api.groq.com } } } }] }]`;
    expect(imp(typed).warnings.join()).toMatch(/choice_count 4/);
  });

  it("a cluster without outlier_detection never ejects (Envoy builds no detector)", () => {
    const { envoy, w, warnings } = imp(`
name: c
load_assignment:
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: api.groq.com } } } }, { endpoint: { address: { socket_address: { address: api.together.xyz } } } }] }]`);
    expect(warnings.join()).toMatch(/outlier_detection absent: no host is ever ejected/);
    const v = new Clock(w.catalog);
    for (let i = 0; i < 40; i++) drive(envoy, v, request(i), [500]);
    expect(envoy.detectors.get("c")!.events).toEqual([]);
  });

  it("options.balancer is for a file without lb_policy; a file with one refuses it", () => {
    const bare = imp("consecutive_5xx: 2\n", { balancer: { kind: "p2c" } });
    expect(bare.envoy.clusters.kind).toBe("per_model");
    const e = thrown(() => imp(CLUSTER("  interval: 10s"), { balancer: { kind: "p2c" } }));
    expect(e.problems[0].path).toBe("policies[0].options.balancer");
  });
});

describe("scenario form", () => {
  it("`{name, envoy: path}` selects kind envoy; a policy naming two config files is an InputError", () => {
    const base = {
      name: "t",
      traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: M },
      providers: [{ name: "groq", model: M, price: { prompt: 1, completion: 1 } }],
    };
    const s = scenarioFromObject({ ...base, policies: [{ name: "x", envoy: "e.yaml" }] }).scenario;
    expect(s.policies[0].kind).toBe("envoy");
    const two = scenarioFromObject({
      ...base,
      policies: [{ name: "x", envoy: "e.yaml", litellm: "l.yaml" }],
    });
    const w = world([{ name: "groq" }]);
    const e = thrown(() => build(w.ctx, two.scenario.policies[0]));
    expect(e.problems[0].message).toMatch(/only one of/);
  });
});
