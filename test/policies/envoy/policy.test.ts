/** Envoy outlier detection (docs/gateways.md §3), as Envoy ≥ 1.31's DetectorImpl does it. */
import { describe, expect, it } from "vitest";
import {
  DetectorOptions,
  ENVOY_MODELLED_VERSION,
  type EnvoyPolicy,
  OutlierDetector,
  resolveSettings,
} from "../../../src/policies/envoy/policy.js";
import type { AttemptError, AttemptRecord, Endpoint } from "../../../src/types.js";
import { thrownInputError } from "../../helpers.js";
import { build, Clock, drive, request, world } from "../../support/gateways.js";

function det(o: Record<string, unknown>, hosts: readonly Endpoint[] = catalog, seed = 1) {
  const s = resolveSettings(DetectorOptions.parse(o), (k, m) => {
    throw new Error(`${k}: ${m}`);
  });
  return new OutlierDetector(s, hosts, seed);
}

let reqId = 0;
function rec(
  e: Endpoint,
  status: number,
  error: AttemptError = status === 200 ? "none" : "error",
  requestId = reqId++,
): AttemptRecord {
  return {
    policy: "t",
    requestId,
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

/** `n` results of `status` on `e` at time `t`. */
function many(d: OutlierDetector, e: Endpoint, n: number, status: number, t: number, error?: AttemptError) {
  for (let i = 0; i < n; i++) d.record(rec(e, status, error), t);
}

/** Tags of the hosts the balancer may use at `t`. */
function usable(d: OutlierDetector, t: number): string[] {
  const ok = d.usable(t);
  return d.hosts.filter((e) => ok === null || ok.has(e.id)).map((e) => e.tag);
}

const w = world([{ name: "a" }, { name: "b" }, { name: "c" }, { name: "d" }, { name: "e" }, { name: "f" }]);
const all6 = w.catalog;
const catalog = all6.slice(0, 4);
const [A, B, C] = catalog;

describe("Envoy outlier detection (§3)", () => {
  it("names the Envoy it models", () => {
    expect(ENVOY_MODELLED_VERSION).toMatch(/1\.3[1-9]/);
  });

  it("§3 consecutive_5xx: ejects when the run reaches N; back at the first sweep after base × times ejected", () => {
    const d = det({ consecutive_5xx: 3, interval_ms: 10_000, max_ejection_percent: 100 });
    d.record(rec(A, 503), 1000);
    d.record(rec(A, 500), 2000);
    expect(d.isEjected(A.id, 2000)).toBe(false);
    d.record(rec(A, 503), 3000);
    expect(d.isEjected(A.id, 3000)).toBe(true);
    // Ejected at 3 s for 30 s → due at 33 s → back at the 40 s sweep, not before.
    expect(d.isEjected(A.id, 39_999)).toBe(true);
    expect(d.isEjected(A.id, 40_000)).toBe(false);
    // Ejected again at once: times ejected 2 → 60 s from 43 s = 103 s → back at the 110 s sweep.
    for (const t of [41_000, 42_000, 43_000]) d.record(rec(A, 502), t);
    expect(d.isEjected(A.id, 109_999)).toBe(true);
    expect(d.isEjected(A.id, 110_000)).toBe(false);
    expect(d.events.map((e) => [e.t, e.what])).toEqual([
      [3000, "eject"],
      [40_000, "return"],
      [43_000, "eject"],
      [110_000, "return"],
    ]);
    expect(d.stats.enforced.consecutive_5xx).toBe(2);
  });

  it("§3 consecutive_5xx: the detection resets the run even when the ejection is refused (fires at N, 2N, …)", () => {
    const d = det({ consecutive_5xx: 5, max_ejection_percent: 0 });
    many(d, A, 6, 500, 0);
    expect(d.stats.detected.consecutive_5xx).toBe(1);
    many(d, A, 4, 500, 0);
    expect(d.stats.detected.consecutive_5xx).toBe(2);
    expect(d.stats.overflow).toBe(2);
    expect(d.isEjected(A.id, 0)).toBe(false);
  });

  it("§3 consecutive_5xx: any non-5xx response (success, 429, 404) breaks the run", () => {
    const d = det({ consecutive_5xx: 3, max_ejection_percent: 100 });
    for (const s of [503, 503, 200, 503, 503, 429, 503, 503, 404, 503, 503]) d.record(rec(A, s), 1000);
    expect(d.isEjected(A.id, 1000)).toBe(false);
    expect(d.stats.detected.consecutive_5xx).toBe(0);
  });

  it("§3 max_ejection_percent: an ejection that would exceed it does not happen; 4 hosts at the default 10 % eject none", () => {
    const d = det({ consecutive_5xx: 1 });
    d.record(rec(A, 500), 0);
    d.record(rec(B, 500), 0);
    expect([A, B].map((e) => d.isEjected(e.id, 0))).toEqual([false, false]);
    expect(d.stats.overflow).toBe(2);
    expect(d.events).toEqual([]);
  });

  it("§3 max_ejection_percent: the share counts the host being ejected (3 hosts at 67 %: two, not three)", () => {
    const three = catalog.slice(0, 3);
    const d = det({ consecutive_5xx: 1, max_ejection_percent: 67 }, three);
    for (const e of three) d.record(rec(e, 500), 0);
    expect(three.map((e) => d.isEjected(e.id, 0))).toEqual([true, true, false]);
    const half = det({ consecutive_5xx: 1, max_ejection_percent: 50 });
    for (const e of catalog) half.record(rec(e, 500), 0);
    expect(catalog.map((e) => half.isEjected(e.id, 0))).toEqual([true, true, false, false]);
  });

  it("§3 always_eject_one_host: one host may be ejected whatever max_ejection_percent; a second may not", () => {
    const d = det({ consecutive_5xx: 1, always_eject_one_host: true });
    d.record(rec(A, 500), 0);
    d.record(rec(B, 500), 0);
    expect([A, B].map((e) => d.isEjected(e.id, 0))).toEqual([true, false]);
    // Once A is back, B's next run may eject it.
    expect(d.isEjected(A.id, 30_000)).toBe(false);
    d.record(rec(B, 500), 30_000);
    expect(d.isEjected(B.id, 30_000)).toBe(true);
  });

  it("§3 consecutive_gateway_failure: detected but not enforced by default (enforcing 0); consecutive_5xx counts 502/503/504 too", () => {
    const d = det({ consecutive_5xx: 9, consecutive_gateway_failure: 2, max_ejection_percent: 100 });
    many(d, A, 2, 503, 0);
    expect(d.isEjected(A.id, 0)).toBe(false);
    expect(d.stats.detected.consecutive_gateway_failure).toBe(1);
    const on = det({
      consecutive_5xx: 9,
      consecutive_gateway_failure: 2,
      enforcing_consecutive_gateway_failure: 100,
      max_ejection_percent: 100,
    });
    on.record(rec(A, 502), 0);
    on.record(rec(A, 504), 0);
    expect(on.isEjected(A.id, 0)).toBe(true);
    // 500 is a 5xx but not a gateway failure: it breaks the gateway run, not the 5xx run.
    for (const s of [502, 500, 502]) on.record(rec(B, s), 0);
    expect(on.isEjected(B.id, 0)).toBe(false);
    const fives = det({ consecutive_5xx: 3, max_ejection_percent: 100 });
    many(fives, A, 3, 503, 0);
    expect(fives.isEjected(A.id, 0)).toBe(true);
    expect(fives.stats.enforced.consecutive_5xx).toBe(1);
  });

  it("§3 local origin: a timeout is a 504 (5xx and gateway failure); a cut stream is a 200 then a reset (503); an empty 200 is a 200", () => {
    const d = det({
      consecutive_5xx: 9,
      consecutive_gateway_failure: 2,
      enforcing_consecutive_gateway_failure: 100,
      max_ejection_percent: 100,
    });
    d.record(rec(A, 408, "timeout"), 0);
    d.record(rec(A, 504), 0);
    expect(d.isEjected(A.id, 0)).toBe(true);
    // Two cut streams: each is 200 (breaks the run) then 503 (starts one): never two in a row.
    d.record(rec(B, 500, "mid_stream"), 0);
    d.record(rec(B, 500, "mid_stream"), 0);
    expect(d.isEjected(B.id, 0)).toBe(false);
    d.record(rec(B, 503), 0);
    expect(d.isEjected(B.id, 0)).toBe(true);
    d.record(rec(C, 503), 0);
    d.record(rec(C, 502, "empty_response"), 0);
    d.record(rec(C, 503), 0);
    expect(d.isEjected(C.id, 0)).toBe(false);
  });

  it("§3 split_external_local_origin_errors: timeouts leave consecutive_5xx alone and feed consecutive_local_origin_failure; each attempt's start breaks that run", () => {
    const d = det({
      consecutive_5xx: 2,
      split_external_local_origin_errors: true,
      consecutive_local_origin_failure: 3,
      max_ejection_percent: 100,
    });
    // Three attempts in flight at once all time out: their starts precede every failure.
    for (const t of [0, 10, 20]) d.started(A.id, t);
    for (const t of [100, 110]) d.record(rec(A, 408, "timeout"), t);
    expect(d.isEjected(A.id, 110)).toBe(false);
    d.record(rec(A, 408, "timeout"), 120);
    expect(d.isEjected(A.id, 120)).toBe(true);
    expect(d.stats.enforced.consecutive_local_origin_failure).toBe(1);
    // One after the other, each start resets the run: never three.
    for (let i = 0; i < 6; i++) {
      d.started(B.id, 1000 * i);
      d.record(rec(B, 408, "timeout"), 1000 * i + 500);
    }
    expect(d.isEjected(B.id, 6000)).toBe(false);
    expect(d.stats.detected.consecutive_5xx).toBe(0);
  });

  it("§3 base_ejection_time × times ejected, capped by max_ejection_time; the multiplier stops growing at the cap", () => {
    const d = det({
      consecutive_5xx: 1,
      interval_ms: 1000,
      base_ejection_time_ms: 10_000,
      max_ejection_time_ms: 15_000,
      max_ejection_percent: 100,
    });
    d.record(rec(A, 500), 0); // 10 s
    expect(d.isEjected(A.id, 10_000)).toBe(false);
    d.record(rec(A, 500), 10_000); // times 2 → 20 s, capped to 15 s
    expect(d.ejectionMs(A.id)).toBe(15_000);
    expect(d.isEjected(A.id, 24_999)).toBe(true);
    expect(d.isEjected(A.id, 25_000)).toBe(false);
    // backoff grows while backoff × base < max + base (2 × 10 < 25, 3 × 10 ≥ 25): it stays at 3.
    for (const t of [25_000, 40_000, 55_000]) {
      d.record(rec(A, 500), t);
      expect(d.isEjected(A.id, t + 15_000)).toBe(false);
    }
    expect(d.backoffOf(A.id)).toBe(3);
  });

  it("§3 max_ejection_time: default max(300 s, base); smaller than base is refused", () => {
    expect(resolveSettings(DetectorOptions.parse({}), () => undefined as never).max_ejection_time_ms).toBe(
      300_000,
    );
    expect(
      resolveSettings(DetectorOptions.parse({ base_ejection_time_ms: 400_000 }), () => undefined as never)
        .max_ejection_time_ms,
    ).toBe(400_000);
    const w1 = world([{ name: "a" }]);
    const e = thrownInputError(() =>
      build(w1.ctx, {
        kind: "envoy",
        options: { base_ejection_time_ms: 60_000, max_ejection_time_ms: 30_000 },
      }),
    );
    expect(e.problems[0].path).toBe("policies[0].options.max_ejection_time_ms");
  });

  it("§3 interval: a healthy host's multiplier drops by one per sweep from one interval after its return", () => {
    const d = det({ consecutive_5xx: 1, interval_ms: 10_000, max_ejection_percent: 100 });
    d.record(rec(A, 500), 0); // backoff 1, back at the 30 s sweep
    expect(d.isEjected(A.id, 30_000)).toBe(false);
    expect(d.backoffOf(A.id)).toBe(1);
    // The 40 s sweep is one interval after the return: backoff 0, so the next ejection is 30 s again.
    d.record(rec(A, 500), 45_000);
    expect(d.isEjected(A.id, 79_999)).toBe(true);
    expect(d.isEjected(A.id, 80_000)).toBe(false);
    // Re-ejected within one interval of its return, the multiplier keeps growing: 60 s.
    d.record(rec(A, 500), 81_000);
    expect(d.ejectionMs(A.id)).toBe(60_000);
  });

  it("§3 max_ejection_time_jitter: the return is delayed by a seeded draw in [0, jitter] ms, per ejection", () => {
    const jitters = (seed: number) => {
      const d = det(
        {
          consecutive_5xx: 1,
          interval_ms: 100,
          max_ejection_time_jitter_ms: 5000,
          max_ejection_percent: 100,
        },
        catalog,
        seed,
      );
      const out: number[] = [];
      for (let i = 0; i < 8; i++) {
        d.record(rec(A, 500, "error", 1000 + i), i * 400_000);
        out.push(d.ejectionMs(A.id) - 30_000 * d.backoffOf(A.id));
      }
      return out;
    };
    const a = jitters(1);
    expect(jitters(1)).toEqual(a);
    expect(jitters(2)).not.toEqual(a);
    for (const j of a) expect(j >= 0 && j <= 5000 && Number.isInteger(j)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(4);
  });

  it("§3 enforcing_*: the draw is keyed by request and attempt, so other traffic does not change it", () => {
    const outcome = (noise: boolean) => {
      const d = det({ consecutive_5xx: 1, enforcing_consecutive_5xx: 50, max_ejection_percent: 100 });
      const out: boolean[] = [];
      for (let i = 0; i < 40; i++) {
        if (noise) d.record(rec(B, 200, "none", 10_000 + i), i * 100_000);
        d.record(rec(A, 500, "error", i), i * 100_000);
        out.push(d.isEjected(A.id, i * 100_000));
      }
      return out;
    };
    const quiet = outcome(false);
    expect(outcome(true)).toEqual(quiet);
    const n = quiet.filter(Boolean).length;
    expect(n).toBeGreaterThan(8);
    expect(n).toBeLessThan(32);
  });

  it("§3 success rate: at each sweep, over hosts with ≥ request_volume requests in the interval, eject below mean − factor × stdev", () => {
    // Envoy's own example: rates {50, 100, 100, 100, 100} → mean 90, stdev 20, threshold 52.
    const five = all6.slice(0, 5);
    const d = det({ max_ejection_percent: 20, consecutive_5xx: 0 }, five);
    // Interval 1: rates {90, 100, 98, 96, 94}: mean 95.6, stdev 3.44, threshold 89.1: A is no outlier.
    five.forEach((e, i) => {
      const bad = i === 0 ? 10 : 2 * (i - 1);
      many(d, e, 100 - bad, 200, 5000);
      many(d, e, bad, 503, 5000);
    });
    expect(d.isEjected(A.id, 10_000)).toBe(false);
    for (const e of five.slice(1)) many(d, e, 100, 200, 15_000);
    many(d, A, 50, 200, 15_000);
    many(d, A, 50, 500, 15_000); // A: 50 % in the second interval
    expect(d.isEjected(A.id, 20_000)).toBe(true);
    expect(d.events[0]).toMatchObject({ t: 20_000, what: "eject", type: "success_rate" });
  });

  it("§3 success rate: needs success_rate_minimum_hosts hosts with enough volume, and counts only the last interval", () => {
    const five = all6.slice(0, 5);
    const d = det({ max_ejection_percent: 20, consecutive_5xx: 0 }, five);
    // Interval 1: B…E at volume, A below it (99 requests): only 4 qualifying hosts → nothing.
    for (const e of five.slice(1)) many(d, e, 100, 200, 1000);
    many(d, A, 99, 500, 1000);
    expect(d.isEjected(A.id, 10_000)).toBe(false);
    expect(d.stats.detected.success_rate).toBe(0);
    // Interval 2: A alone has traffic; interval 1's counts are gone.
    many(d, A, 100, 500, 11_000);
    expect(d.isEjected(A.id, 20_000)).toBe(false);
    // enforcing_success_rate 0: detected, not ejected.
    const off = det({ max_ejection_percent: 20, consecutive_5xx: 0, enforcing_success_rate: 0 }, five);
    for (const e of five) many(off, e, 100, 200, 1000);
    many(off, A, 100, 500, 1000);
    expect(off.isEjected(A.id, 10_000)).toBe(false);
    expect(off.stats.detected.success_rate).toBe(1);
  });

  it("§3 failure percentage: ≥ threshold failures with ≥ request_volume requests; enforcing defaults to 0", () => {
    const five = all6.slice(0, 5);
    const o = { max_ejection_percent: 20, consecutive_5xx: 0, enforcing_success_rate: 0 };
    const fill = (d: OutlierDetector, bad: number) => {
      for (const e of five.slice(1)) many(d, e, 60, 200, 1000);
      many(d, A, bad, 500, 1000);
      many(d, A, 60 - bad, 200, 1000);
    };
    const dflt = det(o, five);
    fill(dflt, 54); // 90 % failures
    expect(dflt.isEjected(A.id, 10_000)).toBe(false);
    expect(dflt.stats.detected.failure_percentage).toBe(1);
    const on = det({ ...o, enforcing_failure_percentage: 100 }, five);
    fill(on, 54);
    expect(on.isEjected(A.id, 10_000)).toBe(true);
    const below = det({ ...o, enforcing_failure_percentage: 100 }, five);
    fill(below, 50); // 83 % < 85 %
    expect(below.isEjected(A.id, 10_000)).toBe(false);
    const thin = det(
      { ...o, enforcing_failure_percentage: 100, failure_percentage_request_volume: 61 },
      five,
    );
    fill(thin, 60);
    expect(thin.isEjected(A.id, 10_000)).toBe(false);
  });

  it("§3 panic: below healthy_panic_threshold (and below full availability with overprovisioning 1.4) every host is used", () => {
    const d = det({ consecutive_5xx: 1, max_ejection_percent: 100, healthy_panic_threshold: 50 });
    d.record(rec(A, 500), 0);
    d.record(rec(B, 500), 0);
    expect(usable(d, 0)).toEqual(["c", "d"]); // 50 % healthy is not < 50 %
    d.record(rec(C, 500), 0);
    expect(usable(d, 0)).toEqual(["a", "b", "c", "d"]);
    // 75 % healthy × 1.4 = full availability: no panic even though 75 < 80.
    const hi = det({ consecutive_5xx: 1, max_ejection_percent: 100, healthy_panic_threshold: 80 });
    hi.record(rec(A, 500), 0);
    expect(usable(hi, 0)).toEqual(["b", "c", "d"]);
    hi.record(rec(B, 500), 0);
    expect(usable(hi, 0)).toEqual(["a", "b", "c", "d"]);
    const off = det({ consecutive_5xx: 1, max_ejection_percent: 100, healthy_panic_threshold: 0 });
    for (const e of catalog) off.record(rec(e, 500), 0);
    expect(usable(off, 0)).toEqual([]);
  });
});

describe("kind: envoy as a wrapper (§3)", () => {
  it("the inner balancer stops seeing an ejected host and sees it again after its return", () => {
    const w2 = world([{ name: "a" }, { name: "b" }]);
    const p = build(w2.ctx, {
      kind: "envoy",
      options: { consecutive_5xx: 2, max_ejection_percent: 50, balancer: { kind: "round_robin" } },
    }).policy;
    const v = new Clock(w2.catalog);
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
    const ev = (p as EnvoyPolicy).detectors.get(w2.catalog[0].model)!.events;
    expect(ev.map((e) => e.what)).toEqual(["eject", "return"]);
  });

  it("every host ejected and panic off: Envoy's 503 no healthy upstream, with no provider call", () => {
    const w1 = world([{ name: "a" }]);
    const p = build(w1.ctx, {
      kind: "envoy",
      options: { consecutive_5xx: 1, max_ejection_percent: 100, healthy_panic_threshold: 0 },
    }).policy;
    const v = new Clock(w1.catalog);
    drive(p, v, request(0), [500]);
    expect(drive(p, v, request(1), [200]).d).toEqual({
      kind: "reject",
      status: 503,
      code: "no_healthy_upstream",
    });
  });

  it("refuses gateway kinds as the inner balancer", () => {
    const w1 = world([{ name: "a" }]);
    expect(() => build(w1.ctx, { kind: "envoy", options: { balancer: { kind: "portkey" } } })).toThrow(
      /options\.balancer\.kind/,
    );
  });
});
