/** Portkey gateway semantics; § numbers refer to docs/gateways.md. */
import { describe, expect, it } from "vitest";
import { PORTKEY_MODELLED_VERSION, type PortkeyRouter } from "../../../src/policies/portkey/policy.js";
import { Rng } from "../../../src/rng/rng.js";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import { thrownInputError } from "../../helpers.js";
import {
  build,
  Clock,
  count,
  drive,
  drivePlan,
  M,
  type Out,
  type P,
  request,
  world,
} from "../../support/gateways.js";

const ABC = [{ name: "a" }, { name: "b" }, { name: "c" }];
const leaf = (provider: string, extra: Record<string, unknown> = {}) => ({
  provider,
  api_key: "k",
  ...extra,
});

function pk(config: Record<string, unknown>, providers: P[] = ABC, spec: Record<string, unknown> = {}) {
  const w = world(providers);
  const b = build(w.ctx, { kind: "portkey", options: config, ...spec });
  const v = new Clock(w.catalog);
  // Plays one request through the plan (waits, no-call steps, the gateway's final answer).
  const play = (id: number, outcomes: Out[]) => drivePlan(b, v, request(id), outcomes);
  return { ...w, b, r: b.policy as PortkeyRouter, v, play };
}

/** The delays of the steps that made a provider call, and the waits of those that made none. */
const calls = (steps: { delayMs: number; tag: string | null }[]) =>
  steps.filter((s) => s.tag !== null).map((s) => s.delayMs);
const noCalls = (steps: { delayMs: number; tag: string | null }[]) =>
  steps.filter((s) => s.tag === null).map((s) => s.delayMs);

/** Two providers whose token-bucket 429s carry Retry-After ceil(60 / rpm) s. */
const RA = (rpmA: number, rpmB = rpmA): P[] => [
  { name: "a", rpm: rpmA },
  { name: "b", rpm: rpmB },
];
const queueFull: Out = { status: 429, error: "queue_full" };

describe("Portkey loadbalance (§2 targets[].weight)", () => {
  it("weights default to 1 and are normalised; weight 0 is never chosen", () => {
    const { r, v } = pk({
      strategy: { mode: "loadbalance" },
      targets: [leaf("a", { weight: 2 }), leaf("b"), leaf("c", { weight: 0 })],
    });
    // a: 2/3, b: 1/3. n = 3000: sd 0.0086, bound 0.045.
    const c = count(Array.from({ length: 3000 }, (_, i) => drive(r, v, request(i), [200]).tried[0]));
    expect(c.c).toBeUndefined();
    expect(Math.abs(c.a / 3000 - 2 / 3)).toBeLessThan(0.045);
  });

  it("never moves a failed request to another loadbalance target", () => {
    const { r, v } = pk({ strategy: { mode: "loadbalance" }, targets: [leaf("a"), leaf("b")] });
    const res = drive(r, v, request(0), [503, 200]);
    expect(res.tried.length).toBe(1);
    expect(res.pending).toBe(false);
  });
});

describe("Portkey fallback (§2 strategy.on_status_codes)", () => {
  it("without on_status_codes any non-2xx falls back, 4xx included", () => {
    const { r, v } = pk({ strategy: { mode: "fallback" }, targets: [leaf("a"), leaf("b"), leaf("c")] });
    expect(drive(r, v, request(0), [400, 503, 200]).tried).toEqual(["a", "b", "c"]);
  });

  it("with on_status_codes only listed statuses fall back; fallbacks fire on 429", () => {
    const { r, v } = pk({
      strategy: { mode: "fallback", on_status_codes: [429, 503] },
      targets: [leaf("a"), leaf("b")],
    });
    expect(drive(r, v, request(0), [429, 200]).tried).toEqual(["a", "b"]);
    const stop = drive(r, v, request(1), [500, 200]);
    expect(stop.tried).toEqual(["a"]);
    expect(stop.pending).toBe(false);
  });

  it("nested: fallback(loadbalance(a, b), c) — the loadbalance pick fails once, then c", () => {
    const { r, v } = pk({
      strategy: { mode: "fallback" },
      targets: [{ strategy: { mode: "loadbalance" }, targets: [leaf("a"), leaf("b")] }, leaf("c")],
    });
    const res = drive(r, v, request(0), [503, 200]);
    expect(res.tried[1]).toBe("c");
    expect(["a", "b"]).toContain(res.tried[0]);
  });

  it("single mode uses its first target", () => {
    const { r, v } = pk({ strategy: { mode: "single" }, targets: [leaf("b"), leaf("a")] });
    expect(drive(r, v, request(0), [200]).tried).toEqual(["b"]);
  });
});

describe("Portkey retry (§2 retry.*)", () => {
  it("attempts = extra tries on the same target, waiting 1 s, 2 s, 4 s", () => {
    const { r, v } = pk({ retry: { attempts: 3 }, ...leaf("a") });
    const res = drive(r, v, request(0), [503, 503, 503, 503, 200]);
    expect(res.tried).toEqual(["a", "a", "a", "a"]);
    expect(res.delays).toEqual([0, 1000, 2000, 4000]);
    expect(res.pending).toBe(false);
  });

  it("default retry codes are 429, 500, 502, 503, 504; a 400 returns at once", () => {
    const { r, v } = pk({ retry: { attempts: 2 }, ...leaf("a") });
    expect(drive(r, v, request(0), [400, 200]).tried).toEqual(["a"]);
    const custom = pk({ retry: { attempts: 2, on_status_codes: [408] }, ...leaf("a") });
    expect(drive(custom.r, custom.v, request(0), [503, 200]).tried).toEqual(["a"]);
    expect(drive(custom.r, custom.v, request(1), [408, 200]).tried).toEqual(["a", "a"]);
  });

  it("retry is inherited by nested targets; a child's own retry replaces it", () => {
    const { r, v } = pk({
      retry: { attempts: 1 },
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b", { retry: { attempts: 0 } }), leaf("c")],
    });
    expect(drive(r, v, request(0), [503, 503, 503, 200]).tried).toEqual(["a", "a", "b", "c"]);
  });

  it("request_timeout is the per-attempt timeout; the client gets the last status as is", () => {
    const { b, r, v } = pk({
      request_timeout: 5000,
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b")],
    });
    expect(b.behaviour.timeoutMs).toBe(5000);
    const res = drive(r, v, request(0), [{ status: 408, error: "timeout" }, 502]);
    expect(b.behaviour.finalError(res.attempts, 0)).toEqual({ status: 502, code: "provider_unavailable" });
    const t = drive(r, v, request(1), [502, { status: 408, error: "timeout" }]);
    expect(b.behaviour.finalError(t.attempts, 1).status).toBe(408);
  });

  it("closes every plan", () => {
    const { r, v } = pk({
      retry: { attempts: 2 },
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b")],
    });
    for (let i = 0; i < 20; i++) drive(r, v, request(i), [503, 429, 500, 503, 503, 503]);
    expect(r.plans.size).toBe(0);
  });
});

describe("Portkey all weights 0 (§2 targets[].weight)", () => {
  const zero = {
    strategy: { mode: "loadbalance" },
    targets: [leaf("a", { weight: 0 }), leaf("b", { weight: 0 })],
  };

  it("§2 every weight 0: HTTP 500 with no provider call", () => {
    const { r, v } = pk(zero);
    const d = r.route(request(0), v, new Rng(1));
    expect(d).toEqual({ kind: "reject", status: 500, code: "server" });
  });

  it("§2 a missing weight is 1 next to a weight 0", () => {
    const { r, v } = pk({
      strategy: { mode: "loadbalance" },
      targets: [leaf("a", { weight: 0 }), leaf("b")],
    });
    const c = count(Array.from({ length: 200 }, (_, i) => drive(r, v, request(i), [200]).tried[0]));
    expect(c).toEqual({ b: 200 });
  });

  it("nested: an empty loadbalance answers nothing, so fallback without on_status_codes goes on (handlerUtils FALLBACK)", () => {
    const { play } = pk({ strategy: { mode: "fallback" }, targets: [zero, leaf("c")] });
    expect(play(0, [200]).tried).toEqual(["c"]);
  });

  it("nested: with on_status_codes the empty group ends the chain; the client gets 500", () => {
    const listed = pk({ strategy: { mode: "fallback", on_status_codes: [503] }, targets: [zero, leaf("c")] });
    expect(listed.r.route(request(0), listed.v, new Rng(1))).toMatchObject({ kind: "reject", status: 500 });
    // After a call: fallback(a, empty group) answers 500, not a's 503.
    const late = pk({ strategy: { mode: "fallback" }, targets: [leaf("a"), zero] });
    const res = late.play(0, [503]);
    expect(res.tried).toEqual(["a"]);
    expect(res.final).toEqual({ status: 500, code: "server" });
  });
});

describe("Portkey retry.use_retry_after_header, source build (§2)", () => {
  it("§2 a 429 waits its Retry-After instead of the backoff; later backoffs of that target become 0", () => {
    // rpm 20 → Retry-After 3 s.
    const { play } = pk({ retry: { attempts: 3, use_retry_after_header: true }, ...leaf("a") }, RA(20));
    const res = play(0, [429, 503, 503, 200]);
    expect(calls(res.steps)).toEqual([0, 3000, 0, 0]);
    expect(res.final).toBeNull();
  });

  it("§2 the final 429 is followed by its Retry-After wait too: the request ends that much later", () => {
    const { play } = pk({ retry: { attempts: 2, use_retry_after_header: true }, ...leaf("a") }, RA(20));
    const res = play(0, [429, 429, 429]);
    expect(res.tried).toEqual(["a", "a", "a"]);
    expect(calls(res.steps)).toEqual([0, 3000, 3000]);
    expect(noCalls(res.steps)).toEqual([3000]);
    expect(res.ms).toBe(3 * 100 + 3 * 3000);
    expect(res.final).toEqual({ status: 429, code: "rate_limit_exceeded" });
  });

  it("§2 the final 429's wait comes before the next fallback target", () => {
    const { play } = pk(
      {
        strategy: { mode: "fallback" },
        retry: { attempts: 1, use_retry_after_header: true },
        targets: [leaf("a"), leaf("b")],
      },
      RA(20),
    );
    const res = play(0, [429, 429, 200]);
    expect(res.tried).toEqual(["a", "a", "b"]);
    expect(calls(res.steps)).toEqual([0, 3000, 3000]);
  });

  it("§2 the 60 s budget is per target: beyond it no wait and no retry; the next target starts fresh", () => {
    // rpm 3 → Retry-After 20 s: three waits use the 60 s, the fourth 429 ends the target at once.
    const cfg = {
      strategy: { mode: "fallback" },
      retry: { attempts: 3, use_retry_after_header: true },
      targets: [leaf("a"), leaf("b")],
    };
    const { play } = pk(cfg, RA(3));
    const res = play(0, Array(8).fill(429));
    expect(res.tried).toEqual(["a", "a", "a", "a", "b", "b", "b", "b"]);
    expect(calls(res.steps)).toEqual([0, 20_000, 20_000, 20_000, 0, 20_000, 20_000, 20_000]);
    expect(noCalls(res.steps)).toEqual([]);
    expect(res.final?.status).toBe(429);
  });

  it("§2 the zeroed backoffs are per target: the next target backs off 1 s again", () => {
    const { play } = pk(
      {
        strategy: { mode: "fallback" },
        retry: { attempts: 1, use_retry_after_header: true },
        targets: [leaf("a"), leaf("b")],
      },
      [{ name: "a", rpm: 20 }, { name: "b" }],
    );
    const res = play(0, [429, 503, 503, 200]);
    expect(calls(res.steps)).toEqual([0, 3000, 0, 1000]);
  });

  it("§2 a single value ≥ 60 s stops retrying at once and returns the 429, with no wait", () => {
    // rpm 1 → Retry-After 60 s.
    const { play } = pk({ retry: { attempts: 2, useRetryAfterHeader: true }, ...leaf("a") }, RA(1));
    const res = play(0, [429, 200]);
    expect(res.tried).toEqual(["a"]);
    expect(noCalls(res.steps)).toEqual([]);
    expect(res.final?.status).toBe(429);
  });

  it("§2 a 429 without Retry-After (queue full) and other statuses take the normal backoff", () => {
    const { play } = pk({ retry: { attempts: 3, use_retry_after_header: true }, ...leaf("a") }, RA(20));
    expect(calls(play(0, [queueFull, 503, queueFull, 200]).steps)).toEqual([0, 1000, 2000, 4000]);
  });

  it("§2 without the flag, or with attempts 0, Retry-After is not waited", () => {
    const off = pk({ retry: { attempts: 1 }, ...leaf("a") }, RA(20));
    expect(calls(off.play(0, [429, 200]).steps)).toEqual([0, 1000]);
    const none = pk({ retry: { attempts: 0, use_retry_after_header: true }, ...leaf("a") }, RA(20));
    const res = none.play(0, [429]);
    expect(res.steps).toEqual([{ delayMs: 0, tag: "a" }]);
  });

  it("§2 the plural use_retry_after_headers is ignored by gateway 1.15.2, with a warning naming it", () => {
    for (const key of ["use_retry_after_headers", "useRetryAfterHeaders"]) {
      const { b, play } = pk({ retry: { attempts: 2, [key]: true }, ...leaf("a") }, RA(20));
      expect(calls(play(0, [429, 429, 200]).steps)).toEqual([0, 1000, 2000]);
      expect(b.warnings).toEqual([
        expect.stringMatching(
          /^Portkey setting retry\.use_retry_after_headers ignored: the hosted Portkey product reads it, but gateway 1\.15\.2 reads only retry\.use_retry_after_header \(\(root\)\)$/,
        ),
        expect.stringMatching(/request_timeout is not set/),
      ]);
    }
  });
});

describe("Portkey npm package build (§2 ⚠ npm 1.15.2 lacks the async-retry patch)", () => {
  const npm = { portkey_build: "npm" };

  it("§2 npm: a 429 with Retry-After runs the normal backoff 1 s, 2 s, … and ends as 500", () => {
    const { b, r, play } = pk(
      { retry: { attempts: 2, use_retry_after_header: true }, ...leaf("a") },
      RA(20),
      npm,
    );
    expect(r.build).toBe("npm");
    expect(b.models).toBe("Portkey gateway 1.15.2 (npm package @portkey-ai/gateway, without patches/)");
    const res = play(0, [429, 429, 429]);
    expect(calls(res.steps)).toEqual([0, 1000, 2000]);
    expect(noCalls(res.steps)).toEqual([]);
    expect(res.final).toEqual({ status: 500, code: "server" });
  });

  it("§2 npm: beyond the budget it still backs off; only the final attempt's status matters", () => {
    const { play } = pk({ retry: { attempts: 2, use_retry_after_header: true }, ...leaf("a") }, RA(1), npm);
    const res = play(0, [429, 429, 503]);
    expect(calls(res.steps)).toEqual([0, 1000, 2000]);
    expect(res.final?.status).toBe(503);
  });

  it("§2 npm: a 429 without Retry-After behaves as in the source build", () => {
    const { play } = pk({ retry: { attempts: 1, use_retry_after_header: true }, ...leaf("a") }, RA(20), npm);
    const res = play(0, [queueFull, queueFull]);
    expect(calls(res.steps)).toEqual([0, 1000]);
    expect(res.final?.status).toBe(429);
  });

  it("§2 npm: the 500 is what fallback sees, so on_status_codes [429] no longer falls back", () => {
    const cfg = {
      strategy: { mode: "fallback", on_status_codes: [429] },
      retry: { attempts: 1, use_retry_after_header: true },
      targets: [leaf("a"), leaf("b")],
    };
    const source = pk(cfg, RA(20)).play(0, [429, 429, 200]);
    expect(source.tried).toEqual(["a", "a", "b"]);
    const n = pk(cfg, RA(20), npm).play(0, [429, 429, 200]);
    expect(n.tried).toEqual(["a", "a"]);
    expect(n.final?.status).toBe(500);
  });

  it("portkey_build defaults to source and accepts only source or npm", () => {
    const { b, r } = pk(leaf("a"));
    expect(r.build).toBe("source");
    expect(b.models).toBe(PORTKEY_MODELLED_VERSION);
    expect(PORTKEY_MODELLED_VERSION).toBe("Portkey gateway 1.15.2 (source build, with patches/)");
    const e = thrownInputError(() =>
      scenarioFromObject({
        name: "t",
        traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: M },
        providers: [{ name: "a", model: M, price: { prompt: 1, completion: 1 } }],
        policies: [{ name: "x", kind: "portkey", options: leaf("a"), portkey_build: "docker" }],
      }),
    );
    expect(e.problems[0].path).toBe("policies[0].portkey_build");
  });
});

describe("Portkey request_timeout (§2: no default, per attempt, inherited)", () => {
  it("§2 without request_timeout the gateway sets no timer, router.timeout_ms included, with a warning", () => {
    const { b } = pk(leaf("a"), ABC, { router: { timeout_ms: 5000, max_attempts: null } });
    expect(b.behaviour.timeoutMs).toBe(Number.POSITIVE_INFINITY);
    expect(b.warnings).toEqual([
      "Portkey request_timeout is not set and gateway 1.15.2 has no default: no timeout set: a hung provider holds the request until the client gives up (10 min, the OpenAI SDK default)",
      "router.timeout_ms (5000 ms) does not apply to Portkey policies: the gateway's only timer is request_timeout in its config",
    ]);
  });

  it("§2 a child's request_timeout overrides and is inherited; 0 means not set; leaves carry their own", () => {
    const { b, r, catalog } = pk({
      request_timeout: 5000,
      strategy: { mode: "fallback" },
      targets: [
        leaf("a"),
        {
          request_timeout: 2000,
          strategy: { mode: "fallback" },
          targets: [leaf("b"), leaf("c", { request_timeout: 0 })],
        },
      ],
    });
    const leaves: string[] = [];
    const walk = (n: PortkeyRouter["cfg"]["root"]): void => {
      if (n.kind === "leaf") leaves.push(`${catalog[n.endpoint].tag}:${n.timeoutMs}`);
      else n.targets.forEach(walk);
    };
    walk(r.cfg.root);
    expect(leaves).toEqual(["a:5000", "b:2000", "c:2000"]);
    // Each target's attempts run on its own timer: the plan carries one per step.
    const res = drive(r, new Clock(catalog), request(0), [503, 503, 200]);
    expect(res.tried).toEqual(["a", "b", "c"]);
    expect(res.d.kind === "route" && res.d.timeoutsMs).toEqual([5000, 2000, 2000]);
    expect(b.behaviour.timeoutMs).toBe(5000); // the headline for reports: the root's
    expect(b.warnings).toEqual([]);
  });

  it("§2 targets with and without a timeout: the untimed one has no timer, and a warning says where", () => {
    const { b, r, catalog } = pk({
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b", { request_timeout: 8000 })],
    });
    const res = drive(r, new Clock(catalog), request(0), [503, 200]);
    expect(res.d.kind === "route" && res.d.timeoutsMs).toEqual([Number.POSITIVE_INFINITY, 8000]);
    expect(b.behaviour.timeoutMs).toBe(8000);
    expect(b.warnings[0]).toMatch(/not set for targets\[0\]/);
  });
});

describe("Portkey settings routesim does not model (warnings)", () => {
  it("names every unmodelled key, hosted-only ones with the reason, and retries above the documented 5", () => {
    const { b } = pk({
      request_timeout: 1000,
      cache: { mode: "simple" },
      cb_config: { failure_threshold: 3 },
      strategy: { mode: "fallback", sticky: true },
      retry: { attempts: 8, backoff: "linear" },
      targets: [leaf("a", { custom_host: "http://localhost:9" }), leaf("b", { virtual_key: "vk" })],
    });
    expect(b.warnings).toEqual([
      "Portkey setting cache not simulated ((root))",
      "Portkey setting cb_config not simulated: the circuit breaker is hosted-only (gateway 1.15.2 has none) ((root))",
      "Portkey setting retry.backoff not simulated ((root))",
      "Portkey setting strategy.sticky not simulated ((root))",
      "Portkey setting custom_host not simulated: requests go to the scenario endpoint mapped from provider (targets[0])",
      "Portkey setting virtual_key not simulated: virtual keys are hosted-only (gateway 1.15.2 uses provider + api_key) (targets[1])",
      "Portkey retry.attempts 8 is above the documented maximum of 5; gateway 1.15.2 does not enforce it, so 8 retries are simulated ((root))",
    ]);
  });
});
