import { describe, expect, it } from "vitest";
import { EnvoyOptions, OutlierDetector } from "../../src/policies/envoy.js";
import type { AttemptError, AttemptRecord, Endpoint } from "../../src/types.js";
import { build, Clock, drive, request, world } from "../gateways/harness.js";

function det(o: Record<string, unknown>) {
  return new OutlierDetector(EnvoyOptions.parse(o), 1);
}

function rec(
  e: Endpoint,
  status: number,
  error: AttemptError = status === 200 ? "none" : "error",
): AttemptRecord {
  return {
    policy: "t",
    requestId: 0,
    attempt: 1,
    endpoint: e,
    startMs: 0,
    endMs: 0,
    ttftMs: Number.NaN,
    status,
    error,
    promptTokens: 1,
    completionTokens: 1,
    costUsd: 0,
  };
}

const { catalog } = world([{ name: "a" }, { name: "b" }, { name: "c" }, { name: "d" }]);
const [A, B, C, D] = catalog;

describe("Envoy outlier ejection", () => {
  it("ejects on the N-th consecutive 5xx and returns at the first sweep after base × multiplier", () => {
    const d = det({
      consecutive_5xx: 3,
      base_ejection_time_ms: 30_000,
      interval_ms: 10_000,
      max_ejection_percent: 100,
    });
    d.record(rec(A, 503), catalog, 1000);
    d.record(rec(A, 500), catalog, 2000);
    expect(d.isEjected(A.id, 2000)).toBe(false);
    d.record(rec(A, 503), catalog, 3000);
    expect(d.isEjected(A.id, 3000)).toBe(true);
    // Ejected at 3 s for 30 s → due at 33 s → back at the 40 s sweep, not before.
    expect(d.isEjected(A.id, 39_999)).toBe(true);
    expect(d.isEjected(A.id, 40_000)).toBe(false);
    // Second ejection right away: multiplier 2 → 60 s from 43 s = 103 s → back at the 110 s sweep.
    for (const t of [41_000, 42_000, 43_000]) d.record(rec(A, 502), catalog, t);
    expect(d.isEjected(A.id, 109_999)).toBe(true);
    expect(d.isEjected(A.id, 110_000)).toBe(false);
    expect(d.events.map((e) => [e.t, e.what])).toEqual([
      [3000, "eject"],
      [40_000, "return"],
      [43_000, "eject"],
      [110_000, "return"],
    ]);
  });

  it("a healthy host's multiplier decays one step per sweep, so a later ejection is short again", () => {
    const d = det({ consecutive_5xx: 1, interval_ms: 10_000, max_ejection_percent: 100 });
    d.record(rec(A, 500), catalog, 0); // multiplier 1, back at 30 s
    expect(d.isEjected(A.id, 30_000)).toBe(false);
    // Sweep at 40 s decrements the multiplier to 0; ejection at 45 s then lasts base × 1 = 30 s → back at 80 s.
    d.record(rec(A, 500), catalog, 45_000);
    expect(d.isEjected(A.id, 79_999)).toBe(true);
    expect(d.isEjected(A.id, 80_000)).toBe(false);
  });

  it("ejection time is capped at max(base, max_ejection_time)", () => {
    const d = det({
      consecutive_5xx: 1,
      interval_ms: 1000,
      base_ejection_time_ms: 10_000,
      max_ejection_time_ms: 15_000,
      max_ejection_percent: 100,
    });
    d.record(rec(A, 500), catalog, 0); // 10 s
    d.record(rec(A, 500), catalog, 10_000); // multiplier 2 → 20 s, capped to 15 s
    expect(d.isEjected(A.id, 24_999)).toBe(true);
    expect(d.isEjected(A.id, 25_000)).toBe(false);
  });

  it("any non-5xx response (success or 429) resets the consecutive count", () => {
    const d = det({ consecutive_5xx: 3, max_ejection_percent: 100 });
    for (const s of [503, 503, 200, 503, 503, 429, 503, 503]) d.record(rec(A, s), catalog, 1000);
    expect(d.isEjected(A.id, 1000)).toBe(false);
  });

  it("timeouts count as 5xx and as gateway failures", () => {
    const d = det({
      consecutive_5xx: 9,
      consecutive_gateway_failure: 2,
      enforcing_consecutive_gateway_failure: 100,
      max_ejection_percent: 100,
    });
    d.record(rec(A, 408, "timeout"), catalog, 0);
    d.record(rec(A, 504), catalog, 0);
    expect(d.isEjected(A.id, 0)).toBe(true);
    // 500 is a 5xx but not a gateway failure: it breaks the gateway-failure run.
    d.record(rec(B, 502), catalog, 0);
    d.record(rec(B, 500), catalog, 0);
    d.record(rec(B, 502), catalog, 0);
    expect(d.isEjected(B.id, 0)).toBe(false);
  });

  it("gateway-failure ejection is off by default (enforcing 0 %)", () => {
    const d = det({ consecutive_5xx: 9, consecutive_gateway_failure: 1 });
    d.record(rec(A, 503), catalog, 0);
    expect(d.isEjected(A.id, 0)).toBe(false);
  });

  it("max_ejection_percent: the first ejection always happens, further ones only below the cap", () => {
    const d = det({ consecutive_5xx: 1, max_ejection_percent: 10 });
    d.record(rec(A, 500), catalog, 0);
    d.record(rec(B, 500), catalog, 0);
    expect([A, B].map((e) => d.isEjected(e.id, 0))).toEqual([true, false]);
    const d2 = det({ consecutive_5xx: 1, max_ejection_percent: 50 });
    for (const e of [A, B, C]) d2.record(rec(e, 500), catalog, 0);
    expect([A, B, C].map((e) => d2.isEjected(e.id, 0))).toEqual([true, true, false]);
  });

  it("panic: below healthy_panic_threshold the balancer sees every host", () => {
    const d = det({ consecutive_5xx: 1, max_ejection_percent: 100, healthy_panic_threshold: 50 });
    d.record(rec(A, 500), catalog, 0);
    d.record(rec(B, 500), catalog, 0);
    expect(d.usable(catalog, 0).map((e) => e.tag)).toEqual(["c", "d"]); // 50 % healthy is not < 50 %
    d.record(rec(C, 500), catalog, 0);
    expect(d.usable(catalog, 0).map((e) => e.tag)).toEqual(["a", "b", "c", "d"]);
    const off = det({ consecutive_5xx: 1, max_ejection_percent: 100, healthy_panic_threshold: 0 });
    for (const e of [A, B, C, D]) off.record(rec(e, 500), catalog, 0);
    expect(off.usable(catalog, 0)).toEqual([]);
  });

  it("as a wrapper, the inner balancer stops seeing an ejected host and sees it again after its return", () => {
    const w = world([{ name: "a" }, { name: "b" }]);
    const p = build(w.ctx, {
      kind: "envoy",
      options: {
        consecutive_5xx: 2,
        max_ejection_percent: 50,
        base_ejection_time_ms: 30_000,
        interval_ms: 10_000,
        balancer: { kind: "round_robin" },
      },
    }).policy;
    const v = new Clock(w.catalog);
    expect(drive(p, v, request(0), [500]).tried).toEqual(["a"]);
    expect(drive(p, v, request(1), [200]).tried).toEqual(["b"]);
    expect(drive(p, v, request(2), [500]).tried).toEqual(["a"]); // second consecutive 5xx → ejected
    const seen = new Set<string>();
    for (let i = 3; i < 9; i++) seen.add(drive(p, v, request(i), [200]).tried[0]);
    expect([...seen]).toEqual(["b"]);
    v.now = 40_000;
    const back = new Set<string>();
    for (let i = 9; i < 13; i++) back.add(drive(p, v, request(i), [200]).tried[0]);
    expect([...back].sort()).toEqual(["a", "b"]);
  });

  it("refuses gateway kinds as the inner balancer", () => {
    const w = world([{ name: "a" }]);
    expect(() => build(w.ctx, { kind: "envoy", options: { balancer: { kind: "portkey" } } })).toThrow(
      /options\.balancer\.kind/,
    );
  });
});
