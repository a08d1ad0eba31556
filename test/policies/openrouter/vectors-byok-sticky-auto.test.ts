/** Spec test vectors TV42–TV48 (BYOK, sticky routing) and TV50, TV51 (Auto Router). */
import { describe, expect, it } from "vitest";
import type { AutoRouterHook } from "../../../src/policies/openrouter/index.js";
import { Rng } from "../../../src/rng/rng.js";
import type { AttemptRecord, Endpoint, Outcome } from "../../../src/types.js";
import { attemptRecord, expectShare, fixtureProviders, Harness, request } from "./fixture.js";

const M1 = { model: "acme/m1" };

function withByok(tag: string, byok: Record<string, unknown>): unknown[] {
  const ps = fixtureProviders();
  const base = ps.find((p) => p.name === tag)!;
  return [...ps, { ...base, name: `${tag}/byok`, byok }];
}

describe("TV42, TV43 (R33, R34): BYOK precedence", () => {
  it("TV42: prioritized key for gamma + order [alpha, gamma] → C(BYOK), A, C, B", () => {
    const h = new Harness({}, withByok("gamma", { section: "prioritized" }));
    expect(h.order({ ...M1, provider: { order: ["alpha", "gamma"] } })).toEqual([
      "gamma/byok",
      "alpha",
      "gamma",
      "beta",
    ]);
  });
  it("TV42: 'Always use' removes the shared endpoint of that provider", () => {
    const h = new Harness({}, withByok("gamma", { section: "prioritized", always_use: true }));
    expect(h.order({ ...M1, provider: { order: ["alpha", "gamma"] } })).toEqual([
      "gamma/byok",
      "alpha",
      "beta",
    ]);
    const all = new Harness(
      { byokAlwaysUseScope: "allShared" },
      withByok("gamma", { section: "prioritized", always_use: true }),
    );
    expect(all.order({ ...M1, provider: { order: ["alpha", "gamma"] } })).toEqual(["gamma/byok"]);
  });
  it("R33: fallback-section keys go after the shared endpoints; useByok false drops them", () => {
    const h = new Harness({}, withByok("alpha", { section: "fallback" }));
    expect(h.order({ ...M1, provider: { sort: "price" } })).toEqual(["alpha", "beta", "gamma", "alpha/byok"]);
    const off = new Harness({ useByok: false }, withByok("alpha", { section: "fallback" }));
    expect(off.order({ ...M1, provider: { sort: "price" } })).toEqual(["alpha", "beta", "gamma"]);
  });
  it("TV43: BYOK key for beta + data_collection deny → A/C only, key unused", () => {
    const h = new Harness({}, withByok("beta", { section: "prioritized" }));
    const tags = new Set(h.order({ ...M1, provider: { data_collection: "deny" } }));
    expect(tags).toEqual(new Set(["alpha", "gamma"]));
  });
});

function served(e: Endpoint, cachedTokens = 0): { o: Outcome; attempts: AttemptRecord[] } {
  const a = attemptRecord(e, 200, {
    ttftMs: 1,
    completionTokens: 500,
    ...(cachedTokens > 0 ? { cachedTokens } : {}),
  });
  return {
    o: { kind: "served", endpoint: e, attempts: 1, costUsd: 0, latencyMs: 1, ttftMs: 1 },
    attempts: [a],
  };
}

const MIN = 60_000;

describe("TV44–TV48 (R82–R88): provider sticky routing", () => {
  function settle(
    h: Harness,
    tag: string,
    body: Record<string, unknown>,
    session?: string,
    cached = 0,
  ): void {
    const s = served(h.catalog[h.id(tag)], cached);
    h.policy.settle!(request(body, session ? { session } : {}), s.o, s.attempts, h.view);
  }
  const S1 = { ...M1, session_id: "s1" };

  it("TV44: pinned to B for 10 minutes after each success (TTL refreshed)", () => {
    const h = new Harness();
    settle(h, "beta", S1);
    h.now = 5 * MIN;
    for (let i = 0; i < 200; i++) expect(h.order(S1, new Rng(i))[0]).toBe("beta");
    settle(h, "beta", S1);
    h.now = 14 * MIN;
    for (let i = 0; i < 200; i++) expect(h.order(S1, new Rng(i))[0]).toBe("beta");
    h.now = 24 * MIN + 1000;
    const c = h.firsts(S1, 10_000).get("beta") ?? 0;
    const r = expectShare(c, 10_000, 9 / 49);
    expect(r.ok, r.msg).toBe(true);
  });
  it("TV44 (R87): stickyTtlMs configurable (5-minute doc version)", () => {
    const h = new Harness({ stickyTtlMs: 300_000 });
    settle(h, "beta", S1);
    h.now = 5 * MIN + 1;
    expect(h.policy.sticky.lookup("acme/m1", "s1", h.now)).toBe(-1);
  });
  it("TV45 (R85): C's cache read equals its prompt price → no record", () => {
    const h = new Harness();
    settle(h, "gamma", S1);
    expect(h.policy.sticky.size).toBe(0);
  });
  it("TV46 (R86): order ignores stickiness; sort keeps it (stickyWithSort)", () => {
    const h = new Harness();
    settle(h, "beta", S1);
    expect(h.order({ ...S1, provider: { order: ["alpha"] } })[0]).toBe("alpha");
    expect(h.order({ ...S1, provider: { sort: "price" } })).toEqual(["beta", "alpha", "gamma"]);
    const off = new Harness({ stickyWithSort: false });
    settle(off, "beta", S1);
    expect(off.order({ ...S1, provider: { sort: "price" } })).toEqual(["alpha", "beta", "gamma"]);
  });
  it("TV47 (R88): B fails, A serves → the record now points to A (stickyRepinOnFallbackSuccess)", () => {
    const h = new Harness();
    settle(h, "beta", S1);
    const body = { ...S1, provider: { sort: "price" as const } };
    expect(h.order(body)).toEqual(["beta", "alpha", "gamma"]);
    settle(h, "alpha", body);
    expect(h.policy.sticky.lookup("acme/m1", "s1", h.now)).toBe(h.id("alpha"));
    const keep = new Harness({ stickyRepinOnFallbackSuccess: false });
    settle(keep, "beta", S1);
    settle(keep, "alpha", body);
    expect(keep.policy.sticky.lookup("acme/m1", "s1", keep.now)).toBe(keep.id("beta"));
  });
  it("TV48 (R83, R84): without session_id a record needs a cache read", () => {
    const h = new Harness({ trafficSessionAs: "prefixHash" });
    settle(h, "beta", M1, "h1", 0);
    expect(h.policy.sticky.size).toBe(0);
    settle(h, "beta", M1, "h1", 800);
    expect(h.policy.sticky.lookup("acme/m1", "h1", h.now)).toBe(h.id("beta"));
    // with the traffic's session treated as an explicit key, any success writes it
    const ex = new Harness();
    settle(ex, "beta", M1, "h1", 0);
    expect(ex.policy.sticky.size).toBe(1);
  });
  it("R88: a sticky endpoint that is no longer eligible is ignored", () => {
    const h = new Harness();
    settle(h, "beta", S1);
    expect(h.order({ ...S1, provider: { ignore: ["beta"], sort: "price" } })).toEqual(["alpha", "gamma"]);
  });
  it("R34: sticky goes after prioritized BYOK", () => {
    const h = new Harness({}, withByok("gamma", { section: "prioritized" }));
    settle(h, "beta", S1);
    expect(h.order({ ...S1, provider: { sort: "price" } })).toEqual(["gamma/byok", "beta", "alpha", "gamma"]);
  });
});

const AUTO_PROVIDERS = [
  { name: "openai", model: "openai/x", price: { prompt: 10, completion: 10 }, quality: { code: 0.9 } },
  {
    name: "anthropic",
    model: "anthropic/claude-y",
    price: { prompt: 3, completion: 15 },
    quality: { code: 0.8 },
  },
  {
    name: "anthropic",
    model: "anthropic/claude-z",
    price: { prompt: 1, completion: 5 },
    quality: { code: 0.6 },
  },
];
const ranks: AutoRouterHook = () => ({
  taskType: "code",
  rankedModels: ["openai/x", "anthropic/claude-y", "anthropic/claude-z"],
});

describe("TV50, TV51 (R74, R77, R79): Auto Router settings", () => {
  it("TV50: allowed anthropic/*, excluded claude-y → [claude-z]; excluded anthropic/* → 404", () => {
    const h = new Harness({}, AUTO_PROVIDERS, { autoRouter: ranks });
    const plugin = {
      id: "auto-router",
      allowed_models: ["anthropic/*"],
      excluded_models: ["anthropic/claude-y"],
    };
    const d = h.decide({ model: "openrouter/auto", plugins: [plugin] });
    expect(d.kind === "route" && d.candidates.map((i) => h.catalog[i].model)).toEqual(["anthropic/claude-z"]);
    const none = h.decide({
      model: "openrouter/auto",
      plugins: [{ id: "auto-router", excluded_models: ["anthropic/*"], allowed_models: ["anthropic/*"] }],
    });
    expect(none).toMatchObject({ kind: "reject", status: 404, code: "no_models_match" });
  });
  it("TV51: settings under auto-beta-router sent to openrouter/auto are ignored", () => {
    const h = new Harness({}, AUTO_PROVIDERS, { autoRouter: ranks });
    const d = h.decide({
      model: "openrouter/auto",
      plugins: [{ id: "auto-beta-router", excluded_models: ["*"] }],
    });
    expect(d.kind === "route" && d.candidates.map((i) => h.catalog[i].model)).toEqual([
      "openai/x",
      "anthropic/claude-y",
      "anthropic/claude-z",
    ]);
    // ... while openrouter/auto-beta reads exactly that id.
    expect(
      h.decide({
        model: "openrouter/auto-beta",
        plugins: [{ id: "auto-beta-router", excluded_models: ["*"] }],
      }).kind,
    ).toBe("reject");
  });
});
