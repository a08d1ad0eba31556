/**
 * Issue 25 item 1: two endpoints of one provider (two models) are two endpoints in every table,
 * timeline series and chart. A second `alpha` for a model nobody requests used to overwrite the
 * first one's timeline, so the share-over-time chart lost alpha though the share table had it.
 */
import { describe, expect, it } from "vitest";
import { compare } from "../../src/experiment/compare.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";

const A = "meta-llama/llama-3.3-70b-instruct";
const B = "qwen/qwen-2.5-72b-instruct";
const provider = (name: string, model: string) => ({
  name,
  model,
  price: { prompt: 0.5, completion: 0.5 },
  ttft_ms: 100,
  tokens_per_s: 200,
});
const input = {
  name: "endpoint-identity",
  seed: 3,
  traffic: { arrivals: { process: "uniform", rate_per_s: 20 }, requests: 200, model: A },
  providers: [provider("alpha", A), provider("beta", A), provider("alpha", B)],
  policies: [{ name: "spread", kind: "round_robin" }],
};

describe("endpoint identity is (provider, model)", () => {
  it("labels the endpoints that share a provider name with their model", () => {
    const p = simulate(scenarioFromObject(input)).summary.policies[0];
    expect(Object.keys(p.providerShare).sort()).toEqual([`alpha · ${A}`, "beta"]);
    expect(p.providerShare[`alpha · ${A}`]).toBeCloseTo(0.5, 1);
    expect(Object.keys(p.providerAttempts)).not.toContain(`alpha · ${B}`);
  });

  it("keeps alpha's served series in the comparison timeline and share table", async () => {
    const { data, summary } = await compare({
      source: { kind: "object", input, baseDir: process.cwd(), label: "identity" },
      replications: 2,
      jobs: 1,
    });
    const served = (tag: string) =>
      data.timeline.filter((r) => r.series === `served:${tag}`).reduce((a, r) => a + r.count, 0);
    expect(served(`alpha · ${A}`)).toBeGreaterThan(150);
    expect(served("beta")).toBeGreaterThan(150);
    expect(data.meta.endpoints.map((e) => e.tag)).toEqual([`alpha · ${A}`, "beta", `alpha · ${B}`]);
    expect(summary.policies[0].providerShare[`alpha · ${A}`].mean).toBeCloseTo(0.5, 1);
  });
});
