/** Spec test vectors TV1–TV11 and TV49: load balancing, health, sort, variants, tiers. */
import { describe, expect, it } from "vitest";
import { expectShare, Harness, scriptedRng, expectFirstShare as share } from "./fixture.js";

const N = 20_000;
const M1 = { model: "acme/m1" };

describe("TV1 (R24, R24a, R24b): inverse-square price weighting, sampling without replacement", () => {
  it("first-attempt shares are 36/49, 9/49, 4/49", () => {
    const h = new Harness();
    share(h, M1, "alpha", 36 / 49);
    share(h, M1, "beta", 9 / 49);
    share(h, M1, "gamma", 4 / 49);
  });
  it("full orders follow the sampling-without-replacement probabilities", () => {
    const h = new Harness();
    const o = h.orders(M1, N);
    const p: Record<string, number> = {
      "alpha,beta,gamma": 324 / 637,
      "alpha,gamma,beta": 144 / 637,
      "beta,alpha,gamma": 81 / 490,
      "beta,gamma,alpha": 9 / 490,
      "gamma,alpha,beta": 16 / 245,
      "gamma,beta,alpha": 4 / 245,
    };
    for (const [k, pk] of Object.entries(p)) {
      const r = expectShare(o.get(k) ?? 0, N, pk);
      expect(r.ok, `${k}: ${r.msg}`).toBe(true);
    }
  });
});

describe("TV2, TV3 (R24b): deterministic u-values", () => {
  it("TV2: u = 0.80, 0.95 → B, C, A", () => {
    expect(new Harness().order(M1, scriptedRng([0.8, 0.95]))).toEqual(["beta", "gamma", "alpha"]);
  });
  it("TV3: u = 0.50, 0.50 → A, B, C", () => {
    expect(new Harness().order(M1, scriptedRng([0.5, 0.5]))).toEqual(["alpha", "beta", "gamma"]);
  });
});

describe("TV4, TV5 (R24 step 1/3, R93, R96): recent outage deprioritises", () => {
  it("TV4: B failed 20 s ago → A 0.9 / C 0.1 first, B always last", () => {
    const h = new Harness();
    h.now = 20_000;
    h.health.failures.set(h.id("beta"), [0]);
    const o = h.orders(M1, N);
    for (const k of o.keys()) expect(k.endsWith("beta")).toBe(true);
    const r = expectShare(o.get("alpha,gamma,beta") ?? 0, N, 0.9);
    expect(r.ok, r.msg).toBe(true);
  });
  it("TV5: a failure 31 s ago no longer counts; 29 s ago still does", () => {
    const h = new Harness();
    h.now = 31_000;
    h.health.failures.set(h.id("beta"), [0]);
    share(h, M1, "beta", 9 / 49);
    h.now = 29_000;
    expect(h.firsts(M1, 2000).get("beta") ?? 0).toBe(0);
  });
});

describe("TV6 (R26, R93): legacy v1 — 1/price, 10 s window", () => {
  it("healthy: 6/11, 3/11, 2/11", () => {
    const h = new Harness({ lbMode: "v1" });
    share(h, M1, "alpha", 6 / 11);
    share(h, M1, "beta", 3 / 11);
    share(h, M1, "gamma", 2 / 11);
  });
  it("B failing 5 s ago → A 3/4, C 1/4, B last; 11 s ago → healthy again", () => {
    const h = new Harness({ lbMode: "v1" });
    h.now = 5_000;
    h.health.failures.set(h.id("beta"), [0]);
    const o = h.orders(M1, N);
    for (const k of o.keys()) expect(k.endsWith("beta")).toBe(true);
    share(h, M1, "alpha", 3 / 4);
    h.now = 11_000;
    share(h, M1, "beta", 3 / 11);
  });
});

describe("TV7–TV10 (R23, R28, R36, R37, R43): sort mode and variants", () => {
  it("TV7: sort price → A, B, C even with B failing (sortConsidersHealth false)", () => {
    const h = new Harness();
    h.now = 5_000;
    h.health.failures.set(h.id("beta"), [0]);
    for (let i = 0; i < 20; i++)
      expect(h.order({ ...M1, provider: { sort: "price" } })).toEqual(["alpha", "beta", "gamma"]);
    const strict = new Harness({ sortConsidersHealth: true });
    strict.now = 5_000;
    strict.health.failures.set(strict.id("beta"), [0]);
    expect(strict.order({ ...M1, provider: { sort: "price" } })).toEqual(["alpha", "gamma", "beta"]);
  });
  it("TV8: sort throughput → B, A, C; TV9: sort latency → B, A, C", () => {
    const h = new Harness();
    expect(h.order({ ...M1, provider: { sort: "throughput" } })).toEqual(["beta", "alpha", "gamma"]);
    expect(h.order({ ...M1, provider: { sort: { by: "latency" } } })).toEqual(["beta", "alpha", "gamma"]);
  });
  it("TV10: :nitro = TV8, :floor = TV7 (variant sort disables LB, R43)", () => {
    const h = new Harness();
    for (let i = 0; i < 20; i++) {
      expect(h.order({ model: "acme/m1:nitro" })).toEqual(["beta", "alpha", "gamma"]);
      expect(h.order({ model: "acme/m1:floor" })).toEqual(["alpha", "beta", "gamma"]);
    }
  });
  it("R38: an explicit sort wins over the variant", () => {
    const h = new Harness();
    expect(h.order({ model: "acme/m1:nitro", provider: { sort: "price" } })).toEqual([
      "alpha",
      "beta",
      "gamma",
    ]);
  });
  it("R28: sortStat p90 and missing stats last", () => {
    const h = new Harness({ sortStat: "p90" });
    expect(h.order({ ...M1, provider: { sort: "latency" } })).toEqual(["beta", "alpha", "gamma"]);
    const m4 = new Harness({ sortStat: "p90" });
    // m4 endpoints only have p50 throughput: all missing p90 → canonical order kept.
    expect(m4.order({ model: "acme/m4", service_tier: "priority", provider: { sort: "latency" } })).toEqual([
      "openai/priority",
      "openai",
    ]);
  });
});

describe("TV11 (R12, R36, R37): service tiers", () => {
  const h = new Harness();
  const m4 = (extra: Record<string, unknown> = {}) => h.order({ model: "acme/m4", ...extra });
  it("defaults admit only the default tier", () => expect(m4()).toEqual(["openai"]));
  it(":nitro admits priority, :floor admits flex", () => {
    expect(h.order({ model: "acme/m4:nitro" })).toEqual(["openai/priority", "openai"]);
    expect(h.order({ model: "acme/m4:floor" })).toEqual(["openai/flex", "openai"]);
  });
  it("sort: throughput alone admits no tier", () =>
    expect(m4({ provider: { sort: "throughput" } })).toEqual(["openai"]));
  it("service_tier flex restricts to flex; priority goes first then default", () => {
    expect(m4({ service_tier: "flex" })).toEqual(["openai/flex"]);
    expect(m4({ service_tier: "priority" })).toEqual(["openai/priority", "openai"]);
    expect(m4({ service_tier: "fast" })).toEqual(["openai/priority", "openai"]);
  });
  it("order cancels variant admission; a tier slug in order/only opts in; service_tier default cancels", () => {
    expect(h.order({ model: "acme/m4:nitro", provider: { order: ["openai"] } })).toEqual(["openai"]);
    expect(h.order({ model: "acme/m4", provider: { order: ["openai/priority"] } })).toEqual([
      "openai/priority",
      "openai",
    ]);
    expect(h.order({ model: "acme/m4", provider: { only: ["openai/flex"] } })).toEqual(["openai/flex"]);
    expect(h.order({ model: "acme/m4:floor", service_tier: "default" })).toEqual(["openai"]);
  });
  it("flex with no flex endpoints routes normally", () => {
    expect(h.order({ model: "acme/m1", service_tier: "flex", provider: { sort: "price" } })).toEqual([
      "alpha",
      "beta",
      "gamma",
    ]);
  });
});

describe("TV49 (R25, R90, R91, R92): uptime tiers", () => {
  it("94.7 % (429s excluded) → degraded: A after B and C, which keep 9:4", () => {
    const h = new Harness();
    h.health.windows.set(h.id("alpha"), { successes: 180, errors: 10, rateLimited: 10 });
    const o = h.orders(M1, N);
    for (const k of o.keys()) expect(k.endsWith("alpha")).toBe(true);
    share(h, M1, "beta", 9 / 13);
  });
  it("75 % → down, behind degraded", () => {
    const h = new Harness();
    h.health.windows.set(h.id("alpha"), { successes: 150, errors: 50, rateLimited: 0 });
    h.health.windows.set(h.id("beta"), { successes: 180, errors: 10, rateLimited: 0 });
    for (let i = 0; i < 50; i++) expect(h.order(M1, undefined)).toEqual(["gamma", "beta", "alpha"]);
  });
  it("fewer than 100 counted requests → normal", () => {
    const h = new Harness();
    h.now = 100_000;
    h.health.windows.set(h.id("alpha"), { successes: 0, errors: 60, rateLimited: 0 });
    h.health.failures.set(h.id("alpha"), [50_000]);
    share(h, M1, "alpha", 36 / 49);
  });
  it("uptimeTiers.enabled false ignores uptime", () => {
    const h = new Harness({ uptimeTiers: { enabled: false } });
    h.health.windows.set(h.id("alpha"), { successes: 150, errors: 50, rateLimited: 0 });
    share(h, M1, "alpha", 36 / 49, 5000);
  });
});
