/** Spec test vectors TV13, TV14, TV16, TV17, TV31, TV32, TV35–TV38, TV40, TV41: attempts end to end. */
import { describe, expect, it } from "vitest";
import { openRouterFinalError } from "../../../src/policies/openrouter/errors.js";
import type { AttemptRecord, Endpoint } from "../../../src/types.js";
import {
  attemptRecord,
  catalogOf,
  failsWith,
  fixtureProviders,
  fixtureScenario,
  runScenario,
} from "./fixture.js";

const rec = (e: Endpoint, status: number, extra: Partial<AttemptRecord> = {}): AttemptRecord =>
  attemptRecord(e, status, {
    error: status === 408 ? "timeout" : status === 429 ? "rate_limited" : "error",
    ...extra,
  });

function one(input: Record<string, unknown>) {
  const r = runScenario(input);
  expect(r.outcomes).toHaveLength(1);
  const x = r.outcomes[0];
  return { ...x, tags: x.attempts.map((a) => a.endpoint.tag) };
}

describe("TV13, TV14 (R29.3, R48, R60, R66): order + allow_fallbacks false", () => {
  it("TV13: C → 503 → exactly one attempt, final 503 temporarily_unavailable, no charge", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { order: ["gamma"], allow_fallbacks: false } },
        { gamma: failsWith(503) },
      ),
    );
    expect(x.tags).toEqual(["gamma"]);
    expect(x.o).toMatchObject({ kind: "failed", status: 503, code: "temporarily_unavailable", attempts: 1 });
    expect(x.attempts[0].costUsd).toBe(0);
  });
  it("TV14: C → 503, A → 200 → served by A after 2 attempts; B never tried", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { order: ["gamma", "alpha"], allow_fallbacks: false } },
        { gamma: failsWith(503) },
      ),
    );
    expect(x.tags).toEqual(["gamma", "alpha"]);
    expect(x.o).toMatchObject({ kind: "served", attempts: 2 });
  });
  it("Done-when: order [one] + allow_fallbacks false with that endpoint down fails with its status", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { order: ["beta"], allow_fallbacks: false } },
        { beta: { outages: [{ start_s: 0, duration_s: 100, status: 502 }] } },
      ),
    );
    expect(x.tags).toEqual(["beta"]);
    expect(x.o).toMatchObject({ kind: "failed", status: 503 });
    const y = one(
      fixtureScenario(
        { model: "acme/m1", provider: { order: ["beta"], allow_fallbacks: false } },
        { beta: { outages: [{ start_s: 0, duration_s: 100, status: 429 }] } },
      ),
    );
    expect(y.o).toMatchObject({ kind: "failed", status: 429, code: "capacity_exhausted" });
  });
});

describe("TV16, TV17 (R30, R17, R44)", () => {
  it("TV16: allow_fallbacks false, first pick fails 503 → single attempt, final 503", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { allow_fallbacks: false } },
        { alpha: failsWith(503), beta: failsWith(503), gamma: failsWith(503) },
      ),
    );
    expect(x.attempts).toHaveLength(1);
    expect(x.o).toMatchObject({ kind: "failed", status: 503 });
  });
  it("TV17: max_price + sort price; A, B → 503 → attempts A, B, final 503", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { max_price: { prompt: 2, completion: 2 }, sort: "price" } },
        { alpha: failsWith(503), beta: failsWith(503) },
      ),
    );
    expect(x.tags).toEqual(["alpha", "beta"]);
    expect(x.o).toMatchObject({ kind: "failed", status: 503 });
  });
});

describe("TV31, TV32 (R52, R55, R56, R66, R67, R71): models fallback and billing", () => {
  it("TV31: A, B, C → 503; D → 200 → 4 attempts, served by acme/m2 delta, $0.0075", () => {
    const x = one(
      fixtureScenario(
        { models: ["acme/m1", "acme/m2"] },
        { alpha: failsWith(503), beta: failsWith(503), gamma: failsWith(503) },
      ),
    );
    expect(x.attempts).toHaveLength(4);
    expect(x.o.kind).toBe("served");
    if (x.o.kind !== "served") return;
    expect(x.o.endpoint.model).toBe("acme/m2");
    expect(x.o.endpoint.tag).toBe("delta");
    expect(x.o.costUsd).toBeCloseTo(0.0075, 12);
    expect(x.attempts.slice(0, 3).every((a) => a.costUsd === 0)).toBe(true);
  });
  it("TV32: m1:free (Z → 429) then m2 → charged the paid price", () => {
    const x = one(fixtureScenario({ models: ["acme/m1:free", "acme/m2"] }, { zeta: failsWith(429) }));
    expect(x.tags).toEqual(["zeta", "delta"]);
    expect(x.o.kind === "served" && x.o.costUsd).toBeCloseTo(0.0075, 12);
  });
  it("R39/R71: a served :free request costs 0", () => {
    const x = one(fixtureScenario({ model: "acme/m1:free" }));
    expect(x.o).toMatchObject({ kind: "served", costUsd: 0 });
  });
  it("R60 with models: the last model's filter result decides when it had no endpoint", () => {
    const x = one(
      fixtureScenario(
        { models: ["acme/m1", "acme/m2"], provider: { quantizations: ["fp8"] } },
        { alpha: failsWith(503), gamma: failsWith(503) },
      ),
    );
    expect(x.tags).toEqual(expect.arrayContaining(["alpha", "gamma"]));
    expect(x.o).toMatchObject({ kind: "failed", status: 404, code: "constraint_filtered" });
  });
});

describe("TV35–TV38 (R59, R60, R61, R63): final error mapping", () => {
  const [A, B, C] = catalogOf(fixtureProviders());
  it("TV35: all 429 with Retry-After 10, 4, 7 → 429 capacity_exhausted, Retry-After 4", () => {
    const fe = openRouterFinalError([
      rec(A, 429, { retryAfterS: 10 }),
      rec(B, 429, { retryAfterS: 4 }),
      rec(C, 429, { retryAfterS: 7 }),
    ]);
    expect(fe).toEqual({ status: 429, code: "capacity_exhausted", retryAfterS: 4 });
  });
  it("TV35 end to end: rate-limited endpoints give Retry-After hints; final 429 carries the minimum", () => {
    // burst 0.5 < 1 token: the first request is limited; hint = ceil(0.5 / (rpm/60 000) / 1000) s.
    const rl = (rpm: number) => ({ rate_limit: { rpm, burst: 0.5 } });
    const r = runScenario(
      fixtureScenario({ model: "acme/m1" }, { alpha: rl(3), beta: rl(7.5), gamma: rl(4.3) }),
    );
    const x = r.outcomes[0];
    expect(x.attempts.map((a) => a.retryAfterS).sort()).toEqual([10, 4, 7].sort());
    expect(x.o).toMatchObject({ kind: "failed", status: 429, code: "capacity_exhausted" });
    expect(openRouterFinalError(x.attempts).retryAfterS).toBe(4);
  });
  it("TV36: 500, timeout, 502 → 503 temporarily_unavailable", () => {
    expect(openRouterFinalError([rec(A, 500), rec(B, 408), rec(C, 502)])).toMatchObject({
      status: 503,
      code: "temporarily_unavailable",
    });
  });
  it("TV37: all upstream 404 → 404 model_unavailable_upstream", () => {
    expect(openRouterFinalError([rec(A, 404), rec(B, 404), rec(C, 404)])).toMatchObject({
      status: 404,
      code: "model_unavailable_upstream",
    });
  });
  it("TV38: 429, 500, 400 → the last error (400)", () => {
    expect(openRouterFinalError([rec(A, 429), rec(B, 500), rec(C, 400)])).toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" } },
        { alpha: failsWith(429), beta: failsWith(500), gamma: failsWith(400) },
      ),
    );
    expect(x.tags).toEqual(["alpha", "beta", "gamma"]);
    expect(x.o).toMatchObject({ kind: "failed", status: 400 });
  });
  it("TV38 (R45): modelFatalErrorTypes [context_length_exceeded] — A → 400 ends the model", () => {
    const input = fixtureScenario(
      { model: "acme/m1", provider: { sort: "price" } },
      { alpha: failsWith(400) },
      {
        openrouter: { modelFatalErrorTypes: ["context_length_exceeded"] },
      },
    );
    const x = one(input);
    expect(x.tags).toEqual(["alpha"]);
    expect(x.o).toMatchObject({ kind: "failed", status: 400 });
    // ... and continues with the next candidate model (R52).
    const y = one(
      fixtureScenario(
        { models: ["acme/m1", "acme/m2"], provider: { sort: "price" } },
        { alpha: failsWith(400) },
        {
          openrouter: { modelFatalErrorTypes: ["400"] },
        },
      ),
    );
    expect(y.tags).toEqual(["alpha", "delta"]);
  });
  it("R45 default: every pre-commit provider error (401, 403, 413, 422) moves to the next endpoint", () => {
    for (const s of [401, 403, 413, 422]) {
      const x = one(
        fixtureScenario({ model: "acme/m1", provider: { sort: "price" } }, { alpha: failsWith(s) }),
      );
      expect(x.tags).toEqual(["alpha", "beta"]);
      expect(x.o.kind).toBe("served");
    }
  });
});

describe("TV40, TV41 (R46, R64, R69, R91): commit point", () => {
  it("TV40: A fails mid-stream → no fallback, failed request, nothing billed", () => {
    const r = runScenario(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" }, stream: true },
        { alpha: { midstream_error_rate: 1 } },
      ),
    );
    const x = r.outcomes[0];
    expect(x.attempts.map((a) => a.endpoint.tag)).toEqual(["alpha"]);
    expect(x.o).toMatchObject({ kind: "failed", code: "mid_stream_error" });
    expect(x.attempts[0].costUsd).toBe(0);
    expect(x.attempts[0].ttftMs).toBeGreaterThan(0);
  });
  it("R69: billPartialOnErrorFinish true bills the partial output", () => {
    const r = runScenario(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" } },
        { alpha: { midstream_error_rate: 1 } },
        {
          openrouter: { billPartialOnErrorFinish: true },
        },
      ),
    );
    expect(r.outcomes[0].attempts[0].costUsd).toBeGreaterThan(0);
  });
  it("TV41: A fails 503 before the first token, B serves → charged at B's price", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" }, stream: true },
        { alpha: failsWith(503) },
      ),
    );
    expect(x.tags).toEqual(["alpha", "beta"]);
    expect(x.o.kind === "served" && x.o.costUsd).toBeCloseTo((1500 * 2) / 1e6, 12);
  });
  it("R47: a provider that sends nothing is cut at the per-attempt timeout and the next one tried", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" } },
        { alpha: { ttft_ms: 5000 } },
        {
          openrouter: { providerIdleTimeoutMs: 1000 },
        },
      ),
    );
    expect(x.tags).toEqual(["alpha", "beta"]);
    expect(x.attempts[0]).toMatchObject({ status: 408, error: "timeout" });
    expect(x.attempts[0].endMs - x.attempts[0].startMs).toBe(1000);
  });
  it("R44: maxAttempts caps the attempt loop", () => {
    const x = one(
      fixtureScenario(
        { model: "acme/m1", provider: { sort: "price" } },
        { alpha: failsWith(503), beta: failsWith(503) },
        {
          openrouter: { maxAttempts: 2 },
        },
      ),
    );
    expect(x.tags).toEqual(["alpha", "beta"]);
    expect(x.o.kind).toBe("failed");
  });
});
