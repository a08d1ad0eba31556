/**
 * LiteLLM retries and fallbacks as router.py f292d1ae runs them (docs/gateways.md §1.2): the
 * backoff sleep, the single retry-refusal check, retry_policy by exception class, and the
 * context-window / content-policy fallback lists.
 */
import { describe, expect, it } from "vitest";
import { errorClass } from "../../src/policies/litellm/errors.js";
import type { LiteRouter } from "../../src/policies/litellm/policy.js";
import {
  build,
  Clock,
  drivePlan,
  type LiteDep,
  liteWorld,
  type P,
  request,
  world,
} from "../support/gateways.js";

const M8 = "meta-llama/llama-3.1-8b-instruct";

function lite(providers: P[], deps: LiteDep[], router: Record<string, unknown> = {}) {
  const w = liteWorld(providers, deps, router);
  return { ...w, r: w.b.policy as LiteRouter };
}

const ONE: P[] = [{ name: "a" }];
const oneDep: LiteDep[] = [{ model: "a/x" }];
const AB: P[] = [{ name: "a" }, { name: "b" }];
const abDeps: LiteDep[] = [{ model: "a/x" }, { model: "b/x" }];

/** Sleep bounds (ms) for backoff exponent n: 0.5 s·2^n, at most 8 s, plus jitter in [0, 0.75 s]. */
const backoff = (n: number): [number, number] => {
  const base = Math.min(500 * 2 ** n, 8000);
  return [base, base + 750];
};

function within(x: number, [lo, hi]: [number, number]) {
  expect(x).toBeGreaterThanOrEqual(lo);
  expect(x).toBeLessThanOrEqual(hi);
}

describe("§1.2 retry delay", () => {
  it("§1.2 retry delay: n = 0 before retry 1 and after the k-th failed retry n = k − 1; it also sleeps after the last failed retry", () => {
    const { b, v } = lite(ONE, oneDep, { num_retries: 3 });
    const res = drivePlan(b, v, request(0), [500, 500, 500, 500]);
    expect(res.steps.map((s) => s.tag)).toEqual(["a", "a", "a", "a", null]);
    const sleeps = res.steps.slice(1).map((s) => s.delayMs);
    within(sleeps[0], backoff(0)); // before retry 1
    within(sleeps[1], backoff(0)); // after retry 1
    within(sleeps[2], backoff(1)); // after retry 2
    within(sleeps[3], backoff(2)); // after retry 3, the last: the error comes after this sleep
    expect(res.final).toEqual({ status: 500, code: "server" });
    expect(res.ms).toBe(4 * 100 + sleeps.reduce((a, x) => a + x, 0));
  });

  it("§1.2 retry delay: the jitter is added (0.5 s + 0.75·U), never multiplied; the 8 s cap applies before it", () => {
    const { b, v } = lite(ONE, oneDep, { num_retries: 6 });
    const first: number[] = [];
    for (let i = 0; i < 300; i++) {
      const res = drivePlan(b, v, request(i), [500, 200]);
      first.push(res.steps[1].delayMs);
    }
    // Additive jitter keeps every first sleep in [500, 1250] ms; a multiplicative (1 − 0.75u) one
    // would reach down to 125 ms. 300 uniform draws fill both ends of the range.
    expect(Math.min(...first)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...first)).toBeLessThanOrEqual(1250);
    expect(Math.min(...first)).toBeLessThan(600);
    expect(Math.max(...first)).toBeGreaterThan(1150);
    const long = drivePlan(b, v, request(1000), Array(7).fill(500));
    // After retry 6 (n = 5): 0.5·32 = 16 s, capped at 8 s, plus jitter.
    within(long.steps[7].delayMs, backoff(5));
  });

  it("§1.2 retry delay: Retry-After (0 < ra ≤ 60 s) of the group's FIRST exception sets every sleep, plus jitter", () => {
    // Provider a has rpm 30: a rate-limit 429 carries Retry-After 2 s.
    const first429 = lite([{ name: "a", rpm: 30 }], oneDep, { num_retries: 2 });
    const res = drivePlan(first429.b, first429.v, request(0), [429, 500, 500]);
    for (const s of res.steps.slice(1)) within(s.delayMs, [2000, 2750]);
    // A later 429 with a hint does not change the sleeps: the first exception had none.
    const later = lite([{ name: "a", rpm: 30 }], oneDep, { num_retries: 2 });
    const r2 = drivePlan(later.b, later.v, request(0), [500, 429, 429]);
    within(r2.steps[2].delayMs, backoff(0));
    within(r2.steps[3].delayMs, backoff(1));
  });

  it("§1.2 retry delay: retry_after is the minimum of the exponential sleep (still capped at 8 s), not of a Retry-After sleep", () => {
    const floor = lite(ONE, oneDep, { num_retries: 1, retry_after: 3 });
    within(drivePlan(floor.b, floor.v, request(0), [500, 200]).steps[1].delayMs, [3000, 3750]);
    const big = lite(ONE, oneDep, { num_retries: 1, retry_after: 20 });
    within(drivePlan(big.b, big.v, request(0), [500, 200]).steps[1].delayMs, [8000, 8750]);
    const hinted = lite([{ name: "a", rpm: 30 }], oneDep, { num_retries: 1, retry_after: 5 });
    within(drivePlan(hinted.b, hinted.v, request(0), [429, 200]).steps[1].delayMs, [2000, 2750]);
  });

  it("§1.2 retry delay: 0 with several deployments while one is healthy; the backoff once none is", () => {
    // allowed_fails 0 (v1 path): every failure cools its deployment for 60 s.
    const { b, v } = lite(AB, abDeps, { num_retries: 2, allowed_fails: 0, cooldown_time: 60 });
    const res = drivePlan(b, v, request(0), [500, 500]);
    expect(res.steps[1].delayMs).toBe(0); // one deployment left healthy
    expect(new Set(res.tried)).toEqual(new Set(["a", "b"]));
    // Retry 2 finds no healthy deployment: no provider call, after a backoff sleep (n = 0).
    within(res.steps[2].delayMs, backoff(0));
    expect(res.steps[2].tag).toBeNull();
    // ... and the sleep after it (the last retry, n = 1) comes before the error.
    within(res.steps[3].delayMs, backoff(1));
    expect(res.steps.length).toBe(4);
    expect(res.final).toEqual({ status: 500, code: "server" });
  });

  it("§1.2 retry delay: fallbacks start only after the sleep that follows the last failed retry", () => {
    const { b, v } = lite(
      [{ name: "a" }, { name: "c", model: M8 }],
      [
        { model: "a/x", group: "one" },
        { model: "c/y", group: "two" },
      ],
      { num_retries: 1, fallbacks: [{ one: ["two"] }] },
    );
    const res = drivePlan(b, v, request(0, { model: "one" }), [500, 500, 200]);
    expect(res.tried).toEqual(["a", "a", "c"]);
    within(res.steps[1].delayMs, backoff(0));
    within(res.steps[2].delayMs, backoff(0)); // after retry 1 (n = 0), then the fallback group
  });
});

describe("§1.2 when a retry is refused", () => {
  it("§1.2 when a retry is refused: checked once after the first failure; a non-retryable status inside the loop does not stop it", () => {
    // Cooldowns off: a 401 would otherwise cool the only deployment (§1.4 step 3).
    const { b, v } = lite(ONE, oneDep, { num_retries: 3, disable_cooldowns: true });
    const res = drivePlan(b, v, request(0), [500, 400, 401, 200]);
    expect(res.tried).toEqual(["a", "a", "a", "a"]);
    expect(res.final).toBeNull();
    // The same statuses first: no retry at all.
    expect(drivePlan(b, v, request(1), [400, 200]).attempts.length).toBe(1);
    expect(drivePlan(b, v, request(2), [401, 200]).attempts.length).toBe(1); // 401, single deployment
    expect(drivePlan(b, v, request(3), [404, 200]).attempts.length).toBe(1);
  });

  it("§1.2 when a retry is refused: no healthy deployment after the first failure means no retry and no sleep", () => {
    const { b, v } = lite(ONE, oneDep, { num_retries: 3, allowed_fails: 0, cooldown_time: 60 });
    const res = drivePlan(b, v, request(0), [500]);
    expect(res.steps).toEqual([{ delayMs: 0, tag: "a" }]);
    expect(res.final).toEqual({ status: 500, code: "server" });
  });

  it("§1.2 when a retry is refused: the refusal comes before retry_policy, which cannot override it", () => {
    const { b, v } = lite(ONE, oneDep, {
      num_retries: 0,
      disable_cooldowns: true,
      retry_policy: { AuthenticationErrorRetries: 3, BadRequestErrorRetries: 3 },
    });
    expect(drivePlan(b, v, request(0), [401, 200]).attempts.length).toBe(1);
    expect(drivePlan(b, v, request(1), [400, 200]).attempts.length).toBe(1);
    expect(b.warnings.join("\n")).toMatch(
      /retry_policy\.BadRequestErrorRetries not simulated: a 400\/422\/451 is never retried/,
    );
  });

  it("§1.2 when a retry is refused: a retry that finds no healthy deployment counts as a retry (no provider call), and the loop goes on", () => {
    // v1 allowed_fails 0: each failure cools its deployment for 1.3 s. Both fail at t = 0; retry 2
    // comes after a sleep of at most 1.25 s, while both are cooled; retry 3 after ≥ 1 s more.
    const { b, v } = lite(AB, abDeps, { num_retries: 4, allowed_fails: 0, cooldown_time: 1.3 });
    const res = drivePlan(b, v, request(0), [{ status: 500, ms: 0 }, { status: 500, ms: 0 }, 200]);
    expect(res.steps.map((s) => s.tag === null)).toEqual([false, false, true, false]);
    within(res.steps[2].delayMs, backoff(0));
    within(res.steps[3].delayMs, backoff(1)); // n counts the empty retry
    expect(res.final).toBeNull();
    expect(res.attempts.length).toBe(3);
  });
});

describe("§1.2 retry_policy by exception class", () => {
  it("§1.2 retry_policy: the OpenAI-compatible class of each status", () => {
    const cls = (s: number) => errorClass(s);
    expect([400, 422, 401, 404, 408, 429, 500, 503, 504, 502, 403, 409].map(cls)).toEqual([
      "bad_request",
      "bad_request",
      "auth",
      "not_found",
      "timeout",
      "rate_limit",
      "internal_server",
      "api_error",
      "timeout",
      "api_error",
      "api_error",
      "api_error",
    ]);
  });

  it("§1.2 retry_policy: InternalServerErrorRetries applies to 500 only; 502 and 503 use num_retries; 504 uses TimeoutErrorRetries", () => {
    const { b, v } = lite(AB, abDeps, {
      num_retries: 1,
      disable_cooldowns: true,
      retry_policy: { InternalServerErrorRetries: 3, TimeoutErrorRetries: 0 },
    });
    const tries = (status: number, id: number) =>
      drivePlan(b, v, request(id), Array(6).fill(status)).attempts.length;
    expect(tries(500, 0)).toBe(4);
    expect(tries(502, 1)).toBe(2);
    expect(tries(503, 2)).toBe(2);
    expect(tries(504, 3)).toBe(1);
    expect(tries(408, 4)).toBe(1);
  });

  it("§1.2 retry_policy: the first exception's class fixes the count; later failures do not change it", () => {
    const { b, v } = lite(AB, abDeps, {
      num_retries: 0,
      disable_cooldowns: true,
      retry_policy: { RateLimitErrorRetries: 2 },
    });
    const res = drivePlan(b, v, request(0), [{ status: 429, error: "queue_full" }, 500, 500, 500]);
    expect(res.attempts.length).toBe(3);
    expect(drivePlan(b, v, request(1), [500, 429, 200]).attempts.length).toBe(1);
  });

  it("§1.2 allowed_fails_policy uses the same classes: InternalServerErrorAllowedFails counts 500s only", () => {
    const deps: LiteDep[] = [
      { model: "a/x", weight: 1 },
      { model: "b/x", weight: 0 },
    ];
    const policy = { InternalServerErrorAllowedFails: 1, TimeoutErrorAllowedFails: 2 };
    const coolsAfter = (status: number) => {
      const { b, v, r } = lite(AB, deps, { num_retries: 0, allowed_fails_policy: policy });
      for (let i = 0; i < 10; i++) {
        drivePlan(b, v, request(i), [status]);
        if (r.cooldowns.length > 0) return i + 1;
      }
      return -1;
    };
    expect(coolsAfter(500)).toBe(2); // 1 allowed, cooled on the 2nd
    expect(coolsAfter(503)).toBe(4); // no field: allowed_fails 3
    expect(coolsAfter(502)).toBe(4);
    expect(coolsAfter(504)).toBe(3); // Timeout
  });

  it("§1.4 step 4: a per-class allowed-fails of 0 falls back to allowed_fails (`policy or allowed_fails`)", () => {
    const { b, v, r } = lite(
      AB,
      [
        { model: "a/x", weight: 1 },
        { model: "b/x", weight: 0 },
      ],
      { num_retries: 0, allowed_fails: 1, allowed_fails_policy: { InternalServerErrorAllowedFails: 0 } },
    );
    drivePlan(b, v, request(0), [500]);
    expect(r.cooldowns.length).toBe(0);
    drivePlan(b, v, request(1), [500]);
    expect(r.cooldowns.length).toBe(1);
  });
});

describe("§1.2 context_window_fallbacks / content_policy_fallbacks", () => {
  const P3: P[] = [{ name: "a", context: 1000 }, { name: "b" }, { name: "c", model: M8, context: 100_000 }];
  const deps: LiteDep[] = [
    { model: "a/x", group: "short" },
    { model: "b/x", group: "other" },
    { model: "c/y", group: "long" },
  ];
  const tooLong = (id: number) => request(id, { model: "short", prompt: 5000 });

  it("§1.2 specific fallbacks: list absent → the generic fallbacks apply", () => {
    const { b, v } = lite(P3, deps, { fallbacks: [{ short: ["long"] }] });
    expect(drivePlan(b, v, tooLong(0), [200]).tried).toEqual(["c"]);
    // An empty list counts as absent (`[] or litellm.context_window_fallbacks` is None).
    const empty = lite(P3, deps, { fallbacks: [{ short: ["long"] }], context_window_fallbacks: [] });
    expect(drivePlan(empty.b, empty.v, tooLong(0), [200]).tried).toEqual(["c"]);
  });

  it("§1.2 specific fallbacks: list present without the group → the original error, generic fallbacks NOT tried (no '*')", () => {
    const { b, v } = lite(P3, deps, {
      fallbacks: [{ short: ["long"] }],
      context_window_fallbacks: [{ other: ["long"] }, { "*": ["long"] }],
    });
    const res = drivePlan(b, v, tooLong(0), [200]);
    expect(res.d).toEqual({ kind: "reject", status: 400, code: "context_length_exceeded" });
  });

  it("§1.2 specific fallbacks: present with the group → that list", () => {
    const { b, v } = lite(P3, deps, { context_window_fallbacks: [{ short: ["long"] }] });
    expect(drivePlan(b, v, tooLong(0), [200]).tried).toEqual(["c"]);
  });

  it("§1.2 specific fallbacks: content_policy_fallbacks (status 451) follow the same rule", () => {
    const req = (id: number) => request(id, { model: "other" });
    const absent = lite(P3, deps, { fallbacks: [{ other: ["long"] }] });
    expect(drivePlan(absent.b, absent.v, req(0), [451, 200]).tried).toEqual(["b", "c"]);
    const without = lite(P3, deps, {
      fallbacks: [{ other: ["long"] }],
      content_policy_fallbacks: [{ short: ["long"] }],
    });
    const res = drivePlan(without.b, without.v, req(0), [451, 200]);
    expect(res.tried).toEqual(["b"]);
    expect(res.final).toEqual({ status: 451, code: "invalid_request" });
  });

  it("§1.3 litellm_settings.context_window_fallbacks applies when router_settings has none", () => {
    const w = world(P3);
    const model_list = deps.map((d) => ({ model_name: d.group, litellm_params: { model: d.model } }));
    const built = build(w.ctx, {
      kind: "litellm",
      options: {
        model_list,
        router_settings: { context_window_fallbacks: [] },
        litellm_settings: { context_window_fallbacks: [{ short: ["long"] }] },
      },
    });
    expect((built.policy as LiteRouter).cfg.contextWindowFallbacks?.get("short")).toEqual(["long"]);
    expect(drivePlan(built, new Clock(w.catalog), tooLong(0), [200]).tried).toEqual(["c"]);
  });

  it("§1.2 fallbacks: the client gets the primary group's FIRST error, not its last retry's", () => {
    const { b, v } = lite(
      [{ name: "a" }, { name: "c", model: M8 }],
      [
        { model: "a/x", group: "one" },
        { model: "c/y", group: "two" },
      ],
      { num_retries: 1, fallbacks: [{ one: ["two"] }], retry_after: 0 },
    );
    const res = drivePlan(b, v, request(0, { model: "one" }), [503, 500, 502, 502]);
    expect(res.tried).toEqual(["a", "a", "c", "c"]);
    expect(res.final).toEqual({ status: 503, code: "provider_overloaded" });
  });
});
