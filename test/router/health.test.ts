/** HealthTracker (R7, R8, R90–R95): counted errors, uptime windows, rolling percentiles. */
import { describe, expect, it } from "vitest";
import { HealthTracker, isCountedError } from "../../src/router/health.js";

describe("R91: what counts against an endpoint", () => {
  it("401/402/404/5xx/timeouts/mid-stream count; 400/413/429/403 do not", () => {
    for (const s of [401, 402, 404, 408, 500, 502, 503]) expect(isCountedError(s, "error")).toBe(true);
    for (const s of [400, 413, 429, 403]) expect(isCountedError(s, "error")).toBe(false);
    expect(isCountedError(200, "mid_stream")).toBe(true);
    expect(isCountedError(200, "none")).toBe(false);
  });
});

describe("R8, R90, R93, R95: windows and failure history", () => {
  it("uptime window excludes 429s (kept separately) and 400/413", () => {
    let now = 0;
    const h = new HealthTracker(1, () => now);
    for (let i = 0; i < 10; i++) {
      h.started(0);
      h.record(0, i * 1000, i < 6 ? 200 : i < 8 ? 500 : i < 9 ? 429 : 400, "error", 100);
    }
    now = 10_000;
    expect(h.window(0, 60_000)).toEqual({ successes: 6, errors: 2, rateLimited: 1 });
    expect(h.lastRateLimitedMs(0)).toBe(8000);
    expect(h.failuresSince(0, 6500)).toBe(1);
    expect(h.lastFailureMs(0)).toBe(7000);
    now = 30 * 60_000 + 20_000;
    expect(h.window(0, 60_000)).toEqual({ successes: 0, errors: 0, rateLimited: 0 });
  });
});

describe("R7, R94: rolling percentiles over statsWindowMs", () => {
  it("TTFT (s) percentiles and throughput reached-or-exceeded percentiles; old samples drop out", () => {
    let now = 0;
    const h = new HealthTracker(1, () => now);
    for (let i = 1; i <= 100; i++) {
      h.started(0);
      h.record(0, i * 100, 200, "none", i * 10, i); // ttft 10..1000 ms, throughput 1..100 tok/s
    }
    now = 10_000;
    const s = h.observedStats(0, 300_000)!;
    expect(s.samples).toBe(100);
    expect(s.latencyS.p50).toBeCloseTo(0.5, 9);
    expect(s.latencyS.p90).toBeCloseTo(0.9, 9);
    expect(s.latencyS.p99).toBeCloseTo(0.99, 9);
    // throughput p90 = the value 90 % of requests reach or exceed → the 10th percentile
    expect(s.throughput.p90).toBe(10);
    expect(s.throughput.p50).toBe(50);
    now = 10_000 + 300_001;
    expect(h.observedStats(0, 300_000)).toBeNull();
  });
  it("failed attempts give no performance sample", () => {
    const h = new HealthTracker(1, () => 0);
    h.started(0);
    h.record(0, 0, 503, "error", Number.NaN);
    expect(h.observedStats(0, 1000)).toBeNull();
  });
});
