/** Rules without a dedicated test vector (each `describe` names the rules it covers). */
import { describe, expect, it } from "vitest";
import {
  defaultConfig,
  OpenRouterConfig,
  outageWindowMs,
  parseModel,
} from "../../../src/policies/openrouter/index.js";
import { globMatch } from "../../../src/policies/openrouter/models.js";
import { weightingPrice } from "../../../src/policies/openrouter/price.js";
import { buildPolicy, checkModelId } from "../../../src/policies/registry.js";
import { Rng } from "../../../src/rng/rng.js";
import { InputError } from "../../../src/scenario/errors.js";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import type { Scenario } from "../../../src/scenario/schema.js";
import {
  catalogOf,
  expectShare,
  failsWith,
  fixtureProviders,
  fixtureScenario,
  Harness,
  runScenario,
} from "./fixture.js";

const M1 = { model: "acme/m1" };

function buildFirst(s: Scenario) {
  return buildPolicy(s.policies[0], {
    catalog: [],
    scenario: s,
    baseDir: ".",
    file: "s.yaml",
    path: "policies[0]",
  });
}

describe("R1, R9, R41: endpoint identity, free and static variants are their own model ids", () => {
  it("tags, provider slugs and tier endpoints", () => {
    const c = catalogOf(fixtureProviders());
    const op = c.find((e) => e.tag === "openai/priority")!;
    expect(op.provider).toBe("openai");
    expect(op.tier).toBe("priority");
    expect(c.find((e) => e.model === "acme/m1:free")!.price.prompt).toBe(0);
  });
  it(":free routes to the free endpoint set only", () => {
    expect(new Harness().order({ model: "acme/m1:free" })).toEqual(["zeta"]);
  });
});

describe("R2, R24a: price card, discount and the weighting price", () => {
  it("blend / prompt / completion basis, request fee, discount", () => {
    const [e] = catalogOf([
      { name: "a", model: "x/m", price: { prompt: 1, completion: 3, request: 0.000002, discount: 0.5 } },
    ]);
    expect(weightingPrice(e, defaultConfig())).toBe(1);
    expect(weightingPrice(e, defaultConfig({ priceBasis: "prompt" }))).toBe(0.5);
    expect(weightingPrice(e, defaultConfig({ priceBasis: "completion" }))).toBe(1.5);
    expect(weightingPrice(e, defaultConfig({ includeRequestFee: true }))).toBeCloseTo(2, 12);
    expect(weightingPrice(e, defaultConfig({ inputShare: 0.25 }))).toBeCloseTo(1.25, 12);
  });
  it("zero-price endpoints form a first group with equal weights (zeroPricePolicy)", () => {
    const h = new Harness({}, [
      { name: "paid", model: "x/m", price: { prompt: 0.01, completion: 0.01 } },
      { name: "free1", model: "x/m", price: { prompt: 0, completion: 0 } },
      { name: "free2", model: "x/m", price: { prompt: 0, completion: 0 } },
    ]);
    const o = h.orders({ model: "x/m" }, 4000);
    for (const k of o.keys()) expect(k.endsWith("paid")).toBe(true);
    const r = expectShare(o.get("free1,free2,paid") ?? 0, 4000, 0.5);
    expect(r.ok, r.msg).toBe(true);
  });
  it("R66–R68: billing uses the serving endpoint's discounted card", () => {
    const x = runScenario(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" } },
        { alpha: { price: { prompt: 1, completion: 3, discount: 0.5 } } },
      ),
    ).outcomes[0];
    expect(x.o.kind === "served" && x.o.costUsd).toBeCloseTo(((1000 * 1 + 500 * 3) / 1e6) * 0.5, 12);
  });
});

describe("R10, R11: status and modality", () => {
  it("non-zero status endpoints are never routed; all hidden → 404 no_endpoints", () => {
    const h = new Harness({}, [
      { name: "a", model: "x/m", price: { prompt: 1, completion: 1 }, status: -1 },
      { name: "b", model: "x/m", price: { prompt: 1, completion: 1 } },
    ]);
    expect(h.order({ model: "x/m" })).toEqual(["b"]);
    const all = new Harness({}, [
      { name: "a", model: "x/m", price: { prompt: 1, completion: 1 }, status: -2 },
    ]);
    expect(all.decide({ model: "x/m" })).toMatchObject({ status: 404, code: "no_endpoints" });
  });
  it("image input needs an endpoint accepting images", () => {
    const h = new Harness({}, [
      { name: "a", model: "x/m", price: { prompt: 1, completion: 1 } },
      { name: "b", model: "x/m", price: { prompt: 2, completion: 2 }, input_modalities: ["text", "image"] },
    ]);
    expect(h.order({ model: "x/m", input_modalities: ["image"] })).toEqual(["b"]);
    expect(h.decide({ model: "x/m", input_modalities: ["audio"] })).toMatchObject({
      status: 404,
      excludedBy: ["modality"],
    });
  });
});

describe("R23, R28 exacto, R38: Auto Exacto and the :exacto variant", () => {
  const q = (exacto?: number) => (exacto === undefined ? {} : { quality: { exacto } });
  const providers = [
    {
      name: "a",
      model: "x/m",
      price: { prompt: 1, completion: 1 },
      supported_parameters: ["tools"],
      ...q(0.5),
    },
    {
      name: "b",
      model: "x/m",
      price: { prompt: 2, completion: 2 },
      supported_parameters: ["tools"],
      ...q(0.9),
    },
    { name: "c", model: "x/m", price: { prompt: 3, completion: 3 }, supported_parameters: ["tools"] },
  ];
  it("tools + quality data → quality-first order; unscored endpoints after, by price", () => {
    const h = new Harness({}, providers);
    expect(h.order({ model: "x/m", tools: [{}] })).toEqual(["b", "a", "c"]);
    expect(h.order({ model: "x/m:exacto" })).toEqual(["b", "a", "c"]);
  });
  it("explicit price sort opts out; autoExacto false → plain LB; no data → plain LB (TV fixture)", () => {
    const h = new Harness({}, providers);
    expect(h.order({ model: "x/m", tools: [{}], provider: { sort: "price" } })).toEqual(["a", "b", "c"]);
    expect(h.order({ model: "x/m:exacto", provider: { sort: "price" } })).toEqual(["a", "b", "c"]);
    const off = new Harness({ autoExacto: false }, providers);
    expect(off.firsts({ model: "x/m", tools: [{}] }, 2000).get("a")! > 1000).toBe(true);
  });
  it("R23.2: the account default sort puts the model in sort mode", () => {
    expect(new Harness({ account: { defaultSort: "throughput" } }).order(M1)).toEqual([
      "beta",
      "alpha",
      "gamma",
    ]);
  });
});

describe("R24 knobs: lbCandidateTopK, fallbackOrder", () => {
  it("lbCandidateTopK 2: the most expensive endpoint never goes first", () => {
    const h = new Harness({ lbCandidateTopK: 2 });
    const f = h.firsts(M1, 3000);
    expect(f.get("gamma") ?? 0).toBe(0);
    const r = expectShare(f.get("alpha") ?? 0, 3000, 0.8);
    expect(r.ok, r.msg).toBe(true);
  });
  it("fallbackOrder priceAsc orders the unstable group by price", () => {
    const h = new Harness({ fallbackOrder: "priceAsc" });
    h.now = 1000;
    h.health.failures.set(h.id("gamma"), [0]);
    h.health.failures.set(h.id("beta"), [0]);
    for (let i = 0; i < 20; i++) expect(h.order(M1, new Rng(i))).toEqual(["alpha", "beta", "gamma"]);
  });
  it("R93: outageMinFailures and outageWindowMs", () => {
    const h = new Harness({ outageMinFailures: 2 });
    h.now = 1000;
    h.health.failures.set(h.id("beta"), [0]);
    expect(h.firsts(M1, 3000).get("beta") ?? 0).toBeGreaterThan(0);
    expect(outageWindowMs(defaultConfig({ lbMode: "v1" }))).toBe(10_000);
    expect(outageWindowMs(defaultConfig({ outageWindowMs: 5000 }))).toBe(5000);
  });
});

describe("R27: v3 adaptive shares with plug-ins", () => {
  it("default v3 share = 1/price² × (throughput/best)^0.5 on healthy endpoints", () => {
    const h = new Harness({ lbMode: "v3" });
    // weights: A 1·√(100/200), B ¼·1, C (1/9)·√(50/200); minShare 1 % does not bind
    const w = [Math.sqrt(0.5), 0.25, (1 / 9) * 0.5];
    const t = w[0] + w[1] + w[2];
    const f = h.firsts(M1, 10_000);
    for (const [tag, wi] of [
      ["alpha", w[0]],
      ["beta", w[1]],
      ["gamma", w[2]],
    ] as const) {
      const r = expectShare(f.get(tag) ?? 0, 10_000, wi / t);
      expect(r.ok, `${tag} ${r.msg}`).toBe(true);
    }
  });
  it("custom shareFn, minShare exploration, breaker and traffic cap", () => {
    const only = new Harness({ lbMode: "v3" }, fixtureProviders(), {
      v3: { shareFn: (e) => (e.tag === "gamma" ? 1 : 0), minShare: 0 },
    });
    expect(only.firsts(M1, 500).get("gamma")).toBe(500);
    const explore = new Harness({ lbMode: "v3" }, fixtureProviders(), {
      v3: { shareFn: (e) => (e.tag === "gamma" ? 1 : 0), minShare: 0.1 },
    });
    // weights 0.1, 0.1, 1 → gamma first with 1/1.2
    const r = expectShare(explore.firsts(M1, 10_000).get("gamma") ?? 0, 10_000, 1 / 1.2);
    expect(r.ok, r.msg).toBe(true);
    const broken = new Harness({ lbMode: "v3" }, fixtureProviders(), {
      v3: { breaker: (e) => e.tag === "alpha" },
    });
    for (const k of broken.orders(M1, 500).keys()) expect(k.endsWith("alpha")).toBe(true);
    const capped = new Harness({ lbMode: "v3", v3: { trafficCapRps: { alpha: 1 } } });
    capped.health.windows.set(capped.id("alpha"), { successes: 120, errors: 0, rateLimited: 0 });
    for (const k of capped.orders(M1, 500).keys()) expect(k.endsWith("alpha")).toBe(true);
  });
  it("default breaker opens at ≥ 50 % errors with ≥ 20 requests", () => {
    const h = new Harness({ lbMode: "v3", uptimeTiers: { enabled: false } });
    h.health.windows.set(h.id("alpha"), { successes: 10, errors: 10, rateLimited: 0 });
    for (const k of h.orders(M1, 300).keys()) expect(k.endsWith("alpha")).toBe(true);
  });
});

describe("R35, R40, R43: variant parsing and validation", () => {
  it("dynamic variants stripped, static kept", () => {
    expect(parseModel("a/b:nitro")).toMatchObject({
      model: "a/b",
      sort: "throughput",
      admitsTier: "priority",
    });
    expect(parseModel("a/b:floor")).toMatchObject({ model: "a/b", sort: "price", admitsTier: "flex" });
    expect(parseModel("a/b:exacto")).toMatchObject({ model: "a/b", sort: "exacto" });
    expect(parseModel("a/b:online")).toMatchObject({ model: "a/b", sort: null });
    expect(parseModel("a/b:free")).toMatchObject({ model: "a/b:free", sort: null });
  });
  it(":online routes like the plain model (R40)", () => {
    const h = new Harness();
    expect(h.order({ model: "acme/m1:online" }, new Rng(5))).toEqual(h.order(M1, new Rng(5)));
  });
  it("unknown suffix → load-time InputError naming the field", () => {
    const ctx = { catalog: [], scenario: {} as never, baseDir: ".", file: "s.yaml", path: "policies[0]" };
    expect(() => checkModelId("acme/m1:turbo", ctx, "policies[0].request.model")).toThrow(InputError);
    const bad = fixtureScenario({ model: "acme/m1:turbo" });
    const s = scenarioFromObject(bad).scenario;
    expect(() => buildFirst(s)).toThrow(/unknown model variant ":turbo"/);
  });
  it("bad knobs are input errors with their path", () => {
    const s = scenarioFromObject(fixtureScenario(M1, {}, { openrouter: { lbMode: "v9" } })).scenario;
    expect(() => buildFirst(s)).toThrow(/policies\[0\]\.openrouter\.lbMode/);
  });
  it("appendix knobs all exist with the spec's defaults", () => {
    const c = OpenRouterConfig.parse({});
    expect(c).toMatchObject({
      lbMode: "v2",
      outageMinFailures: 1,
      priceBasis: "blend",
      inputShare: 0.5,
      includeRequestFee: false,
      lbCandidateTopK: null,
      fallbackOrder: "weighted",
      zeroPricePolicy: "firstGroupEqualWeights",
      uptimeTiers: { enabled: true, windowMs: 1_800_000, minRequests: 100, normalMin: 95, downBelow: 80 },
      statsWindowMs: 300_000,
      sortStat: "p50",
      sortConsidersHealth: false,
      missingStatsPosition: "last",
      orderRestOrdering: "sortOrLB",
      orderSlugExpansion: "lb",
      onlyCombination: "intersection",
      allowFallbacksScope: "providers",
      preferredScope: "global",
      partitionWithoutSort: "model",
      toolsWithoutSupport: "ignore",
      autoExacto: true,
      variantVsExplicitSort: "explicitWins",
      maxPriceUsesOverrides: true,
      modelFatalErrorTypes: [],
      maxAttempts: null,
      providerIdleTimeoutMs: 60_000,
      commitPoint: "firstToken",
      mixedFailureMapping: "last",
      noEligibleEndpointStatus: 404,
      maxModelsArray: 3,
      dedupeModels: true,
      billPartialOnErrorFinish: false,
      byokAlwaysUseScope: "sameProvider",
      stickyTtlMs: 600_000,
      stickyWithSort: true,
      stickyRepinOnFallbackSuccess: true,
    });
    expect(c.outageWindowMs).toBeUndefined(); // → 30 000 (v2) / 10 000 (v1)
  });
});

describe("R28 missingStatsPosition, R7/R94 statsSource observed", () => {
  it("observed stats drive the sort when statsSource is observed", () => {
    const h = new Harness({ statsSource: "observed" });
    h.health.stats.set(h.id("gamma"), { latencyS: { p50: 0.1 }, throughput: { p50: 999 }, samples: 10 });
    // gamma observed fastest; alpha and beta have no observations → last, canonical order
    expect(h.order({ ...M1, provider: { sort: "throughput" } })).toEqual(["gamma", "alpha", "beta"]);
    const first = new Harness({ statsSource: "observed", missingStatsPosition: "first" });
    first.health.stats.set(first.id("gamma"), {
      latencyS: { p50: 0.1 },
      throughput: { p50: 999 },
      samples: 10,
    });
    expect(first.order({ ...M1, provider: { sort: "throughput" } })).toEqual(["alpha", "beta", "gamma"]);
    const fallback = new Harness({ statsSource: "observedElseAdvertised" });
    expect(fallback.order({ ...M1, provider: { sort: "throughput" } })).toEqual(["beta", "alpha", "gamma"]);
  });
});

describe("R42: ~vendor/family-latest aliases", () => {
  it("resolve to the newest (last listed) family member; no member → unknown model", () => {
    const h = new Harness({}, [
      { name: "a", model: "acme/gem-1", price: { prompt: 1, completion: 1 } },
      { name: "b", model: "acme/gem-2", price: { prompt: 1, completion: 1 } },
      { name: "c", model: "other/x", price: { prompt: 1, completion: 1 } },
    ]);
    expect(h.order({ model: "~acme/gem-latest" })).toEqual(["b"]);
    expect(h.decide({ model: "~acme/nope-latest" })).toMatchObject({ status: 400, code: "model_not_found" });
  });
});

describe("R44, R49, R50, R52, R53, R54, R55, R56: attempt loop and identity", () => {
  it("attempts numbered 1.., each endpoint at most once, served identity = endpoint that answered", () => {
    const x = runScenario(
      fixtureScenario(
        { models: ["acme/m1", "acme/m1:nitro"], provider: { sort: "price" } },
        { alpha: failsWith(503), beta: failsWith(502) },
      ),
    ).outcomes[0];
    expect(x.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(x.attempts.map((a) => a.endpoint.tag)).toEqual(["alpha", "beta", "gamma"]);
    expect(x.o.kind === "served" && x.o.endpoint.tag).toBe("gamma");
  });
  it("R54: provider preferences apply to every candidate model", () => {
    expect(
      new Harness().order({ models: ["acme/m1", "acme/m2"], provider: { quantizations: ["bf16"] } }),
    ).toEqual(["beta", "delta"]);
  });
  it("R55: the last model's failure is returned (m2 429 after m1 503s)", () => {
    const x = runScenario(
      fixtureScenario(
        { models: ["acme/m1", "acme/m2"] },
        { alpha: failsWith(503), beta: failsWith(503), gamma: failsWith(503), delta: failsWith(429) },
      ),
    ).outcomes[0];
    expect(x.o).toMatchObject({ kind: "failed", status: 429, code: "capacity_exhausted" });
  });
});

describe("R72, R75–R78: Auto Router", () => {
  const providers = [
    {
      name: "p1",
      model: "v/cheap",
      price: { prompt: 0.1, completion: 0.1 },
      quality: { code: 0.5, chat: 0.7 },
    },
    { name: "p2", model: "v/mid", price: { prompt: 1, completion: 1 }, quality: { code: 0.7, chat: 0.8 } },
    {
      name: "p3",
      model: "v/best",
      price: { prompt: 10, completion: 10 },
      quality: { code: 0.95, chat: 0.9 },
    },
  ];
  const tasks = [
    {
      name: "code",
      weight: 1,
      prompt_tokens: [0, 2000] as [number, number],
      rankings: ["v/best", "v/mid", "v/cheap"],
    },
    {
      name: "chat",
      weight: 1,
      prompt_tokens: [2000, 1e9] as [number, number],
      rankings: ["v/mid", "v/cheap"],
    },
  ];
  const models = (h: Harness, body: Record<string, unknown>, extra = {}) => {
    const d = h.decide({ model: "openrouter/auto", ...body }, new Rng(1), extra);
    return d.kind === "route" ? d.candidates.map((i) => h.catalog[i].model) : d;
  };
  it("R75: classifier over request features picks the task's ranking; default set without tasks", () => {
    const h = new Harness({ autoRouter: { tasks } }, providers);
    expect(models(h, {}, { promptTokens: 500 })).toEqual(["v/best", "v/mid", "v/cheap"]);
    expect(models(h, {}, { promptTokens: 5000 })).toEqual(["v/mid", "v/cheap"]);
    const d = new Harness({ autoRouter: { defaultModels: ["v/mid"] } }, providers);
    expect(models(d, {})).toEqual(["v/mid"]);
  });
  it("R77: cost_tier bands by cost percentile", () => {
    const h = new Harness({ autoRouter: { tasks } }, providers);
    expect(models(h, { plugins: [{ id: "auto-router", cost_tier: "low" }] }, { promptTokens: 500 })).toEqual([
      "v/cheap",
    ]);
    expect(
      models(h, { plugins: [{ id: "auto-router", cost_tier: "medium" }] }, { promptTokens: 500 }),
    ).toEqual(["v/mid"]);
    expect(models(h, { plugins: [{ id: "auto-router", cost_tier: "max" }] }, { promptTokens: 500 })).toEqual([
      "v/best",
    ]);
    expect(globMatch("*/claude-*", "anthropic/claude-3")).toBe(true);
    expect(globMatch("openai/gpt-5*", "openai/gpt-4o")).toBe(false);
  });
  it("R72: max_price still filters the resolved model's endpoints; no router fee", () => {
    const h = new Harness({ autoRouter: { tasks } }, providers);
    expect(models(h, { provider: { max_price: { prompt: 2 } } }, { promptTokens: 500 })).toEqual([
      "v/mid",
      "v/cheap",
    ]);
  });
  it("R78 stickiness and pin_model", () => {
    const h = new Harness({ autoRouter: { tasks } }, providers);
    const e = h.catalog.find((x) => x.model === "v/cheap")!;
    h.policy.autoRouter.served("c1", e);
    expect(models(h, { session_id: "c1" }, { promptTokens: 500 })).toEqual(["v/cheap", "v/best", "v/mid"]);
    const narrow = new Harness({ autoRouter: { tasks, topN: 1 } }, providers);
    narrow.policy.autoRouter.served("c1", e);
    // not among the top candidates → stickiness does not apply, pin_model does
    expect(models(narrow, { session_id: "c1" }, { promptTokens: 500 })).toEqual(["v/best"]);
    expect(
      models(
        narrow,
        { session_id: "c1", plugins: [{ id: "auto-router", pin_model: true }] },
        { promptTokens: 500 },
      ),
    ).toEqual(["v/cheap"]);
  });
  it("R76: NotDiamond-era cost/quality trade-off", () => {
    const q = new Harness({ autoRouter: { tasks, mode: "costQuality", costQualityTradeoff: 0 } }, providers);
    expect(models(q, {}, { promptTokens: 500 })).toEqual(["v/best", "v/mid", "v/cheap"]);
    const cheap = new Harness(
      { autoRouter: { tasks, mode: "costQuality", costQualityTradeoff: 10 } },
      providers,
    );
    // quality − 1 × price/maxPrice: mid 0.6, cheap 0.49, best −0.05
    expect(models(cheap, {}, { promptTokens: 500 })).toEqual(["v/mid", "v/cheap", "v/best"]);
  });
  it("R74: the served model is reported and billed at its own price (end to end)", () => {
    const input = {
      name: "auto",
      seed: 1,
      traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: "openrouter/auto" },
      providers: providers.map((p) => ({ ...p, ttft_ms: 100, tokens_per_s: 100 })),
      policies: [
        { name: "auto", request: { model: "openrouter/auto" }, openrouter: { autoRouter: { tasks } } },
      ],
    };
    const x = runScenario(input).outcomes[0];
    expect(x.o.kind === "served" && x.o.endpoint.model).toBe("v/best");
    expect(x.o.kind === "served" && x.o.costUsd).toBeCloseTo((1500 * 10) / 1e6, 12);
  });
});
