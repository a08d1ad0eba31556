/** The spec oracles against the spec's own test vectors (docs/openrouter-routing.md §12). */
import { describe, expect, it } from "vitest";
import { eligibleOf, exclusion, expectedFinal, knobsOf, lbWeight } from "../../src/check/oracle.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import { loadScenario } from "../../src/scenario/load.js";
import type { RequestBody } from "../../src/scenario/schema.js";
import type { AttemptRecord, Endpoint } from "../../src/types.js";

const catalog = buildCatalog(loadScenario("scenarios/check/test-vectors.yaml").scenario.providers);
const m1 = catalog.filter((e) => e.model === "acme/m1");
const m4 = catalog.filter((e) => e.model === "acme/m4");
const tokens = { prompt: 1000, completion: 250 };
const tags = (es: Endpoint[]) => es.map((e) => e.tag);
const eligible = (body: RequestBody, es = m1, variant: string | null = null) =>
  tags(eligibleOf(es, body, variant, tokens));

describe("hard filter oracle", () => {
  it("applies each filter as the test vectors say", () => {
    expect(eligible({})).toEqual(["alpha", "beta", "gamma"]);
    expect(eligible({ provider: { max_price: { prompt: 0.5 } } })).toEqual([]); // TV18
    expect(eligible({ provider: { max_price: { prompt: "2", completion: 2 } } })).toEqual(["alpha", "beta"]); // TV17
    expect(eligible({ provider: { ignore: ["alpha"] } })).toEqual(["beta", "gamma"]); // TV19
    expect(eligible({ provider: { only: ["alpha", "beta"] } })).toEqual(["alpha", "beta"]);
    expect(eligible({ provider: { data_collection: "deny" } })).toEqual(["alpha", "gamma"]); // TV21
    expect(eligible({ provider: { zdr: true } })).toEqual(["alpha", "gamma"]);
    expect(eligible({ provider: { zdr: false } })).toEqual(["alpha", "beta", "gamma"]);
    expect(eligible({ provider: { quantizations: ["fp8"] } })).toEqual(["alpha", "gamma"]); // TV22
    expect(eligible({ top_k: 40, provider: { require_parameters: true } })).toEqual(["beta", "gamma"]); // TV23
    expect(eligible({ top_k: 40 })).toEqual(["alpha", "beta", "gamma"]);
    expect(eligible({ max_tokens: 8000 })).toEqual(["beta", "gamma"]); // TV25
    expect(tags(eligibleOf(m1, {}, null, { prompt: 200_000, completion: 10 }))).toEqual([]); // TV33
    expect(exclusion(m1[0], { provider: { ignore: ["alpha"] } }, null, tokens)).toBe("ignore");
  });

  it("admits tier endpoints only with an opt-in (R12)", () => {
    expect(eligible({}, m4)).toEqual(["openai"]);
    expect(eligible({}, m4, "nitro")).toEqual(["openai", "openai/priority"]);
    expect(eligible({}, m4, "floor")).toEqual(["openai", "openai/flex"]);
    expect(eligible({ service_tier: "flex" }, m4)).toEqual(["openai", "openai/flex"]);
    expect(eligible({ provider: { order: ["openai/priority"] } }, m4)).toEqual(["openai", "openai/priority"]);
    // A base slug never matches a tier endpoint (R13).
    expect(eligible({ provider: { only: ["openai"] } }, m4, "nitro")).toEqual(["openai"]);
  });
});

describe("load-balancing weights", () => {
  it("are 1/p² in v2 and 1/p in v1 (TV1, TV6)", () => {
    expect(m1.map((e) => lbWeight(e, knobsOf({})))).toEqual([1, 1 / 4, 1 / 9]);
    expect(m1.map((e) => lbWeight(e, knobsOf({ lbMode: "v1" })))).toEqual([1, 1 / 2, 1 / 3]);
    expect(knobsOf({ lbMode: "v1" }).outageWindowMs).toBe(10_000);
    expect(knobsOf({}).outageWindowMs).toBe(30_000);
  });
});

describe("final status oracle (R60)", () => {
  const at = (status: number, error: AttemptRecord["error"] = "error") =>
    ({ status, error, endpoint: m1[0] }) as AttemptRecord;
  it("maps the test vectors", () => {
    expect(expectedFinal([at(429, "rate_limited"), at(429, "rate_limited")])).toEqual({
      status: 429,
      code: "capacity_exhausted",
    }); // TV35
    expect(expectedFinal([at(500), at(408, "timeout"), at(502)])).toEqual({
      status: 503,
      code: "temporarily_unavailable",
    }); // TV36
    expect(expectedFinal([at(404), at(404)])).toEqual({ status: 404, code: "model_unavailable_upstream" }); // TV37
    expect(expectedFinal([at(429), at(500), at(400)]).status).toBe(400); // TV38
    expect(expectedFinal([at(400), at(408, "timeout")]).status).toBe(504);
    expect(expectedFinal([at(503)]).status).toBe(503); // TV13/TV16
  });
});
