import { describe, expect, it } from "vitest";
import { InputError, loadScenario, scenarioFromObject, simulate } from "../../src/index.js";

const base = {
  name: "rnd",
  seed: 3,
  traffic: { arrivals: { process: "poisson", rate_per_s: 50 }, requests: 8000, model: "m" },
  providers: ["a", "b", "c", "d"].map((name) => ({ name, model: "m", price: { prompt: 1, completion: 1 } })),
  policies: [{ name: "random", kind: "random" }],
};

describe("random policy kind", () => {
  it("spreads requests uniformly over the model's endpoints", () => {
    const { summary } = simulate(scenarioFromObject(base));
    const p = summary.policies[0];
    expect(p.requests).toBe(8000);
    expect(p.attempts).toBe(8000); // one attempt each, no fallback
    // Each share ~ Binomial(8000, 1/4)/8000: sd ≈ 0.0048; ±0.03 is more than 6 sd.
    for (const tag of ["a", "b", "c", "d"])
      expect(Math.abs(p.providerAttempts[tag] / 8000 - 0.25)).toBeLessThan(0.03);
  });

  it("rejects requests for a model no endpoint serves", () => {
    const s = { ...base, policies: [{ name: "random", kind: "random", request: { model: "nope" } }] };
    const p = simulate(scenarioFromObject(s)).summary.policies[0];
    expect(p.failed).toBe(8000);
    expect(p.attempts).toBe(0);
  });

  it("takes no options", () => {
    const s = { ...base, policies: [{ name: "random", kind: "random", options: { x: 1 } }] };
    expect(() => simulate(scenarioFromObject(s))).toThrow(InputError);
  });

  it("runs the perf model scenario file", () => {
    const p = simulate(loadScenario("scenarios/bench/perf-model.yaml", { requests: 1000 })).summary
      .policies[0];
    expect(p.succeeded).toBe(1000);
  });
});
