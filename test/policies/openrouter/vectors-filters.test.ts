/** Spec test vectors TV12–TV30, TV33, TV34, TV39: order mode, filters, preferences, models lists. */
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../../src/policies/openrouter/config.js";
import { expectShare, Harness, scriptedRng, expectFirstShare as share } from "./fixture.js";

const N = 20_000;
const M1 = { model: "acme/m1" };

function onlyTags(h: Harness, body: Parameters<Harness["orders"]>[0]): Set<string> {
  const s = new Set<string>();
  for (const k of h.orders(body, 500).keys()) for (const t of k.split(",")) s.add(t);
  return s;
}

describe("TV12, TV15 (R29, R13 matching): order mode", () => {
  it("TV12: order [gamma, alpha] → C, A, then B", () => {
    expect(new Harness().order({ ...M1, provider: { order: ["gamma", "alpha"] } })).toEqual([
      "gamma",
      "alpha",
      "beta",
    ]);
  });
  it("TV15: unknown slug skipped; A first; B before C w.p. 9/13", () => {
    const h = new Harness();
    const o = h.orders({ ...M1, provider: { order: ["omega", "alpha"] } }, N);
    for (const k of o.keys()) expect(k.startsWith("alpha,")).toBe(true);
    const r = expectShare(o.get("alpha,beta,gamma") ?? 0, N, 9 / 13);
    expect(r.ok, r.msg).toBe(true);
  });
  it("R29.2: the unlisted tail follows the sort when one is given (orderRestOrdering)", () => {
    const h = new Harness();
    expect(h.order({ ...M1, provider: { order: ["beta"], sort: "throughput" } })).toEqual([
      "beta",
      "alpha",
      "gamma",
    ]);
    expect(h.order({ ...M1, provider: { order: ["gamma"], sort: "price" } })).toEqual([
      "gamma",
      "alpha",
      "beta",
    ]);
  });
  it("R29.3: allow_fallbacks false keeps every listed provider, drops the rest", () => {
    expect(
      new Harness().order({ ...M1, provider: { order: ["gamma", "alpha"], allow_fallbacks: false } }),
    ).toEqual(["gamma", "alpha"]);
  });
  it("R29.1: a base slug matching several endpoints expands them by LB (orderSlugExpansion)", () => {
    const providers = [
      { name: "vertex/us", model: "x/m", price: { prompt: 3, completion: 3 } },
      { name: "vertex/eu", model: "x/m", price: { prompt: 1, completion: 1 } },
      { name: "other", model: "x/m", price: { prompt: 1, completion: 1 } },
    ];
    const h = new Harness({ orderSlugExpansion: "priceAsc" }, providers);
    expect(h.order({ model: "x/m", provider: { order: ["VERTEX"] } })).toEqual([
      "vertex/eu",
      "vertex/us",
      "other",
    ]);
    const lb = new Harness({}, providers);
    const o = lb.orders({ model: "x/m", provider: { order: ["vertex"] } }, 2000);
    for (const k of o.keys()) expect(k.endsWith("other")).toBe(true);
    expect(o.size).toBe(2);
  });
});

describe("TV16, TV30-truncation (R30): allow_fallbacks false without order", () => {
  it("TV16: u = 0.5 → only A is attempted", () => {
    expect(
      new Harness().order({ ...M1, provider: { allow_fallbacks: false } }, scriptedRng([0.5, 0.5])),
    ).toEqual(["alpha"]);
  });
  it("R30 scope: models fallbacks still apply (providers) unless providersAndModels", () => {
    const body = {
      models: ["acme/m1", "acme/m2"],
      provider: { allow_fallbacks: false, sort: "price" as const },
    };
    expect(new Harness().order(body)).toEqual(["alpha", "delta"]);
    expect(new Harness({ allowFallbacksScope: "providersAndModels" }).order(body)).toEqual(["alpha"]);
  });
});

describe("TV17, TV18 (R17, R22, R59): max_price", () => {
  it("TV17: {prompt 2, completion 2} + sort price → A, B (C filtered)", () => {
    expect(
      new Harness().order({ ...M1, provider: { max_price: { prompt: 2, completion: "2" }, sort: "price" } }),
    ).toEqual(["alpha", "beta"]);
  });
  it("TV18: {prompt 0.5} → 404 constraint_filtered, excluded_by max_price", () => {
    const d = new Harness().decide({ ...M1, provider: { max_price: { prompt: 0.5 } } });
    expect(d).toMatchObject({
      kind: "reject",
      status: 404,
      code: "constraint_filtered",
      excludedBy: ["max_price"],
    });
  });
  it("R17: request fee limit", () => {
    const h = new Harness({}, [
      { name: "a", model: "x/m", price: { prompt: 1, completion: 1, request: 0.01 } },
      { name: "b", model: "x/m", price: { prompt: 1, completion: 1 } },
    ]);
    expect(h.order({ model: "x/m", provider: { max_price: { request: 0.001 } } })).toEqual(["b"]);
  });
  it("R65: noEligibleEndpointStatus 503 (legacy wording)", () => {
    const h = new Harness({ noEligibleEndpointStatus: 503 });
    expect(h.decide({ ...M1, provider: { max_price: { prompt: 0.5 } } })).toMatchObject({ status: 503 });
  });
});

describe("TV19, TV20 (R13, R14): only / ignore with account lists", () => {
  it("TV19: ignore alpha → B 9/13; plus account ignored gamma → B only", () => {
    const h = new Harness();
    share(h, { ...M1, provider: { ignore: ["alpha"] } }, "beta", 9 / 13);
    const acct = new Harness({ account: { ignoredProviders: ["gamma"] } });
    expect(acct.order({ ...M1, provider: { ignore: ["alpha"] } })).toEqual(["beta"]);
  });
  it("TV20: account allowed ∩ request only → B; only [alpha] → 404 allowed_providers", () => {
    const h = new Harness({ account: { allowedProviders: ["beta", "gamma"] } });
    expect(h.order({ ...M1, provider: { only: ["alpha", "beta"] } })).toEqual(["beta"]);
    expect(h.decide({ ...M1, provider: { only: ["alpha"] } })).toMatchObject({
      status: 404,
      code: "constraint_filtered",
      excludedBy: ["allowed_providers"],
    });
    const union = new Harness({ account: { allowedProviders: ["beta"] }, onlyCombination: "union" });
    expect(onlyTags(union, { ...M1, provider: { only: ["alpha"] } })).toEqual(new Set(["alpha", "beta"]));
  });
});

describe("TV21, TV22 (R6, R15, R16): data policy and quantization", () => {
  it("TV21: data_collection deny or zdr → A, C with A first 0.9; zdr false changes nothing", () => {
    const h = new Harness();
    expect(onlyTags(h, { ...M1, provider: { data_collection: "deny" } })).toEqual(
      new Set(["alpha", "gamma"]),
    );
    expect(onlyTags(h, { ...M1, provider: { zdr: true } })).toEqual(new Set(["alpha", "gamma"]));
    share(h, { ...M1, provider: { zdr: true } }, "alpha", 0.9);
    expect(onlyTags(h, { ...M1, provider: { zdr: false } })).toEqual(new Set(["alpha", "beta", "gamma"]));
  });
  it("R15: account ZDR / training settings apply the same way; empty → privacy_restricted", () => {
    const h = new Harness({ account: { zdr: true } });
    expect(onlyTags(h, M1)).toEqual(new Set(["alpha", "gamma"]));
    const d = new Harness({ account: { dataCollection: "deny" } }).decide({ model: "acme/m4" });
    // m4's endpoints default to training: false → all stay.
    expect(d.kind).toBe("route");
    const z = new Harness().decide({ model: "acme/m2", provider: { zdr: true } });
    expect(z).toMatchObject({ status: 404, code: "privacy_restricted", excludedBy: ["data_policy:zdr"] });
  });
  it("TV22: quantizations fp8 → A, C; int4 → 404 quantization", () => {
    const h = new Harness();
    expect(onlyTags(h, { ...M1, provider: { quantizations: ["fp8"] } })).toEqual(new Set(["alpha", "gamma"]));
    share(h, { ...M1, provider: { quantizations: ["fp8"] } }, "alpha", 0.9, 5000);
    expect(h.decide({ ...M1, provider: { quantizations: ["int4"] } })).toMatchObject({
      status: 404,
      code: "constraint_filtered",
      excludedBy: ["quantization"],
    });
  });
  it("R4/R16: unknown quantization must be listed explicitly", () => {
    const h = new Harness();
    expect(h.decide({ model: "acme/m3", provider: { quantizations: ["fp8"] } }).kind).toBe("reject");
    expect(h.order({ model: "acme/m3", provider: { quantizations: ["unknown"] } })).toEqual(["phi"]);
  });
});

describe("TV23, TV24 (R5, R18, R19): parameters", () => {
  it("TV23: top_k + require_parameters → B, C (B 9/13); without → all three", () => {
    const h = new Harness();
    const body = { ...M1, top_k: 40, provider: { require_parameters: true } };
    expect(onlyTags(h, body)).toEqual(new Set(["beta", "gamma"]));
    share(h, body, "beta", 9 / 13);
    expect(onlyTags(h, { ...M1, top_k: 40 })).toEqual(new Set(["alpha", "beta", "gamma"]));
    expect(h.decide({ model: "acme/m3", top_k: 40, provider: { require_parameters: true } })).toMatchObject({
      code: "constraint_filtered",
      excludedBy: ["require_parameters"],
    });
  });
  it("TV24: tools drop B (R19); on acme/m2 D is still used and tools stripped", () => {
    const h = new Harness();
    const tools = [{ type: "function" }];
    expect(onlyTags(h, { ...M1, tools })).toEqual(new Set(["alpha", "gamma"]));
    share(h, { ...M1, tools }, "alpha", 0.9, 5000);
    h.policy.enableExplain!();
    const d = h.decide({ model: "acme/m2", tools });
    expect(d.kind === "route" && d.candidates.map((i) => h.catalog[i].tag)).toEqual(["delta"]);
    expect(JSON.stringify(d.explain)).toContain('"strippedParams":["tools"]');
  });
  it("R19: toolsWithoutSupport fail404 (2025 behaviour)", () => {
    const h = new Harness({ toolsWithoutSupport: "fail404" });
    expect(h.decide({ model: "acme/m2", tools: [{}] })).toMatchObject({ kind: "reject", status: 404 });
  });
  it("R19: response_format prefers supporting endpoints (A, B)", () => {
    expect(onlyTags(new Harness(), { ...M1, response_format: { type: "json_object" } })).toEqual(
      new Set(["alpha", "beta"]),
    );
  });
});

describe("TV25, TV33 (R3, R20, R22): length limits", () => {
  it("TV25: max_tokens 8000 excludes A → B first 9/13", () => {
    const h = new Harness();
    const body = { ...M1, max_tokens: 8000 };
    expect(onlyTags(h, body)).toEqual(new Set(["beta", "gamma"]));
    share(h, body, "beta", 9 / 13);
  });
  it("TV33: 200k prompt → m1 has no eligible endpoint, D serves; m1 alone → 404 context_length", () => {
    const h = new Harness();
    expect(h.order({ models: ["acme/m1", "acme/m2"] }, undefined, { promptTokens: 200_000 })).toEqual([
      "delta",
    ]);
    const d = h.decide(M1, undefined, { promptTokens: 200_000 });
    expect(d).toMatchObject({ status: 404, code: "constraint_filtered", excludedBy: ["context_length"] });
  });
  it("R20: context compression (default on for ≤ 8192 ctx; plugin switch)", () => {
    const providers = [
      { name: "small", model: "x/m", price: { prompt: 1, completion: 1 }, context_length: 8192 },
      { name: "mid", model: "x/m", price: { prompt: 1, completion: 1 }, context_length: 16000 },
    ];
    const h = new Harness({}, providers);
    // need 12 000 > 8192: "small" stays by compression (≥ half), "mid" fits.
    const extra = { promptTokens: 11_500, completionTokens: 500 };
    expect(new Set(h.order({ model: "x/m" }, undefined, extra))).toEqual(new Set(["small", "mid"]));
    const off = { model: "x/m", plugins: [{ id: "context-compression", enabled: false }] };
    expect(h.order(off, undefined, extra)).toEqual(["mid"]);
    // compression on and nothing at least half: the largest context is used.
    const on = { model: "x/m", plugins: [{ id: "context-compression" }] };
    expect(h.order(on, undefined, { promptTokens: 100_000, completionTokens: 0 })).toEqual(["mid"]);
  });
});

describe("TV26–TV28, TV30 (R31, R57): soft performance preferences", () => {
  it("TV26: preferred_max_latency 0.8 → B, A, C; 1.5 → A, B, C", () => {
    const h = new Harness();
    expect(h.order({ ...M1, provider: { sort: "price", preferred_max_latency: 0.8 } })).toEqual([
      "beta",
      "alpha",
      "gamma",
    ]);
    expect(h.order({ ...M1, provider: { sort: "price", preferred_max_latency: 1.5 } })).toEqual([
      "alpha",
      "beta",
      "gamma",
    ]);
  });
  it("TV27: {p50: 90, p90: 80} → B, A, C", () => {
    const body = {
      ...M1,
      provider: { sort: "price" as const, preferred_min_throughput: { p50: 90, p90: 80 } },
    };
    expect(new Harness().order(body)).toEqual(["beta", "alpha", "gamma"]);
  });
  it("TV28: LB + preferred_min_throughput 150 → B always first, then A before C w.p. 0.9", () => {
    const h = new Harness();
    const o = h.orders({ ...M1, provider: { preferred_min_throughput: 150 } }, N);
    for (const k of o.keys()) expect(k.startsWith("beta,")).toBe(true);
    const r = expectShare(o.get("beta,alpha,gamma") ?? 0, N, 0.9);
    expect(r.ok, r.msg).toBe(true);
  });
  it("TV30: models [m1, m2], sort price, min throughput 250 → global D, A, B, C; perModel A, B, C, D", () => {
    const body = {
      models: ["acme/m1", "acme/m2"],
      provider: { sort: "price" as const, preferred_min_throughput: 250 },
    };
    expect(new Harness().order(body)).toEqual(["delta", "alpha", "beta", "gamma"]);
    expect(new Harness({ preferredScope: "perModel" }).order(body)).toEqual([
      "alpha",
      "beta",
      "gamma",
      "delta",
    ]);
  });
  it("R31: null stats do not meet a preference (never removed)", () => {
    const h = new Harness();
    expect(
      h.order({ model: "acme/m4", service_tier: "priority", provider: { preferred_max_latency: 5 } }),
    ).toEqual(["openai/priority", "openai"]);
  });
});

describe("TV29 (R32, R57): partition across models", () => {
  const models = ["acme/m1", "acme/m3"];
  it("partition none → F, A, B, C; model (or string sort) → A, B, C, F; route: sort ≡ none", () => {
    const h = new Harness();
    expect(h.order({ models, provider: { sort: { by: "price", partition: "none" } } })).toEqual([
      "phi",
      "alpha",
      "beta",
      "gamma",
    ]);
    expect(h.order({ models, provider: { sort: { by: "price", partition: "model" } } })).toEqual([
      "alpha",
      "beta",
      "gamma",
      "phi",
    ]);
    expect(h.order({ models, provider: { sort: "price" } })).toEqual(["alpha", "beta", "gamma", "phi"]);
    expect(h.order({ models, route: "sort", provider: { sort: "price" } })).toEqual([
      "phi",
      "alpha",
      "beta",
      "gamma",
    ]);
    // provider.sort.partition wins over route
    expect(
      h.order({ models, route: "sort", provider: { sort: { by: "price", partition: "model" } } }),
    ).toEqual(["alpha", "beta", "gamma", "phi"]);
  });
  it("partition none without by → model (partitionWithoutSort)", () => {
    const o = new Harness().order({ models, provider: { sort: { partition: "none" } } });
    expect(o[o.length - 1]).toBe("phi");
  });
});

describe("TV34, TV39 (R35, R51, R58 400s): candidate list validation", () => {
  it("TV34: 4 models → 400 before routing", () => {
    const d = new Harness().decide({ models: ["acme/m1", "acme/m2", "acme/m3", "acme/m4"] });
    expect(d).toMatchObject({ kind: "reject", status: 400 });
    expect(
      new Harness({ maxModelsArray: 4 }).decide({ models: ["acme/m1", "acme/m2", "acme/m3", "acme/m4"] })
        .kind,
    ).toBe("route");
  });
  it("TV39: unknown model → 400 model_not_found, zero attempts", () => {
    expect(new Harness().decide({ model: "acme/nope" })).toMatchObject({
      kind: "reject",
      status: 400,
      code: "model_not_found",
    });
    expect(new Harness().decide({ model: "acme/m1:extended" })).toMatchObject({
      status: 400,
      code: "model_not_found",
    });
  });
  it("R51: model + models de-duplicated keeping the first occurrence", () => {
    const h = new Harness();
    expect(
      h.order({ model: "acme/m3", models: ["acme/m3", "acme/m2"], provider: { sort: "price" } }),
    ).toEqual(["phi", "delta"]);
    expect(defaultConfig().dedupeModels).toBe(true);
  });
  it("R83: a session id longer than 256 characters is rejected", () => {
    expect(new Harness().decide(M1, undefined, { session: "x".repeat(257) })).toMatchObject({ status: 400 });
  });
});
