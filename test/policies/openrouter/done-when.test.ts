/** The "Done when" checks, end to end through `simulate` (no output folder). */
import { describe, expect, it } from "vitest";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import { simulate } from "../../../src/simulate.js";

function threePrices(requests: number, policies: Record<string, unknown>[]): Record<string, unknown> {
  const ep = (name: string, price: number, tps: number) => ({
    name,
    model: "acme/m1",
    price: { prompt: price, completion: price },
    ttft_ms: 200,
    tokens_per_s: tps,
    stats: { throughput: { p50: tps } },
  });
  return {
    name: "three",
    seed: 11,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: 200 },
      requests,
      model: "acme/m1",
      prompt_tokens: 100,
      completion_tokens: 20,
    },
    providers: [ep("alpha", 1, 50), ep("beta", 2, 300), ep("gamma", 3, 100)],
    policies,
  };
}

describe("Done when (R24, R36, R37): three healthy endpoints at $1/$2/$3", () => {
  it("providerShare within ±1 point of 73.5 / 18.4 / 8.2 % over 100k requests", () => {
    const { summary } = simulate(
      scenarioFromObject(threePrices(100_000, [{ name: "default", request: { model: "acme/m1" } }])),
    );
    const s = summary.policies[0].providerShare;
    expect(Math.abs(s.alpha - 36 / 49)).toBeLessThan(0.01);
    expect(Math.abs(s.beta - 9 / 49)).toBeLessThan(0.01);
    expect(Math.abs(s.gamma - 4 / 49)).toBeLessThan(0.01);
  });
  it(":floor sends every first attempt to the cheapest, :nitro to the fastest", () => {
    const { summary } = simulate(
      scenarioFromObject(
        threePrices(5000, [
          { name: "floor", request: { model: "acme/m1:floor" } },
          { name: "nitro", request: { model: "acme/m1:nitro" } },
        ]),
      ),
    );
    const [floor, nitro] = summary.policies;
    expect(floor.providerAttempts).toEqual({ alpha: 5000 });
    expect(nitro.providerAttempts).toEqual({ beta: 5000 });
  });
});
