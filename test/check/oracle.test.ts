/** The spec oracles against the spec's own test vectors (docs/openrouter-routing.md §12). */
import { describe, expect, it } from "vitest";
import {
  autoAllows,
  autoRestrictions,
  byokPlacement,
  eligibleOf,
  exclusion,
  expectedFinal,
  globMatches,
  knobsOf,
  lbWeight,
  meetsPreferred,
  partitionOf,
  sortKey,
  stickyEndpoint,
  uptimeClass,
} from "../../src/check/oracle.js";
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

describe("ordering oracles (R25, R31–R33, R77, R84–R88)", () => {
  const k = knobsOf({});
  const byTag = (t: string) => catalog.find((e) => e.tag === t)!;
  const [A, B, C] = ["alpha", "beta", "gamma"].map(byTag);

  it("preferred_*: TV26–TV28 preferred groups", () => {
    const meets = (prefs: Parameters<typeof meetsPreferred>[1]) =>
      tags(m1.filter((e) => meetsPreferred(e, prefs)));
    expect(meets({ preferred_max_latency: 0.8 })).toEqual(["beta"]); // TV26
    expect(meets({ preferred_max_latency: 1.5 })).toEqual(["alpha", "beta"]); // → A, B, C
    expect(meets({ preferred_min_throughput: { p50: 90, p90: 80 } })).toEqual(["beta"]); // TV27
    expect(meets({ preferred_min_throughput: 150 })).toEqual(["beta"]); // TV28
  });

  it("partition: TV29 pools by price, legacy route, partition wins", () => {
    const pooled = (body: RequestBody) => partitionOf(body);
    expect(pooled({ provider: { sort: { by: "price", partition: "none" } } })).toEqual({
      by: "price",
      pooled: true,
    });
    expect(pooled({ provider: { sort: "price" }, route: "sort" })).toEqual({ by: "price", pooled: true });
    expect(pooled({ provider: { sort: { by: "price", partition: "none" } }, route: "fallback" }).pooled).toBe(
      true,
    );
    expect(pooled({ provider: { sort: { partition: "none" } } }).pooled).toBe(false); // no `by`
    const all = [...m1, byTag("phi")].sort((x, y) => sortKey(x, "price", k) - sortKey(y, "price", k));
    expect(tags(all)).toEqual(["phi", "alpha", "beta", "gamma"]); // F, A, B, C
  });

  it("uptime tiers: thresholds at 95 % and 80 %, 100 requests", () => {
    expect(uptimeClass({ successes: 95, errors: 5 }, k)).toBe(0);
    expect(uptimeClass({ successes: 94, errors: 6 }, k)).toBe(1);
    expect(uptimeClass({ successes: 80, errors: 20 }, k)).toBe(1);
    expect(uptimeClass({ successes: 79, errors: 21 }, k)).toBe(2);
    expect(uptimeClass({ successes: 0, errors: 99 }, k)).toBe(0); // too few requests
  });

  it("BYOK: TV42 placement and always-use", () => {
    const key = { ...C, id: 99, byok: { section: "prioritized" as const, alwaysUse: false } };
    const plain = byokPlacement([A, B, C, key], k);
    expect(plain.head).toEqual([key]);
    expect(tags(plain.shared)).toEqual(["alpha", "beta", "gamma"]);
    const always = byokPlacement([A, B, C, { ...key, byok: { ...key.byok, alwaysUse: true } }], k);
    expect(tags(always.shared)).toEqual(["alpha", "beta"]);
    expect(tags(always.removed)).toEqual(["gamma"]);
  });

  it("sticky: TV44 record, refresh and expiry; R85 price condition", () => {
    const min = 60_000;
    const served = [
      { endpoint: B, atMs: 0 },
      { endpoint: B, atMs: 5 * min },
    ];
    expect(stickyEndpoint(served, "acme/m1", 5 * min - 1, k)).toBe(B);
    expect(stickyEndpoint(served, "acme/m1", 14 * min, k)).toBe(B);
    expect(stickyEndpoint(served, "acme/m1", 15 * min + 1000, k)).toBeNull();
    expect(stickyEndpoint(served, "acme/m1", 5 * min, k)).toBe("ambiguous");
    expect(stickyEndpoint([{ endpoint: C, atMs: 0 }], "acme/m1", 1000, k)).toBeNull(); // no cache discount
    expect(stickyEndpoint([...served, { endpoint: A, atMs: 6 * min }], "acme/m1", 7 * min, k)).toBe(A); // re-pin
  });

  it("Auto Router globs (R77)", () => {
    expect(globMatches("acme/*", "acme/m1")).toBe(true);
    expect(globMatches("*/m*", "acme/m1")).toBe(true);
    expect(globMatches("acme/m1", "acme/m10")).toBe(false);
    expect(globMatches("a.me/*", "acme/m1")).toBe(false);
    const r = { allowed: ["acme/*"], excluded: ["*2"] };
    expect(["acme/m1", "acme/m2", "other/x"].filter((m) => autoAllows(m, r))).toEqual(["acme/m1"]);
    const beta = autoRestrictions({
      model: "openrouter/auto-beta",
      plugins: [{ id: "auto-router", allowed_models: ["x"] }],
    });
    expect(beta).toEqual({ allowed: [], excluded: [] }); // settings under the other id are ignored
  });
});
