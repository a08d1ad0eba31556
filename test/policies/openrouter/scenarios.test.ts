/** Every scenario under scenarios/openrouter/ loads, says what to look for, and runs. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../src/scenario/load.js";
import { simulate } from "../../../src/simulate.js";

const DIR = "scenarios/openrouter";
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml"));

describe("scenarios/openrouter", () => {
  it("has one scenario per feature area", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });
  for (const f of files) {
    it(`${f} starts with a "Look for" comment and runs`, () => {
      const text = readFileSync(join(DIR, f), "utf8");
      expect(text.startsWith("# ")).toBe(true);
      expect(text.split("\nname:")[0]).toMatch(/Look for/);
      const { summary } = simulate(loadScenario(join(DIR, f), { requests: 400 }));
      for (const p of summary.policies) expect(p.succeeded + p.failed).toBe(p.requests);
    });
  }
  it("models-fallback: the chain recovers what the single model loses", () => {
    const { summary } = simulate(loadScenario(join(DIR, "models-fallback.yaml")), {
      policies: ["chain", "no-chain"],
    });
    const [chain, single] = summary.policies;
    expect(chain.successRate).toBe(1);
    expect(single.successRate).toBeLessThan(0.8);
    expect(chain.modelShare["acme/fallback"]).toBeCloseTo(1 - single.successRate, 2);
  });
  it("tiers-speed (R100, R101): speed fast goes to the fast sibling and is priority on tiers", () => {
    const { summary } = simulate(loadScenario(join(DIR, "tiers-speed.yaml"), { requests: 400 }));
    const by = Object.fromEntries(summary.policies.map((p) => [p.name, p]));
    expect(by["speed-fast"].modelShare).toEqual({ "acme/opus-fast": 1 });
    for (const n of ["standard", "tier-auto"]) expect(by[n].modelShare).toEqual({ "acme/opus": 1 });
    expect(by["speed-fast"].costPerSuccessUsd).toBeGreaterThan(3 * by.standard.costPerSuccessUsd);
    // the same opt-in, so the same seeded run: priority endpoint first, all served there (no failures)
    for (const n of ["fast-on-tiers", "standard-vs-priority"])
      expect(by[n].providerShare).toEqual(by["priority-tier"].providerShare);
    expect(by["priority-tier"].providerShare["openai/priority"]).toBe(1);
    expect(by["tiered-auto"].providerShare).toEqual({ openai: 1 });
  });
});
