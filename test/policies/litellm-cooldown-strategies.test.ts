/**
 * LiteLLM cooldown_time 0, zero-sum shuffle weights and least-busy's in-flight map, as router.py
 * f292d1ae and its strategy files behave (docs/gateways.md §1.1, §1.2, §1.5).
 */
import { describe, expect, it } from "vitest";
import type { LiteRouter } from "../../src/policies/litellm/policy.js";
import { Rng } from "../../src/rng/rng.js";
import type { AttemptRecord } from "../../src/types.js";
import {
  type Clock,
  count,
  drivePlan,
  type LiteDep,
  liteWorld,
  type P,
  request,
} from "../support/gateways.js";

const M8 = "meta-llama/llama-3.1-8b-instruct";

function lite(providers: P[], deps: LiteDep[], router: Record<string, unknown> = {}) {
  const w = liteWorld(providers, deps, router);
  return { ...w, r: w.b.policy as LiteRouter };
}

const AB: P[] = [{ name: "a" }, { name: "b" }];
/** All traffic on a (b has weight 0 while a is healthy). */
const aFirst: LiteDep[] = [
  { model: "a/x", weight: 1 },
  { model: "b/x", weight: 0 },
];

describe("§1.1 / §1.2 cooldown_time 0 is not 'off'", () => {
  it("§1.1 litellm_params.cooldown_time 0 → the router's cooldown_time (`cooldown_time or default`)", () => {
    const { b, v, r } = lite(
      AB,
      [
        { model: "a/x", weight: 1, cooldown_time: 0 },
        { model: "b/x", weight: 0 },
      ],
      { num_retries: 0, cooldown_time: 7 },
    );
    drivePlan(b, v, request(0), [{ status: 429, error: "queue_full", ms: 0 }]);
    expect(r.cooldowns).toEqual([[0, 0]]);
    expect(r.cooldownUntil[0]).toBe(7000);
    expect(b.warnings.join("\n")).toMatch(/litellm_params\.cooldown_time 0 means the router's cooldown_time/);
  });

  it("§1.2 router_settings.cooldown_time 0 → the default 5 s", () => {
    const { b, v, r } = lite(AB, aFirst, { num_retries: 0, cooldown_time: 0 });
    expect(r.cfg.cooldownS).toBe(5);
    drivePlan(b, v, request(0), [{ status: 429, error: "queue_full", ms: 0 }]);
    expect(r.cooldownUntil[0]).toBe(5000);
    expect(b.warnings.join("\n")).toMatch(/cooldown_time 0 means the default 5 s/);
  });

  it("§1.2 only disable_cooldowns turns cooldowns off", () => {
    const { b, v, r } = lite(AB, aFirst, { num_retries: 0, disable_cooldowns: true });
    for (let i = 0; i < 20; i++) drivePlan(b, v, request(i), [{ status: 429, error: "queue_full", ms: 0 }]);
    expect(r.cooldowns).toEqual([]);
  });

  it("§1.2 cooldown_time 0 on the v1 path: the failed_calls TTL is the default 5 s too", () => {
    const { b, v, r } = lite(AB, aFirst, { num_retries: 0, allowed_fails: 1, cooldown_time: 0 });
    drivePlan(b, v, request(0), [{ status: 500, ms: 0 }]);
    v.now = 4000; // inside 5 s: the count survives and the second failure cools
    drivePlan(b, v, request(1), [{ status: 500, ms: 0 }]);
    expect(r.cooldowns.length).toBe(1);
  });
});

describe("§1.1 zero weights", () => {
  it("§1.1 zero weights: healthy weights summing to 0 fail the pick (500, no provider call); retries are instant in a multi-deployment group", () => {
    const { b, v } = lite(
      AB,
      [
        { model: "a/x", weight: 0 },
        { model: "b/x", weight: 0 },
      ],
      { num_retries: 2 },
    );
    const res = drivePlan(b, v, request(0), [200]);
    expect(res.d).toEqual({ kind: "reject", status: 500, code: "zero_weights" });
    expect(res.attempts).toEqual([]);
  });

  it("§1.1 zero weights: a single-deployment group retries after backoff sleeps and fails after the last one", () => {
    const { b, v } = lite([{ name: "a" }], [{ model: "a/x", weight: 0 }], { num_retries: 2 });
    const res = drivePlan(b, v, request(0), [200]);
    expect(res.attempts).toEqual([]);
    expect(res.steps.map((s) => s.tag)).toEqual([null, null, null]);
    const [s1, s2, s3] = res.steps.map((s) => s.delayMs);
    for (const x of [s1, s2]) {
      expect(x).toBeGreaterThanOrEqual(500);
      expect(x).toBeLessThanOrEqual(1250);
    }
    expect(s3).toBeGreaterThanOrEqual(1000);
    expect(s3).toBeLessThanOrEqual(1750);
    expect(res.final).toEqual({ status: 500, code: "zero_weights" });
    expect(res.ms).toBe(s1 + s2 + s3);
  });

  it("§1.1 zero weights: the ValueError triggers the generic fallbacks", () => {
    const { b, v } = lite(
      [{ name: "a" }, { name: "c", model: M8 }],
      [
        { model: "a/x", weight: 0, group: "z" },
        { model: "c/y", group: "ok" },
      ],
      { num_retries: 0, fallbacks: [{ z: ["ok"] }] },
    );
    expect(drivePlan(b, v, request(0, { model: "z" }), [200]).tried).toEqual(["c"]);
  });

  it("§1.1 zero weights: a weight-0 standby never takes over; with the weighted one cooled, picks fail", () => {
    const { b, v, r } = lite(AB, aFirst, { num_retries: 0 });
    // A 429 in a two-deployment group cools a at once (§1.4 step 3).
    drivePlan(b, v, request(0), [{ status: 429, error: "queue_full", ms: 0 }]);
    expect(r.isCooledDown(0, v.now)).toBe(true);
    const res = drivePlan(b, v, request(1), [200]);
    expect(res.d).toEqual({ kind: "reject", status: 500, code: "zero_weights" });
  });

  it("§1.1 zero weights: the same for rpm used as weights", () => {
    const { b, v } = lite(
      AB,
      [
        { model: "a/x", rpm: 0 },
        { model: "b/x", rpm: 0 },
      ],
      { num_retries: 0 },
    );
    expect(drivePlan(b, v, request(0), [200]).d).toMatchObject({ kind: "reject", code: "zero_weights" });
  });
});

/** Ends an attempt `route` started: the observed record, as the router would make it. */
function finish(r: LiteRouter, v: Clock, id: number, endpoint: number, status: number): void {
  const a: AttemptRecord = {
    policy: r.name,
    requestId: id,
    attempt: 1,
    endpoint: v.catalog[endpoint],
    startMs: v.now,
    endMs: v.now,
    ttftMs: status === 200 ? 0 : Number.NaN,
    status,
    error: status === 200 ? "none" : status === 429 ? "queue_full" : "error",
    promptTokens: 100,
    completionTokens: status === 200 ? 100 : 0,
    costUsd: 0,
  };
  r.observe(a, v);
}

function start(r: LiteRouter, v: Clock, id: number, prompt = 100): number {
  const d = r.route(request(id, { prompt }), v, new Rng(1, id));
  if (d.kind !== "route") throw new Error("expected a route");
  return d.candidates[0];
}

describe("§1.5 least-busy in-flight map", () => {
  const ABC: P[] = [{ name: "a" }, { name: "b" }, { name: "c" }];
  const abc: LiteDep[] = [
    { model: "a/x", id: "a" },
    { model: "b/x", id: "b" },
    { model: "c/y", id: "c" },
  ];

  it("§1.5 least-busy: first strictly smallest count; unused healthy deployments join with 0 once the map exists", () => {
    const { r, v } = lite(ABC, abc, { routing_strategy: "least-busy", num_retries: 0 });
    const tags = [0, 1, 2, 3, 4].map((i) => v.catalog[start(r, v, i)].tag);
    expect(tags).toEqual(["a", "b", "c", "a", "b"]);
    expect(r.inflightOf("g")).toEqual([
      ["a", 2],
      ["b", 2],
      ["c", 1],
    ]);
  });

  it("§1.5 least-busy: the first-use order decides ties, not the model_list order", () => {
    // With pre-call checks, a long request fits only c, so c is the group's first call.
    const { r, v } = lite([{ name: "a", context: 1000 }, { name: "b", context: 1000 }, { name: "c" }], abc, {
      routing_strategy: "least-busy",
      num_retries: 0,
      enable_pre_call_checks: true,
    });
    const c = start(r, v, 0, 5000);
    expect(v.catalog[c].tag).toBe("c");
    finish(r, v, 0, c, 200); // {c: 0}
    // a and b join after c; all three at 0: the first entry, c, wins.
    expect(v.catalog[start(r, v, 1)].tag).toBe("c");
    expect(r.inflightOf("g").map(([id]) => id)).toEqual(["c", "a", "b"]);
  });

  it("§1.5 least-busy: a cooled-down deployment stays in the map; when it holds the minimum, random.choice over the healthy ones", () => {
    const { r, v } = lite(ABC, abc, { routing_strategy: "least-busy", num_retries: 0 });
    const ids = [0, 1, 2, 3, 4].map((i) => start(r, v, i)); // a, b, c, a, b → {a: 2, b: 2, c: 1}
    // Both calls on a fail with 429: a cools down (several deployments) and falls to 0 in flight.
    finish(r, v, 0, ids[0], 429);
    finish(r, v, 3, ids[3], 429);
    expect(r.isCooledDown(0, v.now)).toBe(true);
    expect(r.inflightOf("g")).toEqual([
      ["a", 0],
      ["b", 2],
      ["c", 1],
    ]);
    // Plain least-busy over the healthy ones would always pick c; LiteLLM picks b or c at random.
    const picks: string[] = [];
    for (let i = 0; i < 200; i++) {
      const e = start(r, v, 100 + i);
      picks.push(v.catalog[e].tag);
      finish(r, v, 100 + i, e, 200);
    }
    const c = count(picks);
    expect(c.a).toBeUndefined();
    // Binomial(200, 1/2): sd 7; bounds at ~6 sd.
    expect(c.b).toBeGreaterThan(58);
    expect(c.c).toBeGreaterThan(58);
  });

  it("§1.5 least-busy: before the group's first call, the zeros are not kept (the map does not exist yet)", () => {
    const { r, v } = lite(ABC, abc, { routing_strategy: "least-busy", num_retries: 0 });
    start(r, v, 0);
    expect(r.inflightOf("g")).toEqual([["a", 1]]);
  });
});
