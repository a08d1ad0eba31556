/** Decision log (`--decisions`): one JSON line per request per policy with candidates, why, attempts. */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scenarioFromObject } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import { failsWith, fixtureScenario } from "../policies/openrouter/fixture.js";

describe("decisions.jsonl", () => {
  it("explains filters, LB weights, attempts and outcomes; absent without the flag", () => {
    const input = fixtureScenario(
      { model: "acme/m1", provider: { max_price: { prompt: 2 } } },
      { alpha: failsWith(503) },
    );
    (input.traffic as Record<string, unknown>).requests = 50;
    (input.policies as Record<string, unknown>[]).push({
      name: "tiny",
      request: { model: "acme/m1", provider: { max_price: { prompt: 0.1 } } },
    });
    const dir = mkdtempSync(join(tmpdir(), "routesim-dec-"));
    simulate(scenarioFromObject(input), { outDir: join(dir, "a"), decisions: true });
    const lines = readFileSync(join(dir, "a", "decisions.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(100);
    const first = lines[0];
    expect(first.policy).toBe("p");
    expect(first.decision.why.models[0].eligible).toEqual(["alpha", "beta"]);
    expect(first.decision.why.models[0].mode).toBe("lb:v2");
    expect(first.decision.why.models[0].lb.weights).toEqual({ alpha: 1, beta: 0.25 });
    const fellBack = lines.find((l) => l.policy === "p" && l.attempts.length === 2);
    expect(fellBack.attempts[0]).toMatchObject({ endpoint: "alpha", status: 503 });
    expect(fellBack.outcome).toMatchObject({ served: true, endpoint: "beta" });
    const rejected = lines.find((l) => l.policy === "tiny");
    expect(rejected.decision.reject).toEqual({
      status: 404,
      code: "constraint_filtered",
      excluded_by: ["max_price"],
    });
    simulate(scenarioFromObject(input), { outDir: join(dir, "b") });
    expect(existsSync(join(dir, "b", "decisions.jsonl"))).toBe(false);
  });
});
