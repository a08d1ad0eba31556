/**
 * Spec §13 R102 presets: TV102 on the §12 fixture catalog (bodies resolved as the scenario loader
 * does, through `applyPreset`), and scenarios/openrouter/presets.yaml end to end.
 */
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../src/scenario/load.js";
import { applyPreset, type PresetMerge, RequestBody } from "../../../src/scenario/request-body.js";
import { simulate } from "../../../src/simulate.js";
import { Harness } from "./fixture.js";

const PRESETS = { cheap: RequestBody.parse({ model: "acme/m1", provider: { sort: "price" } }) };

function resolved(b: Record<string, unknown>, merge: PresetMerge = "replace"): RequestBody {
  const r = applyPreset(RequestBody.parse(b), PRESETS, merge);
  if (r.kind === "error") throw new Error(r.message);
  return r.body;
}

describe("TV102 (R102): presets", () => {
  const h = new Harness();
  it('model "@preset/cheap" → A, B, C deterministic (the preset\'s model and price sort)', () => {
    const b = resolved({ model: "@preset/cheap" });
    expect(h.orders(b, 300)).toEqual(new Map([["alpha,beta,gamma", 300]]));
  });
  it('model acme/m3 with preset: "cheap" → F only (request model wins, preset sort applies)', () => {
    const b = resolved({ model: "acme/m3", preset: "cheap" });
    expect(b.provider).toEqual({ sort: "price" });
    expect(h.order(b)).toEqual(["phi"]);
  });
  it('"acme/m1@preset/cheap" + order [gamma], "replace" (default): C first, then A, B by load balancing', () => {
    const b = resolved({ model: "acme/m1@preset/cheap", provider: { order: ["gamma"] } });
    expect(b.provider).toEqual({ order: ["gamma"] });
    const orders = h.orders(b, 2000);
    expect([...orders.keys()].sort()).toEqual(["gamma,alpha,beta", "gamma,beta,alpha"]);
    // v2 load balancing: 1/price² gives alpha 4/5 of the first places after gamma.
    expect(orders.get("gamma,alpha,beta")! / 2000).toBeGreaterThan(0.7);
    expect(orders.get("gamma,alpha,beta")! / 2000).toBeLessThan(0.9);
  });
  it('"acme/m1@preset/cheap" + order [gamma], "deep": C, then A, B in price order (R29 step 2)', () => {
    const b = resolved({ model: "acme/m1@preset/cheap", provider: { order: ["gamma"] } }, "deep");
    expect(h.orders(b, 300)).toEqual(new Map([["gamma,alpha,beta", 300]]));
  });
  it("an unknown preset is an error before routing, naming the field that references it", () => {
    const r = applyPreset(RequestBody.parse({ model: "@preset/nope" }), PRESETS, "replace");
    expect(r).toMatchObject({ kind: "error", path: ["model"] });
    expect(r.kind === "error" && r.message).toMatch(/unknown preset "nope".*400.*cheap/);
    const f = applyPreset(RequestBody.parse({ model: "acme/m1", preset: "nope" }), PRESETS, "replace");
    expect(f).toMatchObject({ kind: "error", path: ["preset"] });
  });
});

describe("presets.yaml (R102)", () => {
  const { summary } = simulate(loadScenario("scenarios/openrouter/presets.yaml", { requests: 3000 }));
  const p = (name: string) => summary.policies.find((x) => x.name === name)!;
  it("@preset/cheap → alpha only; preset field with model acme/m3 → phi only", () => {
    expect(p("at-preset").providerShare).toEqual({ alpha: 1 });
    expect(p("preset-field").providerShare).toEqual({ phi: 1 });
  });
  it("suffix form: replace falls back to alpha and beta by load balancing, deep to alpha only", () => {
    const replace = p("suffix-replace").providerShare;
    const deep = p("suffix-deep").providerShare;
    expect(Object.keys(replace).sort()).toEqual(["alpha", "beta", "gamma"]);
    expect(Object.keys(deep).sort()).toEqual(["alpha", "gamma"]);
    expect(replace.gamma).toBeCloseTo(deep.gamma, 6); // same traffic, gamma first in both
    expect(p("suffix-deep").successRate).toBe(1);
  });
  it("tools union: preset and request tools both sent → tools endpoints only (R19)", () => {
    expect(Object.keys(p("tools-union").providerShare).sort()).toEqual(["alpha", "gamma"]);
  });
});
