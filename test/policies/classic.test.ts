import { describe, expect, it } from "vitest";
import { InputError } from "../../src/scenario/errors.js";
import { build, Clock, count, drive, request, world } from "../support/gateways.js";

const three = [
  { name: "a", prompt: 3 },
  { name: "b", prompt: 1 },
  { name: "c", prompt: 2 },
];

function picks(kind: string, options: Record<string, unknown>, n: number, setup?: (v: Clock) => void) {
  const { catalog, ctx } = world(three);
  const p = build(ctx, { kind, options }).policy;
  const v = new Clock(catalog);
  setup?.(v);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(drive(p, v, request(i), [200]).tried[0]);
  return out;
}

describe("classic balancers (hand-computed cases)", () => {
  it("round robin cycles through the endpoints in catalog order", () => {
    expect(picks("round_robin", {}, 7)).toEqual(["a", "b", "c", "a", "b", "c", "a"]);
  });

  it("weighted random follows the weights; missing tags weigh 1, weight 0 is never picked", () => {
    // Expected shares 3/4, 1/4, 0. n = 4000: sd of a share ≈ 0.0068, bound 0.04 is ~6 sd.
    const c = count(picks("weighted_random", { weights: { a: 3, c: 0 } }, 4000));
    expect(c.c).toBeUndefined();
    expect(c.a / 4000).toBeGreaterThan(0.71);
    expect(c.a / 4000).toBeLessThan(0.79);
  });

  it("weighted random rejects an unknown endpoint tag with its path", () => {
    const { ctx } = world(three);
    expect(() => build(ctx, { kind: "weighted_random", options: { weights: { zeta: 1 } } })).toThrow(
      /policies\[0\]\.options\.weights\.zeta: unknown endpoint tag "zeta"/,
    );
  });

  it("strict options: an unknown key is an InputError with its path", () => {
    const { ctx } = world(three);
    try {
      build(ctx, { kind: "p2c", options: { by: "latency", bogus: 1 } });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).problems[0].path).toMatch(/^policies\[0\]\.options/);
    }
  });

  it("least outstanding picks the minimum in-flight count, ties at random", () => {
    const c = count(
      picks("least_outstanding", {}, 400, (v) => {
        v.health.inflightN.set(0, 5);
        v.health.inflightN.set(1, 2);
        v.health.inflightN.set(2, 2);
      }),
    );
    expect(c.a).toBeUndefined();
    // b and c tie: each ~200 of 400, sd 10; 150 is 5 sd away.
    expect(c.b).toBeGreaterThan(150);
    expect(c.c).toBeGreaterThan(150);
  });

  it("p2c never picks the worst of three (it loses every pair), the other two split evenly", () => {
    const c = count(
      picks("p2c", { by: "inflight" }, 600, (v) => {
        v.health.inflightN.set(2, 100);
      }),
    );
    expect(c.c).toBeUndefined();
    // a vs b tie → first drawn; pairs are uniform, so each wins half: 300 ± 12 (sd); bound 5 sd.
    expect(Math.abs(c.a - 300)).toBeLessThan(62);
  });

  it("p2c on latency: the slower of any pair loses; an unmeasured endpoint counts as 0 ms", () => {
    const c = count(
      picks("p2c", { by: "latency" }, 300, (v) => {
        v.health.ewma.set(0, 100);
        v.health.ewma.set(1, 900);
      }),
    );
    // c is unmeasured (0): wins both its pairs; a beats b. Pairs {a,b},{a,c},{b,c} are equally likely.
    expect(c.b).toBeUndefined();
    expect(c.c).toBeGreaterThan(c.a);
  });

  it("lowest latency tries unmeasured endpoints first, then the lowest EWMA", () => {
    expect(
      picks("lowest_latency", {}, 3, (v) => {
        v.health.ewma.set(0, 300);
        v.health.ewma.set(1, 200);
      }),
    ).toEqual(["c", "c", "c"]);
    expect(
      picks("lowest_latency", {}, 2, (v) => {
        v.health.ewma.set(0, 300);
        v.health.ewma.set(1, 200);
        v.health.ewma.set(2, 250);
      }),
    ).toEqual(["b", "b"]);
  });

  it("cheapest picks the lowest cost for the request's tokens", () => {
    expect(picks("cheapest", {}, 2)).toEqual(["b", "b"]);
  });
});

describe("retry wrapper", () => {
  const retry = { max_retries: 2, base_ms: 100, max_ms: 1000 };

  it("retries retryable statuses on endpoints not yet tried, at most max_retries times", () => {
    const { catalog, ctx } = world(three);
    const p = build(ctx, { kind: "round_robin", options: { retry } }).policy;
    const r = drive(p, new Clock(catalog), request(0), [503, 503, 503, 200]);
    // The rotation counter is shared: pick 0 → a of [a,b,c]; pick 1 → [b,c][1] = c; pick 2 → [b][0] = b.
    expect(r.tried).toEqual(["a", "c", "b"]);
    expect(r.pending).toBe(false);
  });

  it("does not retry a status outside retry_on (400)", () => {
    const { catalog, ctx } = world(three);
    const p = build(ctx, { kind: "round_robin", options: { retry } }).policy;
    expect(drive(p, new Clock(catalog), request(0), [400, 200]).tried).toEqual(["a"]);
  });

  it("backoff with full jitter stays within [0, base·2^(n−1)]; jitter none is exact", () => {
    const { catalog, ctx } = world(three);
    const full = build(ctx, { kind: "round_robin", options: { retry } }).policy;
    for (let i = 0; i < 50; i++) {
      const d = drive(full, new Clock(catalog), request(i), [500, 500, 200]).delays;
      expect(d[1]).toBeGreaterThanOrEqual(0);
      expect(d[1]).toBeLessThan(100);
      expect(d[2]).toBeLessThan(200);
    }
    const none = build(ctx, { kind: "round_robin", options: { retry: { ...retry, jitter: "none" } } }).policy;
    expect(drive(none, new Clock(catalog), request(0), [500, 500, 200]).delays).toEqual([0, 100, 200]);
  });

  it("waits at least the Retry-After of a rate-limit 429 (60 s / rpm, whole seconds)", () => {
    const { catalog, ctx } = world([{ name: "a", rpm: 30 }, { name: "b" }]);
    const p = build(ctx, { kind: "round_robin", options: { retry } }).policy;
    const r = drive(p, new Clock(catalog), request(0), [429, 200]);
    expect(r.delays[1]).toBe(2000);
    const off = build(ctx, {
      kind: "round_robin",
      options: { retry: { ...retry, retry_after: false } },
    }).policy;
    expect(drive(off, new Clock(catalog), request(0), [429, 200]).delays[1]).toBeLessThan(100);
  });

  it("a retry budget of 0 % with no floor forbids every retry", () => {
    const { catalog, ctx } = world(three);
    const p = build(ctx, {
      kind: "round_robin",
      options: { retry: { ...retry, budget_percent: 0, min_retries_per_s: 0 } },
    }).policy;
    expect(drive(p, new Clock(catalog), request(0), [503, 200]).tried).toEqual(["a"]);
  });

  it("a 20 % budget allows one retry per five requests in the window", () => {
    const { catalog, ctx } = world(three);
    const p = build(ctx, {
      kind: "round_robin",
      options: { retry: { ...retry, budget_percent: 20, min_retries_per_s: 0 } },
    }).policy;
    const v = new Clock(catalog);
    let retried = 0;
    for (let i = 0; i < 10; i++) if (drive(p, v, request(i), [503, 200]).tried.length > 1) retried++;
    expect(retried).toBe(2);
  });
});
