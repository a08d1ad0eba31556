/** R102 presets at load: the scenario `presets` field, the three reference forms, merge rules, errors. */
import { describe, expect, it } from "vitest";
import type { InputError } from "../../src/scenario/errors.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import { applyPreset, RequestBody, requestBodyWarnings } from "../../src/scenario/request-body.js";

const base = {
  name: "p",
  traffic: { arrivals: { process: "poisson", rate_per_s: 1 }, requests: 10, model: "acme/m1" },
  providers: [
    { name: "alpha", model: "acme/m1", price: { prompt: 1, completion: 1 } },
    { name: "phi", model: "acme/m3", price: { prompt: 1, completion: 1 } },
  ],
};
const fn = (name: string, extra: Record<string, unknown> = {}) => ({
  type: "function",
  function: { name, ...extra },
});

function load(request: Record<string, unknown>, presets: Record<string, unknown>, openrouter = {}) {
  return scenarioFromObject({ ...base, presets, policies: [{ name: "x", request, openrouter }] }).scenario
    .policies[0].request;
}

describe("R102: scenario presets resolve at load", () => {
  const presets = { cheap: { model: "acme/m1", provider: { sort: "price", zdr: true }, temperature: 0.2 } };
  it("@preset/slug: the preset's fields, no preset reference left", () => {
    expect(load({ model: "@preset/cheap" }, presets)).toEqual(presets.cheap);
  });
  it("preset field and model@preset: request fields win key by key; provider replaced by default", () => {
    expect(load({ model: "acme/m3", preset: "cheap", temperature: 0.9 }, presets)).toEqual({
      model: "acme/m3",
      provider: { sort: "price", zdr: true },
      temperature: 0.9,
    });
    expect(load({ model: "acme/m3@preset/cheap", provider: { order: ["phi"] } }, presets)).toEqual({
      model: "acme/m3",
      provider: { order: ["phi"] },
      temperature: 0.2,
    });
  });
  it("presetProviderMerge: deep merges provider member by member (request wins)", () => {
    const b = load({ model: "@preset/cheap", provider: { order: ["alpha"], zdr: false } }, presets, {
      presetProviderMerge: "deep",
    });
    expect(b.provider).toEqual({ sort: "price", zdr: false, order: ["alpha"] });
  });
  it("a preset without model and a body without one: the traffic's model is used later (no model set)", () => {
    expect(load({ preset: "t" }, { t: { temperature: 1 } })).toEqual({ temperature: 1 });
  });
  it("null in the request is absent (R98): the preset's value stays", () => {
    expect(load({ model: "@preset/cheap", temperature: null }, presets).temperature).toBe(0.2);
  });
  it("unknown preset → load error naming the policy's field and the known slugs", () => {
    const err = (request: Record<string, unknown>) => {
      try {
        load(request, presets);
      } catch (e) {
        return e as InputError;
      }
      throw new Error("no error");
    };
    expect(err({ model: "@preset/dear" }).message).toMatch(
      /policies\[0\]\.request\.model: unknown preset "dear".*scenario presets: cheap/,
    );
    expect(err({ model: "acme/m1", preset: "dear" }).message).toMatch(
      /policies\[0\]\.request\.preset: unknown/,
    );
    expect(err({ model: "@preset/cheap", preset: "other" }).message).toMatch(/request\.preset: names preset/);
  });
  it("preset bodies go through the request schema (a bad preset field names its path)", () => {
    expect(() => load({ model: "acme/m1" }, { bad: { service_tier: "turbo" } })).toThrow(
      /presets\.bad\.service_tier/,
    );
  });
  it("presets are no longer warned about as unresolved", () => {
    const w = requestBodyWarnings(load({ model: "@preset/cheap" }, presets), "policies[0].request");
    expect(w).toEqual([]);
  });
});

describe("R102: tools are unioned by identity", () => {
  const presets = {
    agent: RequestBody.parse({
      tools: [
        fn("search", { description: "preset" }),
        { type: "openrouter:advisor", parameters: { name: "a" } },
        { type: "openrouter:web_search" },
      ],
    }),
  };
  it("a request tool replaces the preset tool of the same identity; preset order kept; request-only appended", () => {
    const r = applyPreset(
      RequestBody.parse({
        preset: "agent",
        tools: [
          fn("fetch"),
          fn("search", { description: "request" }),
          { type: "openrouter:advisor", parameters: { name: "b" } },
          { type: "openrouter:web_search", parameters: { max_results: 3 } },
        ],
      }),
      presets,
      "replace",
    );
    expect(r.kind === "ok" && r.body.tools).toEqual([
      fn("search", { description: "request" }),
      { type: "openrouter:advisor", parameters: { name: "a" } },
      { type: "openrouter:web_search", parameters: { max_results: 3 } },
      fn("fetch"),
      { type: "openrouter:advisor", parameters: { name: "b" } },
    ]);
  });
});
