/** LiteLLM Router semantics; § numbers refer to docs/gateways.md. */
import { describe, expect, it } from "vitest";
import type { LiteRouter } from "../../src/policies/litellm/policy.js";
import { Rng } from "../../src/rng/rng.js";
import { count, drivePlan, type LiteDep, liteWorld, M, request, type world } from "../support/gateways.js";

const M8 = "meta-llama/llama-3.1-8b-instruct";

type Dep = LiteDep;

function lite(providers: Parameters<typeof world>[0], deps: Dep[], router: Record<string, unknown> = {}) {
  const w = liteWorld(providers, deps, router);
  return { ...w, r: w.b.policy as LiteRouter };
}

const AB = [{ name: "a" }, { name: "b" }];
const abDeps: Dep[] = [{ model: "a/x" }, { model: "b/x" }];

describe("LiteLLM routing strategies (§1.5)", () => {
  it("simple-shuffle: probability weight / Σ weights of healthy deployments", () => {
    const { v, b } = lite(
      AB,
      [
        { model: "a/x", weight: 3 },
        { model: "b/x", weight: 1 },
      ],
      { num_retries: 0 },
    );
    // 4000 draws, expected 3/4 for a: sd 0.0068, bound 0.04.
    const c = count(Array.from({ length: 4000 }, (_, i) => drivePlan(b, v, request(i), [200]).tried[0]));
    expect(c.a / 4000).toBeGreaterThan(0.71);
    expect(c.a / 4000).toBeLessThan(0.79);
  });

  it("simple-shuffle weight quirk (§1.1 ⚠): healthy[0] has a weight, so a deployment without one gets 0", () => {
    const { v, b } = lite(AB, [{ model: "a/x", weight: 1 }, { model: "b/x" }], { num_retries: 0 });
    const c = count(Array.from({ length: 200 }, (_, i) => drivePlan(b, v, request(i), [200]).tried[0]));
    expect(c).toEqual({ a: 200 });
  });

  it("simple-shuffle falls back to rpm weights when healthy[0] has no weight", () => {
    const { v, b } = lite(
      AB,
      [
        { model: "a/x", rpm: 900 },
        { model: "b/x", rpm: 100, weight: 5 },
      ],
      { num_retries: 0 },
    );
    // weight of b is ignored (healthy[0] has none); rpm 900:100 → a ≈ 0.9 (sd 0.0095 at n=1000).
    const c = count(Array.from({ length: 1000 }, (_, i) => drivePlan(b, v, request(i), [200]).tried[0]));
    expect(c.a / 1000).toBeGreaterThan(0.86);
    expect(c.a / 1000).toBeLessThan(0.94);
  });

  it("least-busy: fewest requests in flight, first deployment on ties", () => {
    const { r, v, b } = lite(AB, abDeps, { routing_strategy: "least-busy", num_retries: 0 });
    // Request 0 starts on a (tie → first) and stays in flight; request 1 goes to b.
    const d0 = r.route(request(0), v, new Rng(1));
    expect(d0.kind === "route" && d0.candidates[0]).toBe(0);
    expect(drivePlan(b, v, request(1), [200]).tried).toEqual(["b"]);
  });

  it("latency-based: unmeasured deployments win; then the lowest s/token, with lowest_latency_buffer widening the pick", () => {
    const { v, b } = lite(AB, abDeps, { routing_strategy: "latency-based-routing", num_retries: 0 });
    // Both unmeasured (0): the first pick is random. It takes 1 s for 100 tokens = 0.01 s/token.
    const x = drivePlan(b, v, request(0), [{ status: 200, ms: 1000 }]).tried[0];
    // The other one is still unmeasured, so it wins; it measures 0.02 s/token.
    const y = drivePlan(b, v, request(1), [{ status: 200, ms: 2000 }]).tried[0];
    expect(y).not.toBe(x);
    // Buffer 0: only the fastest mean.
    const c = count(
      Array.from(
        { length: 50 },
        (_, i) => drivePlan(b, v, request(10 + i), [{ status: 200, ms: 1000 }]).tried[0],
      ),
    );
    expect(c).toEqual({ [x]: 50 });
    const wide = lite(AB, abDeps, {
      routing_strategy: "latency-based-routing",
      routing_strategy_args: { lowest_latency_buffer: 1.5 },
      num_retries: 0,
    });
    drivePlan(wide.b, wide.v, request(0), [{ status: 200, ms: 1000 }]); // first measured deployment
    drivePlan(wide.b, wide.v, request(1), [{ status: 200, ms: 2000 }]); // the other one (unmeasured wins)
    const cw = count(
      Array.from(
        { length: 200 },
        (_, i) => drivePlan(wide.b, wide.v, request(10 + i), [{ status: 200, ms: 1500 }]).tried[0],
      ),
    );
    // 0.02 ≤ 2.5 × 0.01: both stay candidates for a while, so both are picked.
    expect(Object.keys(cw).sort()).toEqual(["a", "b"]);
  });

  it("latency-based: a timeout records a 1000 s penalty sample (§1.5)", () => {
    const { v, b } = lite(AB, abDeps, { routing_strategy: "latency-based-routing", num_retries: 0 });
    // Measure both, then a times out: afterwards only b is chosen.
    drivePlan(b, v, request(0), [{ status: 200, ms: 100 }]);
    drivePlan(b, v, request(1), [{ status: 200, ms: 100 }]);
    const firstTag = drivePlan(b, v, request(2), [{ status: 408, error: "timeout" }]).tried[0];
    const other = firstTag === "a" ? "b" : "a";
    const c = count(Array.from({ length: 20 }, (_, i) => drivePlan(b, v, request(10 + i), [200]).tried[0]));
    expect(c).toEqual({ [other]: 20 });
  });

  it("usage-based-v2: lowest tpm used this minute; selection stops at rpm − 1 (§1.5 ⚠ ≥)", () => {
    const { v, b } = lite(
      AB,
      [
        { model: "a/x", rpm: 3 },
        { model: "b/x", rpm: 100 },
      ],
      {
        routing_strategy: "usage-based-routing-v2",
        num_retries: 0,
      },
    );
    const tried = Array.from({ length: 6 }, (_, i) => drivePlan(b, v, request(i), [200]).tried[0]);
    // Each success adds 200 tokens; the lower tpm wins, ties at random; a serves at most 2 in the minute.
    expect(tried.filter((t) => t === "a").length).toBeLessThanOrEqual(2);
    expect(tried.filter((t) => t === "a").length).toBeGreaterThanOrEqual(1);
    v.now = 60_000; // new calendar minute resets the counters
    const next = count(Array.from({ length: 4 }, (_, i) => drivePlan(b, v, request(20 + i), [200]).tried[0]));
    expect(next.a).toBeGreaterThanOrEqual(1);
  });

  it("usage-based-v2: nothing under budget → 429 No deployments available before any provider call", () => {
    const none = lite([{ name: "a" }], [{ model: "a/x", rpm: 2 }], {
      routing_strategy: "usage-based-routing-v2",
      num_retries: 0,
    });
    expect(drivePlan(none.b, none.v, request(0), [200]).tried).toEqual(["a"]);
    const d = drivePlan(none.b, none.v, request(1), [200]).d;
    expect(d).toEqual({ kind: "reject", status: 429, code: "no_deployments_available" });
    // With retries: the deployment is not cooled down, so the RateLimitError is retried after its
    // Retry-After of 60 s (+ jitter ≤ 0.75 s), in the next calendar minute, where it is under budget.
    const { b, v } = lite([{ name: "a" }], [{ model: "a/x", rpm: 2 }], {
      routing_strategy: "usage-based-routing-v2",
    });
    drivePlan(b, v, request(0), [200]);
    const res = drivePlan(b, v, request(1), [200]);
    expect(res.tried).toEqual(["a"]);
    expect(res.steps[0].tag).toBe("a");
    expect(res.steps[0].delayMs).toBeGreaterThanOrEqual(60_000);
    expect(res.steps[0].delayMs).toBeLessThanOrEqual(60_750);
  });

  it("cost-based: the cheapest deployment", () => {
    const { v, b } = lite(
      [
        { name: "a", prompt: 5 },
        { name: "b", prompt: 1 },
      ],
      abDeps,
      { routing_strategy: "cost-based-routing" },
    );
    expect(drivePlan(b, v, request(0), [200]).tried).toEqual(["b"]);
  });
});

/** Two deployments, all traffic on the first (weight 0 on the second), v1 path with allowed_fails 1. */
const v1AllowedOne = () =>
  lite(
    AB,
    [
      { model: "a/x", weight: 1 },
      { model: "b/x", weight: 0 },
    ],
    { num_retries: 0, allowed_fails: 1, cooldown_time: 30 },
  );

describe("LiteLLM cooldowns (§1.4)", () => {
  it("v2: a 429 in a multi-deployment group cools the deployment at once, for cooldown_time, then it returns (not forever)", () => {
    const { r, v, b } = lite(
      AB,
      [
        { model: "a/x", weight: 1 },
        { model: "b/x", weight: 1 },
      ],
      { num_retries: 0, cooldown_time: 10 },
    );
    v.now = 1000;
    const first = drivePlan(b, v, request(0), [{ status: 429, error: "queue_full", ms: 0 }]).tried[0];
    const d = first === "a" ? 0 : 1;
    expect(r.isCooledDown(d, 1000)).toBe(true);
    expect(r.isCooledDown(d, 10_999)).toBe(true);
    expect(r.isCooledDown(d, 11_000)).toBe(false);
    v.now = 2000;
    const during = count(
      Array.from(
        { length: 20 },
        (_, i) => drivePlan(b, v, request(1 + i), [{ status: 200, ms: 0 }]).tried[0],
      ),
    );
    expect(during[first]).toBeUndefined();
    v.now = 11_000;
    const after = count(
      Array.from(
        { length: 60 },
        (_, i) => drivePlan(b, v, request(100 + i), [{ status: 200, ms: 0 }]).tried[0],
      ),
    );
    expect(after[first]).toBeGreaterThan(0);
  });

  it("v2: a single-deployment group is never cooled down for 429", () => {
    const { r, v, b } = lite([{ name: "a" }], [{ model: "a/x" }], { num_retries: 0 });
    for (let i = 0; i < 10; i++) drivePlan(b, v, request(i), [{ status: 429, error: "queue_full" }]);
    expect(r.isCooledDown(0, v.now)).toBe(false);
  });

  it("v2: failure share > 50 % cools only once the window holds ≥ 5 calls", () => {
    const { r, v, b } = lite(
      AB,
      [
        { model: "a/x", weight: 1 },
        { model: "b/x", weight: 0 },
      ],
      { num_retries: 0 },
    );
    drivePlan(b, v, request(0), [200]);
    drivePlan(b, v, request(1), [200]);
    drivePlan(b, v, request(2), [500]);
    drivePlan(b, v, request(3), [500]);
    expect(r.isCooledDown(0, v.now)).toBe(false); // 2 of 4 calls
    drivePlan(b, v, request(4), [500]);
    expect(r.isCooledDown(0, v.now)).toBe(true); // 3 of 5 calls = 60 %
  });

  it("v2: a non-retryable status (404; 401 even in a multi-deployment group) cools down at once", () => {
    const { r, v, b } = lite([{ name: "a" }], [{ model: "a/x" }], { num_retries: 0 });
    drivePlan(b, v, request(0), [404]);
    expect(r.isCooledDown(0, v.now)).toBe(true);
    const two = lite(
      AB,
      [
        { model: "a/x", weight: 1 },
        { model: "b/x", weight: 0 },
      ],
      { num_retries: 0 },
    );
    drivePlan(two.b, two.v, request(0), [401]);
    expect(two.r.isCooledDown(0, two.v.now)).toBe(true);
    // 403 is a plain 4xx: never a cooldown (§1.4 step 2).
    const f = lite([{ name: "a" }], [{ model: "a/x" }], { num_retries: 0 });
    drivePlan(f.b, f.v, request(0), [403]);
    expect(f.r.cooldowns.length).toBe(0);
  });

  it("v1 allowed_fails: allowed_fails = 1 tolerates the first failure and cools on the second (no off-by-one)", () => {
    const { r, v, b } = v1AllowedOne();
    drivePlan(b, v, request(0), [500]);
    expect(r.isCooledDown(0, v.now)).toBe(false);
    drivePlan(b, v, request(1), [500]);
    expect(r.isCooledDown(0, v.now)).toBe(true);
    expect(r.cooldowns.length).toBe(1);
  });

  it("v1: the failure counter lives cooldown_time after the latest failure; spaced failures never cool", () => {
    const { r, v, b } = v1AllowedOne();
    for (let i = 0; i < 5; i++) {
      v.now = i * 31_000;
      drivePlan(b, v, request(i), [{ status: 500, ms: 0 }]);
    }
    expect(r.cooldowns.length).toBe(0);
  });

  it("allowed_fails: 3 (the default) keeps the v2 rules (§1.2 ⚠)", () => {
    const { r } = lite(AB, abDeps, { allowed_fails: 3 });
    expect(r.cfg.v1).toBeNull();
    const { r: r2 } = lite(AB, abDeps, { allowed_fails_policy: { RateLimitErrorAllowedFails: 4 } });
    expect(r2.cfg.v1).toEqual({ allowedFails: 3, perClass: { rate_limit: 4 } });
  });

  it("cooldown length: deployment cooldown_time > Retry-After > router cooldown_time", () => {
    // a has rpm 20 → Retry-After 3 s on a rate-limit 429.
    const w = lite(
      [{ name: "a", rpm: 20 }, { name: "b" }],
      [
        { model: "a/x", weight: 1 },
        { model: "b/x", weight: 0 },
      ],
      {
        num_retries: 0,
        cooldown_time: 10,
      },
    );
    drivePlan(w.b, w.v, request(0), [{ status: 429, ms: 0 }]);
    expect(w.r.cooldownUntil[0]).toBe(3000);
    const d = lite(
      [{ name: "a", rpm: 20 }, { name: "b" }],
      [
        { model: "a/x", weight: 1, cooldown_time: 7 },
        { model: "b/x", weight: 0 },
      ],
      {
        num_retries: 0,
        cooldown_time: 10,
      },
    );
    drivePlan(d.b, d.v, request(0), [{ status: 429, ms: 0 }]);
    expect(d.r.cooldownUntil[0]).toBe(7000);
    const off = lite(
      AB,
      [
        { model: "a/x", weight: 1, cooldown_time: 0 },
        { model: "b/x", weight: 0 },
      ],
      { num_retries: 0 },
    );
    drivePlan(off.b, off.v, request(0), [{ status: 429, error: "queue_full", ms: 0 }]);
    // §1.1: cooldown_time 0 is `cooldown_time or default`, the router's 5 s, not "off".
    expect(off.r.cooldownUntil[0]).toBe(5000);
  });
});

describe("LiteLLM retries and fallbacks (§1.2)", () => {
  const withFb = [{ name: "a" }, { name: "b" }, { name: "c", model: M8 }];
  const fbDeps: Dep[] = [
    { model: "a/x", group: "big" },
    { model: "b/x", group: "big" },
    { model: "c/y", group: "small" },
  ];

  it("num_retries: retries in the group, then the fallback group; the primary's error reaches the client", () => {
    const { v, b } = lite(withFb, fbDeps, {
      num_retries: 1,
      fallbacks: [{ big: ["small"] }],
      disable_cooldowns: true,
    });
    const res = drivePlan(b, v, request(0, { model: "big" }), [503, 503, 500, 500]);
    // 1 try + 1 retry in "big", then "small" gets its own 1 + 1.
    expect(res.tried.length).toBe(4);
    expect(res.tried.slice(2)).toEqual(["c", "c"]);
    expect(res.pending).toBe(false);
    expect(res.final).toEqual({ status: 503, code: "provider_overloaded" });
  });

  it("fallbacks fire on 429 (a single-deployment group, no retries left)", () => {
    const { v, b } = lite(
      withFb.slice(0, 1).concat(withFb[2]),
      [
        { model: "a/x", group: "big" },
        { model: "c/y", group: "small" },
      ],
      {
        num_retries: 0,
        fallbacks: [{ big: ["small"] }],
      },
    );
    const res = drivePlan(b, v, request(0, { model: "big" }), [429, 200]);
    expect(res.tried).toEqual(["a", "c"]);
  });

  it("a 429 that leaves no healthy deployment skips the remaining retries and falls back", () => {
    const { v, b } = lite(withFb, fbDeps, { num_retries: 3, fallbacks: [{ big: ["small"] }] });
    // Each 429 cools its deployment at once (group of 2): a, b, then no healthy → fallback.
    const res = drivePlan(b, v, request(0, { model: "big" }), [
      { status: 429, error: "queue_full" },
      { status: 429, error: "queue_full" },
      200,
    ]);
    expect(res.tried.slice(2)).toEqual(["c"]);
    expect(new Set(res.tried.slice(0, 2))).toEqual(new Set(["a", "b"]));
  });

  it("the '*' default fallback applies to groups without their own entry", () => {
    const { v, b } = lite(withFb, fbDeps, { num_retries: 0, fallbacks: [{ "*": ["small"] }] });
    expect(drivePlan(b, v, request(0, { model: "big" }), [500, 200]).tried[1]).toBe("c");
  });

  it("retry delay: 0 s with several deployments; exponential plus additive jitter for a single deployment; Retry-After when known", () => {
    const many = lite(AB, abDeps, { num_retries: 1, disable_cooldowns: true });
    expect(drivePlan(many.b, many.v, request(0), [500, 200]).steps.map((s) => s.delayMs)).toEqual([0, 0]);
    const one = lite([{ name: "a" }], [{ model: "a/x" }], { num_retries: 2 });
    const d = drivePlan(one.b, one.v, request(0), [500, 500, 200]).steps.map((s) => s.delayMs);
    // 0.5 s·2^n + 0.75 s·u: n = 0 before retry 1 and again after it (n = k − 1) → [500, 1250] ms.
    for (const x of d.slice(1)) {
      expect(x).toBeGreaterThanOrEqual(500);
      expect(x).toBeLessThanOrEqual(1250);
    }
    const ra = lite([{ name: "a", rpm: 30 }], [{ model: "a/x" }], { num_retries: 1 });
    const raDelay = drivePlan(ra.b, ra.v, request(0), [429, 200]).steps[1].delayMs;
    expect(raDelay).toBeGreaterThanOrEqual(2000);
    expect(raDelay).toBeLessThanOrEqual(2750);
    const floor = lite([{ name: "a" }], [{ model: "a/x" }], { num_retries: 1, retry_after: 3 });
    const fl = drivePlan(floor.b, floor.v, request(0), [500, 200]).steps[1].delayMs;
    expect(fl).toBeGreaterThanOrEqual(3000);
    expect(fl).toBeLessThanOrEqual(3750);
  });

  it("a non-retryable 400 goes straight to the fallbacks", () => {
    const { v, b } = lite(withFb, fbDeps, { num_retries: 3, fallbacks: [{ big: ["small"] }] });
    expect(drivePlan(b, v, request(0, { model: "big" }), [400, 200]).tried[1]).toBe("c");
  });

  it("retry_policy overrides num_retries per error type", () => {
    const { v, b } = lite(AB, abDeps, {
      num_retries: 0,
      disable_cooldowns: true,
      retry_policy: { InternalServerErrorRetries: 2 },
    });
    expect(drivePlan(b, v, request(0), [500, 500, 500, 200]).tried.length).toBe(3);
    expect(drivePlan(b, v, request(1), [429, 200]).tried.length).toBe(1);
  });

  it("context_window_fallbacks: a request too long for the group goes to its context-window fallback without a provider call", () => {
    const { v, b } = lite(
      [
        { name: "a", context: 1000 },
        { name: "c", model: M8, context: 100_000 },
      ],
      [
        { model: "a/x", group: "short" },
        { model: "c/y", group: "long" },
      ],
      { context_window_fallbacks: [{ short: ["long"] }], fallbacks: [] },
    );
    const res = drivePlan(b, v, request(0, { model: "short", prompt: 5000 }), [200]);
    expect(res.tried).toEqual(["c"]);
    const none = lite([{ name: "a", context: 1000 }], [{ model: "a/x", group: "short" }]);
    expect(drivePlan(none.b, none.v, request(0, { model: "short", prompt: 5000 }), [200]).d).toEqual({
      kind: "reject",
      status: 400,
      code: "context_length_exceeded",
    });
  });

  it("content_policy_fallbacks: a 451 (content policy) is not retried and uses its specific list", () => {
    const { v, b } = lite(withFb, fbDeps, {
      num_retries: 3,
      content_policy_fallbacks: [{ big: ["small"] }],
      disable_cooldowns: true,
    });
    expect(drivePlan(b, v, request(0, { model: "big" }), [451, 200]).tried[1]).toBe("c");
  });

  it("every deployment cooled and no fallbacks: 429 No deployments available", () => {
    const { v, b } = lite(AB, abDeps, { num_retries: 0 });
    // The first 429 cools one deployment, so the second request can only pick the other one.
    const t0 = drivePlan(b, v, request(0), [{ status: 429, error: "queue_full", ms: 0 }]).tried[0];
    const t1 = drivePlan(b, v, request(1), [{ status: 429, error: "queue_full", ms: 0 }]).tried[0];
    expect(t1).not.toBe(t0);
    expect(drivePlan(b, v, request(2), [200]).d).toEqual({
      kind: "reject",
      status: 429,
      code: "no_deployments_available",
    });
  });

  it("requests resolve to a group by model_name or by the endpoint model they serve", () => {
    const { r } = lite(withFb, fbDeps);
    expect(r.groupFor("big")).toBe("big");
    expect(r.groupFor(M)).toBe("big");
    expect(r.groupFor(M8)).toBe("small");
    expect(r.groupFor("nope")).toBeNull();
  });

  it("closes every plan once requests end", () => {
    const { r, v, b } = lite(withFb, fbDeps, { num_retries: 2, fallbacks: [{ big: ["small"] }] });
    for (let i = 0; i < 30; i++) drivePlan(b, v, request(i, { model: "big" }), [500, 429, 503, 500, 200]);
    expect(r.plans.size).toBe(0);
  });
});
