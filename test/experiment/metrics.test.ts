import { describe, expect, it } from "vitest";
import { capacityPerS, ExtraMetrics, qualityOf } from "../../src/experiment/metrics.js";
import { PolicyMetrics } from "../../src/metrics/collector.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import type { AttemptRecord, Outcome, RoutedRequest } from "../../src/types.js";

const loaded = scenarioFromObject({
  name: "m",
  traffic: { requests: 10, arrivals: { process: "poisson", rate_per_s: 1 }, model: "x/m" },
  providers: [
    {
      name: "a",
      model: "x/m",
      price: { prompt: 1, completion: 1 },
      concurrency: 10,
      rate_limit: { rpm: 60 },
    },
    { name: "b", model: "x/m", price: { prompt: 2, completion: 2 } },
  ],
  policies: [{ name: "p", request: { model: "x/m" } }],
});
const catalog = buildCatalog(loaded.scenario.providers);
const req = {
  id: 0,
  arrivalMs: 0,
  promptTokens: 10,
  completionTokens: 10,
  model: "x/m",
  body: { model: "x/m" },
} as RoutedRequest;
const att = (i: number, e: number, status: number, cost: number): AttemptRecord => ({
  policy: "p",
  requestId: 0,
  attempt: i,
  endpoint: catalog[e],
  startMs: 0,
  endMs: 1,
  ttftMs: 1,
  status,
  error: status === 200 ? "none" : "error",
  promptTokens: 10,
  completionTokens: 10,
  costUsd: cost,
});

describe("extra metrics", () => {
  it("wasted spend: billed attempts that did not serve, and everything billed for failed requests", () => {
    const m = new ExtraMetrics(catalog, loaded.scenario.providers);
    const pm = new PolicyMetrics("p", null, null, catalog);
    const both = {
      outcome: (...a: Parameters<PolicyMetrics["outcome"]>) => {
        m.outcome(...a);
        pm.outcome(...a);
      },
    };
    const d = { kind: "route" as const, candidates: [0, 1] };
    // Served on the second attempt, but the first was billed (e.g. a partial stream): wasted 0.5.
    const served: Outcome = {
      kind: "served",
      endpoint: catalog[1],
      attempts: 2,
      costUsd: 1.5,
      latencyMs: 5,
      ttftMs: 1,
    };
    both.outcome(req, served, [att(1, 0, 500, 0.5), att(2, 1, 200, 1)], d);
    // Failed after a billed attempt: wasted 0.25.
    const failed: Outcome = {
      kind: "failed",
      status: 502,
      code: "x",
      attempts: 1,
      latencyMs: 5,
      ttftMs: Number.NaN,
      costUsd: 0.25,
    };
    both.outcome(req, failed, [att(1, 0, 502, 0.25)], d);
    const summary = pm.summary();
    const timeline = {
      bucketMs: 1000,
      endMs: 10,
      requests: [],
      failed: [],
      served: {},
      attempts: {},
      outages: [],
      recoveries: [],
    };
    const v = m.values(summary, timeline);
    expect(summary.wastedSpendUsd).toBeCloseTo(0.75, 12);
    expect(summary.costUsd).toBeCloseTo(1.75, 12); // everything billed, the failed request's attempt too
    expect(v.wastedSpendUsd).toBe(summary.wastedSpendUsd);
    expect(v.fallbackRate).toBe(0.5);
    expect(v["fallbackDepth.1"]).toBe(0.5);
    expect(v["fallbackDepth.failed"]).toBe(0.5);
    expect(v["errors.502"]).toBe(0.5);
    expect(v.qualityScore).toBeNaN(); // no model carries a quality score here
  });

  it("capacity is the tighter of the rate limit and concurrency over service time", () => {
    const [a, b] = loaded.scenario.providers;
    expect(capacityPerS(a, 250)).toBe(1); // 60 rpm
    expect(capacityPerS(b, 250)).toBeNull(); // unbounded
    expect(qualityOf(catalog[0], { ...a, quality: { coding: 0.6, chat: 0.8, exacto: 0.1 } })).toBeCloseTo(
      0.7,
      12,
    );
    expect(qualityOf(catalog[0], { ...a, quality: { exacto: 0.3 } })).toBe(0.3);
    expect(qualityOf(catalog[0], { ...a, quality: 0.8 } as unknown as typeof a)).toBe(0.8);
    expect(qualityOf(catalog[0], a)).toBeNull();
  });
});
