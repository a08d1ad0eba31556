/**
 * Random small worlds: whatever the providers do (queues, limits, errors, outages, timeouts) and
 * whatever the policy, every request ends in exactly one outcome, attempts and costs add up, and a
 * second run is identical.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ScenarioInput, scenarioFromObject, simulate } from "../src/index.js";

const MODEL = "acme/m";

const dist = fc.oneof(
  fc.integer({ min: 1, max: 800 }),
  fc.record({ dist: fc.constant("exponential"), mean: fc.integer({ min: 20, max: 800 }) }),
  fc.record({
    dist: fc.constant("lognormal"),
    median: fc.integer({ min: 20, max: 800 }),
    sigma: fc.double({ min: 0, max: 1.5, noNaN: true }),
  }),
  fc.record({
    dist: fc.constant("gamma"),
    mean: fc.integer({ min: 20, max: 800 }),
    cv: fc.double({ min: 0.2, max: 3, noNaN: true }),
  }),
);

const providerArb = (name: string) =>
  fc.record(
    {
      name: fc.constant(name),
      model: fc.constant(MODEL),
      price: fc.record({
        prompt: fc.integer({ min: 0, max: 5 }),
        completion: fc.integer({ min: 0, max: 5 }),
      }),
      ttft_ms: dist,
      tokens_per_s: fc.integer({ min: 5, max: 300 }),
      concurrency: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
      queue_limit: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
      rate_limit: fc.option(
        fc.record({ rpm: fc.integer({ min: 30, max: 3000 }), burst: fc.integer({ min: 1, max: 20 }) }),
        {
          nil: null,
        },
      ),
      error_rate: fc.double({ min: 0, max: 0.5, noNaN: true }),
      error_mix: fc.constantFrom({ "500": 1 }, { "429": 1, timeout: 1 }, { empty: 1, "503": 2, timeout: 1 }),
      midstream_error_rate: fc.double({ min: 0, max: 0.3, noNaN: true }),
      outages: fc.array(
        fc.record({
          start_s: fc.integer({ min: 0, max: 20 }),
          duration_s: fc.integer({ min: 1, max: 10 }),
          status: fc.constantFrom(503, 502, 429, "timeout" as const, "empty" as const),
          error_rate: fc.double({ min: 0, max: 1, noNaN: true }),
          latency_multiplier: fc.double({ min: 0.5, max: 4, noNaN: true }),
        }),
        { maxLength: 2 },
      ),
    },
    { requiredKeys: ["name", "model", "price", "ttft_ms"] },
  );

const world = fc.record({
  seed: fc.integer({ min: 0, max: 1000 }),
  rate: fc.integer({ min: 2, max: 60 }),
  providers: fc.tuple(providerArb("a"), providerArb("b"), providerArb("c")),
  timeout: fc.integer({ min: 100, max: 5000 }),
  maxAttempts: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
});

type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

function scenario(w: World): ScenarioInput {
  const router = { timeout_ms: w.timeout, max_attempts: w.maxAttempts };
  return {
    name: "fuzz",
    seed: w.seed,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: w.rate },
      requests: 300,
      completion_tokens: { dist: "lognormal", median: 100, sigma: 0.5 },
      model: MODEL,
    },
    providers: [...w.providers],
    outage_groups: [{ name: "g", providers: ["a", "c"], random_outages: { mtbf_s: 20, duration_s: 3 } }],
    policies: [
      { name: "default", request: { model: MODEL }, router },
      { name: "price", request: { model: MODEL, provider: { sort: "price" } }, router },
      {
        name: "pinned",
        request: { model: MODEL, provider: { order: ["b", "a"], allow_fallbacks: false } },
        router,
      },
    ],
  } as ScenarioInput;
}

describe("simulate: random worlds", () => {
  it("property: conservation, consistent accounting and determinism", () => {
    fc.assert(
      fc.property(world, (w) => {
        const loaded = scenarioFromObject(scenario(w));
        const a = simulate(loaded);
        const b = simulate(loaded);
        expect(JSON.stringify(b.summary)).toBe(JSON.stringify(a.summary));
        for (const p of a.summary.policies) {
          expect(p.requests).toBe(300);
          expect(p.succeeded + p.failed).toBe(300);
          expect(Object.values(p.errors).reduce((x, y) => x + y, 0)).toBe(p.failed);
          const hist = Object.entries(p.attemptsHistogram).reduce((s, [k, n]) => s + Number(k) * n, 0);
          expect(hist).toBe(p.attempts);
          if (w.maxAttempts !== null)
            expect(Math.max(...Object.keys(p.attemptsHistogram).map(Number))).toBeLessThanOrEqual(
              w.maxAttempts,
            );
          expect(Number.isFinite(p.costUsd) && p.costUsd >= 0).toBe(true);
          expect(Number.isFinite(p.latencyMs.mean) || p.requests === 0).toBe(true);
        }
      }),
      { numRuns: 25, seed: 20251126 },
    );
  });
});
