/** Prompt caching and billing at the router (R66–R70, R82–R88 end to end). */
import { describe, expect, it } from "vitest";
import { billUsd } from "../../src/router/billing.js";
import { ProviderCaches } from "../../src/router/cache.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import { catalogOf, runScenario } from "../policies/openrouter/fixture.js";

describe("R68, R70: billing", () => {
  const [plain, byok] = catalogOf([
    { name: "a", model: "x/m", price: { prompt: 2, completion: 4, cache_read: 0.5 } },
    { name: "a/byok", model: "x/m", price: { prompt: 2, completion: 4 }, byok: {} },
  ]);
  it("cached prompt tokens are billed at the cache-read price only", () => {
    expect(billUsd(plain, 1000, 800, 100, 0.05)).toBeCloseTo((200 * 2 + 800 * 0.5 + 100 * 4) / 1e6, 12);
  });
  it("BYOK endpoints are charged the fee share of the list price", () => {
    expect(billUsd(byok, 1000, 0, 100, 0.05)).toBeCloseTo(((1000 * 2 + 100 * 4) / 1e6) * 0.05, 12);
  });
});

describe("provider prompt cache", () => {
  it("hits within the TTL after a success, per conversation and endpoint", () => {
    const [e] = catalogOf([
      {
        name: "a",
        model: "x/m",
        price: { prompt: 2, completion: 4, cache_read: 0.5 },
        cache: { ttl_s: 60, hit_share: 0.5 },
      },
    ]);
    const c = new ProviderCaches();
    expect(c.cachedTokens(e, "s", 1000, 0)).toBe(0);
    c.served(e, "s", 0);
    expect(c.cachedTokens(e, "s", 1000, 60_000)).toBe(500);
    expect(c.cachedTokens(e, "t", 1000, 1)).toBe(0);
    expect(c.cachedTokens(e, "s", 1000, 60_001)).toBe(0);
    expect(c.cachedTokens(e, undefined, 1000, 1)).toBe(0);
  });
});

function stickyScenario(sessions: boolean): Record<string, unknown> {
  const ep = (name: string, price: number) => ({
    name,
    model: "x/m",
    price: { prompt: price, completion: price, cache_read: price / 10 },
    cache: { ttl_s: 300, hit_share: 0.9, ttft_factor: 0.5 },
    ttft_ms: 400,
    tokens_per_s: 100,
  });
  return {
    name: "sticky",
    seed: 5,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: 5 },
      requests: 3000,
      model: "x/m",
      prompt_tokens: 2000,
      completion_tokens: 50,
      ...(sessions ? { sessions: { count: 20 } } : {}),
    },
    providers: [ep("a", 1), ep("b", 1.2), ep("c", 1.5)],
    policies: [{ name: "default", request: { model: "x/m" } }],
  };
}

describe("R82–R88: sticky routing keeps conversations on their provider's cache", () => {
  it("with sessions, most requests hit the cache: cheaper and faster than without sessions", () => {
    const withS = simulate(scenarioFromObject(stickyScenario(true))).summary.policies[0];
    const without = simulate(scenarioFromObject(stickyScenario(false))).summary.policies[0];
    expect(withS.costUsd).toBeLessThan(without.costUsd * 0.5);
    expect(withS.ttftMs.p50).toBeLessThan(without.ttftMs.p50 * 0.75);
  });
  it("a served sticky request reads the cache on its second turn (cachedTokens recorded)", () => {
    const input = {
      name: "two",
      seed: 1,
      traffic: {
        arrivals: { process: "uniform", rate_per_s: 1 },
        requests: 2,
        model: "acme/m1",
        sessions: { count: 1 },
      },
      providers: [
        {
          name: "a",
          model: "acme/m1",
          price: { prompt: 1, completion: 1, cache_read: 0.1 },
          cache: {},
          ttft_ms: 100,
          tokens_per_s: 1000,
        },
        {
          name: "b",
          model: "acme/m1",
          price: { prompt: 1, completion: 1, cache_read: 0.1 },
          cache: {},
          ttft_ms: 100,
          tokens_per_s: 1000,
        },
      ],
      policies: [{ name: "p", request: { model: "acme/m1" } }],
    };
    const r = runScenario(input);
    const [first, second] = r.outcomes;
    expect(second.attempts[0].endpoint.tag).toBe(first.attempts[0].endpoint.tag);
    expect(second.attempts[0].cachedTokens).toBe(900);
    expect(second.attempts[0].ttftMs).toBeCloseTo(first.attempts[0].ttftMs / 2, 6);
  });
});

describe("R7, R94 end to end: sorting on observed throughput", () => {
  it("statsSource observed follows measured speed, not the advertised figures", () => {
    const ep = (name: string, advertised: number, real: number) => ({
      name,
      model: "x/m",
      price: { prompt: 1, completion: 1 },
      ttft_ms: 100,
      tokens_per_s: real,
      stats: { throughput: { p50: advertised } },
    });
    const input = (statsSource: string) => ({
      name: "obs",
      seed: 1,
      traffic: { arrivals: { process: "uniform", rate_per_s: 2 }, requests: 400, model: "x/m" },
      providers: [ep("a", 500, 20), ep("b", 50, 200)],
      policies: [
        {
          name: "p",
          request: { model: "x/m", provider: { sort: "throughput" } },
          openrouter: { statsSource },
        },
      ],
    });
    const adv = runScenario(input("advertised")).outcomes;
    expect(adv.every((x) => x.attempts[0].endpoint.tag === "a")).toBe(true);
    const obs = runScenario(input("observedElseAdvertised")).outcomes;
    // a's first answers (≈ 20 tok/s measured) come back after ~25 s; from then on b (advertised 50,
    // then measured ≈ 170 tok/s) goes first
    const late = obs.slice(100).map((x) => x.attempts[0].endpoint.tag);
    expect(late.every((t) => t === "b")).toBe(true);
  });
});
