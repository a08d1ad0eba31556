/** Gateway policies inside the real router and provider farm. */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, scenarioFromObject, simulate } from "../../../src/index.js";
import { M } from "../../support/gateways.js";

function tiny(policies: unknown[]) {
  return scenarioFromObject({
    name: "tiny",
    seed: 3,
    traffic: { arrivals: { process: "uniform", rate_per_s: 5 }, requests: 400, model: M },
    providers: [
      {
        name: "down",
        model: M,
        price: { prompt: 1, completion: 1 },
        outages: [{ start_s: 0, duration_s: 10_000 }],
      },
      { name: "up", model: M, price: { prompt: 1, completion: 1 }, error_rate: 0 },
    ],
    policies,
  });
}

describe("plans that grow while a request is in flight (policies/gateway/plan.ts contract)", () => {
  it("the router runs the steps a policy appends in observe(): retries reach the healthy endpoint", () => {
    const { summary } = simulate(
      tiny([
        {
          name: "lite",
          kind: "litellm",
          options: {
            model_list: [
              { model_name: "g", litellm_params: { model: "down/x" } },
              { model_name: "g", litellm_params: { model: "up/x" } },
            ],
            router_settings: { num_retries: 1, disable_cooldowns: true },
          },
        },
        {
          name: "pk",
          kind: "portkey",
          options: { strategy: { mode: "fallback" }, targets: [{ provider: "down" }, { provider: "up" }] },
        },
        { name: "rr", kind: "round_robin", options: { retry: { max_retries: 1 } } },
        { name: "rr-no-retry", kind: "round_robin" },
      ]),
    );
    const by = Object.fromEntries(summary.policies.map((p) => [p.name, p]));
    for (const n of ["pk", "rr"]) {
      expect(by[n].succeeded).toBe(400);
      expect(by[n].attemptsHistogram["2"]).toBeGreaterThan(0);
    }
    // LiteLLM's retry may pick the deployment that just failed (§1.2 ⚠ retry choice): without
    // cooldowns a request fails when both draws land on "down", p = 1/4. Binomial(400, 3/4):
    // mean 300, sd 8.7; bounds at ~5 sd.
    expect(by.lite.succeeded).toBeGreaterThan(255);
    expect(by.lite.succeeded).toBeLessThan(345);
    expect(by.lite.attemptsHistogram["2"]).toBeGreaterThan(0);
    expect(by.pk.attemptsHistogram).toEqual({ "2": 400 });
    expect(by["rr-no-retry"].succeeded).toBe(200);
  });

  it("LiteLLM cooldown moves traffic off the dead endpoint: with cooldowns far fewer attempts hit it", () => {
    const list = [
      { model_name: "g", litellm_params: { model: "down/x" } },
      { model_name: "g", litellm_params: { model: "up/x" } },
    ];
    const { summary } = simulate(
      tiny([
        {
          name: "cool",
          kind: "litellm",
          options: { model_list: list, router_settings: { allowed_fails: 0, cooldown_time: 60 } },
        },
        {
          name: "nocool",
          kind: "litellm",
          options: { model_list: list, router_settings: { disable_cooldowns: true } },
        },
      ]),
    );
    const [cool, nocool] = summary.policies;
    // 400 requests over 80 s; a 60 s cooldown after each failure leaves at most 2 failures on "down".
    expect(cool.providerAttempts.down).toBeLessThanOrEqual(2);
    expect(nocool.providerAttempts.down).toBeGreaterThan(100);
  });
});

describe("router.max_attempts caps gateway plans", () => {
  it("stops every kind after the cap, with the gateway's own final error", () => {
    const router = { max_attempts: 1 };
    const { summary } = simulate(
      tiny([
        {
          name: "lite",
          kind: "litellm",
          router,
          options: {
            model_list: [{ model_name: "g", litellm_params: { model: "down/x" } }],
            router_settings: { num_retries: 3 },
          },
        },
        { name: "pk", kind: "portkey", router, options: { retry: { attempts: 3 }, provider: "down" } },
        { name: "rr", kind: "round_robin", router, options: { retry: { max_retries: 3 } } },
      ]),
    );
    for (const p of summary.policies) {
      expect(Object.keys(p.attemptsHistogram)).toEqual(["1"]);
      expect(p.succeeded + p.failed).toBe(400);
    }
    expect(summary.policies[0].errors).toEqual({ "503": 400 });
  });
});

describe("head-to-head scenario", () => {
  it("runs every policy, conserves requests, is deterministic and lists the configs' warnings", () => {
    const file = resolve("scenarios/gateways/head-to-head.yaml");
    const a = simulate(loadScenario(file, { requests: 3000 })).summary;
    const b = simulate(loadScenario(file, { requests: 3000 })).summary;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.policies.map((p) => p.name)).toEqual([
      "openrouter-default",
      "litellm-latency",
      "portkey-lb-fallback",
      "p2c-latency",
      "envoy-round-robin",
    ]);
    for (const p of a.policies) expect(p.succeeded + p.failed).toBe(3000);
    expect(
      a.warnings.some((w) => w.startsWith("litellm-latency: LiteLLM setting router_settings.redis_host")),
    ).toBe(true);
  });
});

describe("strategies tour scenario", () => {
  it("loads every config (file and inline) and conserves requests", () => {
    const { summary } = simulate(
      loadScenario(resolve("scenarios/gateways/strategies.yaml"), { requests: 1500 }),
    );
    expect(summary.policies.length).toBe(8);
    for (const p of summary.policies) expect(p.succeeded + p.failed).toBe(1500);
  });
});
