/**
 * Spec §13 vectors TV100, TV101, TV103, TV119 and rules R100 (service_tier values), R101 (speed,
 * fast siblings), R103 (Auto Router effort, auto-code), R115 (Exacto no-data position), R118
 * (switchyard-router), R119 (tool_choice value flags).
 */
import { describe, expect, it } from "vitest";
import type { AutoContext, AutoRouterHook } from "../../../src/policies/openrouter/index.js";
import { Rng } from "../../../src/rng/rng.js";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import { requestBodyWarnings } from "../../../src/scenario/request-body.js";
import { RequestBody } from "../../../src/scenario/schema.js";
import {
  expectShare,
  fixtureProviders,
  fixtureScenario,
  Harness,
  runScenario,
  scriptedRng,
} from "./fixture.js";

const body = (b: Record<string, unknown>) => RequestBody.parse(b);
/** Fixture providers with fields replaced per endpoint tag. */
function withFields(over: Record<string, Record<string, unknown>>, extra: unknown[] = []): unknown[] {
  return [...fixtureProviders().map((p) => ({ ...p, ...(over[p.name as string] ?? {}) })), ...extra];
}
function loadMessage(input: Record<string, unknown>): string {
  try {
    scenarioFromObject(input);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a load error");
}

describe("TV100 (R100, R12): service_tier values", () => {
  const h = new Harness();
  it('"auto" and "scale" opt into nothing: acme/m4 → O only', () => {
    for (const t of ["auto", "scale"])
      expect(h.order(body({ model: "acme/m4", service_tier: t }))).toEqual(["openai"]);
  });
  it('acme/m4:nitro + "auto" → OP then O; only an explicit "default" cancels admission', () => {
    expect(h.order(body({ model: "acme/m4:nitro", service_tier: "auto" }))).toEqual([
      "openai/priority",
      "openai",
    ]);
    expect(h.order(body({ model: "acme/m4:nitro", service_tier: "default" }))).toEqual(["openai"]);
  });
  it('"turbo" is a 400 before routing (a load error naming the field: zero attempts)', () => {
    const msg = loadMessage(fixtureScenario({ model: "acme/m4", service_tier: "turbo" }));
    expect(msg).toContain("policies[0].request.service_tier");
  });
});

const OPUS = [
  {
    name: "anthropic",
    model: "acme/opus",
    price: { prompt: 5, completion: 25 },
    fast_sibling: "acme/opus-fast",
  },
  { name: "amazon-bedrock", model: "acme/opus", price: { prompt: 5, completion: 25 } },
  { name: "anthropic", model: "acme/opus-fast", price: { prompt: 30, completion: 150 } },
];

describe("TV101 (R101): speed fast ≡ priority; fast siblings", () => {
  it('acme/m4 + speed "fast" → OP then O, same as service_tier "priority"', () => {
    const h = new Harness();
    const prio = h.order(body({ model: "acme/m4", service_tier: "priority" }));
    expect(prio).toEqual(["openai/priority", "openai"]);
    expect(h.order(body({ model: "acme/m4", speed: "fast" }))).toEqual(prio);
    expect(h.order(body({ model: "acme/m4", speed: "standard" }))).toEqual(["openai"]);
  });
  it("conflicting values are honoured as written, neither derived from the other", () => {
    const h = new Harness();
    // standard does not cancel the explicit priority tier; default does not cancel speed fast
    expect(h.order(body({ model: "acme/m4", speed: "standard", service_tier: "priority" }))).toEqual([
      "openai/priority",
      "openai",
    ]);
    expect(h.order(body({ model: "acme/m4", speed: "fast", service_tier: "default" }))).toEqual([
      "openai/priority",
      "openai",
    ]);
  });
  it("acme/opus + speed fast → endpoints of the sibling acme/opus-fast; without it, acme/opus", () => {
    const h = new Harness({}, [...fixtureProviders(), ...OPUS]);
    expect(h.decide(body({ model: "acme/opus", speed: "fast" }))).toEqual({
      kind: "route",
      candidates: [h.id("anthropic", "acme/opus-fast")],
    });
    for (const b of [{ model: "acme/opus" }, { model: "acme/opus", speed: "standard" }]) {
      const d = h.decide(body(b));
      expect(d.kind === "route" && d.candidates.map((i) => h.catalog[i].model)).toEqual([
        "acme/opus",
        "acme/opus",
      ]);
    }
    // the variant suffix survives the reroute (sort by price over the sibling's endpoints)
    expect(h.order(body({ model: "acme/opus:floor", service_tier: "fast" }))).toEqual(["anthropic"]);
  });
  it("end to end: the response model is the sibling", () => {
    const r = runScenario({
      ...fixtureScenario({ model: "acme/opus", speed: "fast" }),
      providers: OPUS.map((p) => ({ ttft_ms: 100, tokens_per_s: 100, ...p })),
      traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 3, model: "acme/opus" },
    });
    expect(r.outcomes).toHaveLength(3);
    for (const { o } of r.outcomes) expect(o.kind === "served" && o.endpoint.model).toBe("acme/opus-fast");
  });
  it("a fast_sibling that no provider entry serves is a load error naming the field", () => {
    const s = fixtureScenario({ model: "acme/m1" });
    (s.providers as Record<string, unknown>[])[0].fast_sibling = "acme/nope";
    expect(loadMessage(s)).toContain("providers[0].fast_sibling");
  });
  it("speed is modelled: no warning", () => {
    expect(requestBodyWarnings(body({ model: "acme/m4", speed: "fast" }), "r")).toEqual([]);
  });
});

const REASONING = { supported_parameters: ["tools", "temperature", "top_k", "max_tokens", "reasoning"] };

describe("TV103 (R103, R18, R79): the Auto Router picks a model and a reasoning effort", () => {
  it("auto-code hook effort high + require_parameters → B, C only (A lacks reasoning)", () => {
    const seen: AutoContext[] = [];
    const hook: AutoRouterHook = (_r, _v, _s, _rng, ctx) => {
      seen.push(ctx);
      return { rankedModels: ["acme/m1"], reasoningEffort: "high" };
    };
    const h = new Harness({}, withFields({ beta: REASONING, gamma: REASONING }), { autoRouter: hook });
    const b = body({ model: "openrouter/auto-code", provider: { require_parameters: true } });
    expect(new Set(h.order(b))).toEqual(new Set(["beta", "gamma"]));
    expect(seen[0]).toEqual({ policy: "code" });
    // without an effort (and no reasoning in the body) A stays eligible
    const plain = new Harness({}, withFields({ beta: REASONING, gamma: REASONING }), {
      autoRouter: () => ({ rankedModels: ["acme/m1"] }),
    });
    expect(new Set(plain.order(b))).toEqual(new Set(["alpha", "beta", "gamma"]));
    h.order(body({ model: "openrouter/auto" }));
    expect(seen[1]).toEqual({ policy: "general" });
  });
  it("end to end with the built-in hook's code effort knob: response model acme/m1, never alpha", () => {
    const s = fixtureScenario(
      { model: "openrouter/auto-code", provider: { require_parameters: true } },
      { beta: REASONING, gamma: REASONING },
      { openrouter: { autoRouter: { defaultModels: ["acme/m1"], code: { reasoningEffort: "high" } } } },
    );
    (s.traffic as Record<string, unknown>).requests = 20;
    const r = runScenario(s);
    expect(r.outcomes).toHaveLength(20);
    for (const { o } of r.outcomes) {
      expect(o.kind === "served" && o.endpoint.model).toBe("acme/m1");
      expect(o.kind === "served" && o.endpoint.tag).not.toBe("alpha");
    }
  });
  const models = (h: Harness, b: Record<string, unknown>, rng?: Rng) => {
    const d = h.decide(body(b), rng);
    if (d.kind !== "route") throw new Error(`rejected ${d.code}`);
    return [...new Set(d.candidates.map((i) => h.catalog[i].model))];
  };
  it("auto-code policy (interp.): weighs speed (speedWeight) and starts in a higher cost band", () => {
    const auto = { defaultModels: ["acme/m3", "acme/m1", "acme/m2"] };
    const fast = new Harness({ autoRouter: { ...auto, code: { speedWeight: 2, defaultCostTier: null } } });
    // general keeps the ranking; code: m2 (300 tok/s) and m1 (200) overtake m3 (80)
    expect(models(fast, { model: "openrouter/auto" })).toEqual(["acme/m3", "acme/m1", "acme/m2"]);
    expect(models(fast, { model: "openrouter/auto-code" })).toEqual(["acme/m2", "acme/m1", "acme/m3"]);
    // default code band "medium": cost percentiles m3 0, m1 50, m2 100 → nearest to the band, m1
    const banded = new Harness({ autoRouter: auto });
    expect(models(banded, { model: "openrouter/auto-code" })).toEqual(["acme/m1"]);
    expect(models(banded, { model: "openrouter/auto" })).toHaveLength(3);
  });
});

describe("R118: switchyard-router through the Auto Router hook", () => {
  const ranked = ["acme/m3", "acme/m1", "acme/m2"];
  const algos: (string | undefined)[] = [];
  const hook: AutoRouterHook = (_r, _v, _s, _rng, ctx) => {
    algos.push(ctx.algorithm);
    return { rankedModels: ranked };
  };
  const h = new Harness({}, fixtureProviders(), { autoRouter: hook });
  const models = (b: Record<string, unknown>, rng?: Rng) => {
    const d = h.decide(body(b), rng);
    if (d.kind !== "route") throw new Error(`rejected ${d.code}`);
    return [...new Set(d.candidates.map((i) => h.catalog[i].model))];
  };
  const sy = (algorithm?: string) => ({ id: "switchyard-router", ...(algorithm ? { algorithm } : {}) });
  it("the hook gets the algorithm (capability when omitted)", () => {
    algos.length = 0;
    models({ model: "openrouter/auto", plugins: [sy()] });
    models({ model: "openrouter/auto", plugins: [sy("stage")] });
    models({ model: "openrouter/auto" });
    expect(algos).toEqual(["capability", "stage", undefined]);
  });
  it("passthrough: the ranked list as is (no cost band); restrictions still apply", () => {
    const band = { id: "auto-router", cost_tier: "max" };
    expect(models({ model: "openrouter/auto", plugins: [band] })).toEqual(["acme/m2"]);
    expect(models({ model: "openrouter/auto", plugins: [band, sy("passthrough")] })).toEqual(ranked);
    const excl = { id: "auto-router", excluded_models: ["acme/m1"] };
    expect(models({ model: "openrouter/auto", plugins: [excl, sy("passthrough")] })).toEqual([
      "acme/m3",
      "acme/m2",
    ]);
  });
  it("random: a uniform pick from the policy's rng, the rest as fallbacks in ranked order", () => {
    const b = { model: "openrouter/auto", plugins: [sy("random")] };
    expect(models(b, scriptedRng([0.5, ...Array(9).fill(0.5)]))).toEqual(["acme/m1", "acme/m3", "acme/m2"]);
    expect(models(b, scriptedRng([0.99, ...Array(9).fill(0.5)]))).toEqual(["acme/m2", "acme/m3", "acme/m1"]);
    const rng = new Rng(7, "test");
    const n = 6000;
    const first = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const m = models(b, rng)[0];
      first.set(m, (first.get(m) ?? 0) + 1);
    }
    for (const m of ranked) {
      const r = expectShare(first.get(m) ?? 0, n, 1 / 3);
      expect(r.ok, `${m}: ${r.msg}`).toBe(true);
    }
  });
  it("accepted without a warning on auto models; a bad algorithm is a load error", () => {
    expect(requestBodyWarnings(body({ model: "openrouter/auto", plugins: [sy("random")] }), "r")).toEqual([]);
    expect(requestBodyWarnings(body({ model: "acme/m1", plugins: [sy()] }), "r")[0]).toContain(
      "openrouter/auto",
    );
    const msg = loadMessage(fixtureScenario({ model: "openrouter/auto", plugins: [sy("psychic")] }));
    expect(msg).toContain("policies[0].request.plugins[0].algorithm");
  });
});

describe("TV119 (R119, R19, R18): per-value tool_choice flags", () => {
  const noRequired = { tool_choice_support: { required: false } };
  const tools = { model: "acme/m1", tools: [{ type: "function" }], tool_choice: "required" };
  it('knob "prefer" (default): tool_choice required → C only (B already dropped by R19)', () => {
    const h = new Harness({}, withFields({ alpha: noRequired }));
    expect(h.order(body(tools))).toEqual(["gamma"]);
    // other values keep both; no endpoint passing the value keeps all (like R19)
    expect(new Set(h.order(body({ ...tools, tool_choice: "auto" })))).toEqual(new Set(["alpha", "gamma"]));
    const none = new Harness({}, withFields({ alpha: noRequired, gamma: noRequired }));
    expect(new Set(none.order(body(tools)))).toEqual(new Set(["alpha", "gamma"]));
  });
  it('knob "off" → A, C as TV24', () => {
    const h = new Harness({ toolChoiceValueFilter: "off" }, withFields({ alpha: noRequired }));
    expect(new Set(h.order(body(tools)))).toEqual(new Set(["alpha", "gamma"]));
  });
  it("a named function reads the function flag", () => {
    const h = new Harness({}, withFields({ gamma: { tool_choice_support: { function: false } } }));
    const named = { ...tools, tool_choice: { type: "function", function: { name: "f" } } };
    expect(h.order(body(named))).toEqual(["alpha"]);
  });
  it('"require", or "prefer" with require_parameters: a hard check (404 when nothing passes)', () => {
    const tc = { supported_parameters: ["tools", "tool_choice"] };
    const over = { alpha: { ...tc, ...noRequired }, gamma: { ...tc, ...noRequired } };
    const strict = { ...tools, provider: { require_parameters: true } };
    expect(new Harness({}, withFields(over)).decide(body(strict))).toMatchObject({
      kind: "reject",
      status: 404,
      excludedBy: ["require_parameters"],
    });
    // "require" without require_parameters: B (no flags set) would survive with tools stripped (R19)
    const all = { ...over, beta: noRequired };
    expect(
      new Harness({ toolChoiceValueFilter: "require" }, withFields(all)).decide(body(tools)),
    ).toMatchObject({
      kind: "reject",
      status: 404,
    });
    expect(new Harness({}, withFields(all)).decide(body(tools)).kind).toBe("route");
    const oneOk = withFields({ alpha: { ...tc, ...noRequired }, gamma: tc });
    expect(new Harness({}, oneOk).order(body(strict))).toEqual(["gamma"]);
  });
});

describe("R115, R28: Exacto places endpoints without data between good and poor ones", () => {
  const p = (name: string, price: number, exacto?: number) => ({
    name,
    model: "x/m",
    price: { prompt: price, completion: price },
    supported_parameters: ["tools"],
    ...(exacto === undefined ? {} : { quality: { exacto } }),
  });
  const providers = [p("poor", 1, 0.2), p("good", 2, 0.9), p("nodata-dear", 4), p("nodata-cheap", 3)];
  it('"afterGood" (default): good, then no data by price, then poor', () => {
    const h = new Harness({}, providers);
    const want = ["good", "nodata-cheap", "nodata-dear", "poor"];
    expect(h.order(body({ model: "x/m", tools: [{}] }))).toEqual(want);
    expect(h.order(body({ model: "x/m:exacto" }))).toEqual(want);
  });
  it('"afterPoor": every scored endpoint first, then no data; the threshold is a knob', () => {
    const h = new Harness({ exactoNoDataPosition: "afterPoor" }, providers);
    expect(h.order(body({ model: "x/m:exacto" }))).toEqual(["good", "poor", "nodata-cheap", "nodata-dear"]);
    const low = new Harness({ exactoPoorBelow: 0.1 }, providers);
    expect(low.order(body({ model: "x/m:exacto" }))).toEqual(["good", "poor", "nodata-cheap", "nodata-dear"]);
  });
});
