/** Portkey gateway semantics; § numbers refer to docs/gateways.md. */
import { describe, expect, it } from "vitest";
import type { PortkeyRouter } from "../../src/policies/portkey.js";
import { build, Clock, count, drive, type P, request, world } from "../gateways/harness.js";

const ABC = [{ name: "a" }, { name: "b" }, { name: "c" }];
const leaf = (provider: string, extra: Record<string, unknown> = {}) => ({
  provider,
  api_key: "k",
  ...extra,
});

function pk(config: Record<string, unknown>, providers: P[] = ABC) {
  const w = world(providers);
  const b = build(w.ctx, { kind: "portkey", options: config });
  return { ...w, b, r: b.policy as PortkeyRouter, v: new Clock(w.catalog) };
}

describe("Portkey loadbalance (§2 targets[].weight)", () => {
  it("weights default to 1 and are normalised; weight 0 is never chosen", () => {
    const { r, v } = pk({
      strategy: { mode: "loadbalance" },
      targets: [leaf("a", { weight: 2 }), leaf("b"), leaf("c", { weight: 0 })],
    });
    // a: 2/3, b: 1/3. n = 3000: sd 0.0086, bound 0.045.
    const c = count(Array.from({ length: 3000 }, (_, i) => drive(r, v, request(i), [200]).tried[0]));
    expect(c.c).toBeUndefined();
    expect(Math.abs(c.a / 3000 - 2 / 3)).toBeLessThan(0.045);
  });

  it("never moves a failed request to another loadbalance target", () => {
    const { r, v } = pk({ strategy: { mode: "loadbalance" }, targets: [leaf("a"), leaf("b")] });
    const res = drive(r, v, request(0), [503, 200]);
    expect(res.tried.length).toBe(1);
    expect(res.pending).toBe(false);
  });
});

describe("Portkey fallback (§2 strategy.on_status_codes)", () => {
  it("without on_status_codes any non-2xx falls back, 4xx included", () => {
    const { r, v } = pk({ strategy: { mode: "fallback" }, targets: [leaf("a"), leaf("b"), leaf("c")] });
    expect(drive(r, v, request(0), [400, 503, 200]).tried).toEqual(["a", "b", "c"]);
  });

  it("with on_status_codes only listed statuses fall back; fallbacks fire on 429", () => {
    const { r, v } = pk({
      strategy: { mode: "fallback", on_status_codes: [429, 503] },
      targets: [leaf("a"), leaf("b")],
    });
    expect(drive(r, v, request(0), [429, 200]).tried).toEqual(["a", "b"]);
    const stop = drive(r, v, request(1), [500, 200]);
    expect(stop.tried).toEqual(["a"]);
    expect(stop.pending).toBe(false);
  });

  it("nested: fallback(loadbalance(a, b), c) — the loadbalance pick fails once, then c", () => {
    const { r, v } = pk({
      strategy: { mode: "fallback" },
      targets: [{ strategy: { mode: "loadbalance" }, targets: [leaf("a"), leaf("b")] }, leaf("c")],
    });
    const res = drive(r, v, request(0), [503, 200]);
    expect(res.tried[1]).toBe("c");
    expect(["a", "b"]).toContain(res.tried[0]);
  });

  it("single mode uses its first target", () => {
    const { r, v } = pk({ strategy: { mode: "single" }, targets: [leaf("b"), leaf("a")] });
    expect(drive(r, v, request(0), [200]).tried).toEqual(["b"]);
  });
});

describe("Portkey retry (§2 retry.*)", () => {
  it("attempts = extra tries on the same target, waiting 1 s, 2 s, 4 s", () => {
    const { r, v } = pk({ retry: { attempts: 3 }, ...leaf("a") });
    const res = drive(r, v, request(0), [503, 503, 503, 503, 200]);
    expect(res.tried).toEqual(["a", "a", "a", "a"]);
    expect(res.delays).toEqual([0, 1000, 2000, 4000]);
    expect(res.pending).toBe(false);
  });

  it("default retry codes are 429, 500, 502, 503, 504; a 400 returns at once", () => {
    const { r, v } = pk({ retry: { attempts: 2 }, ...leaf("a") });
    expect(drive(r, v, request(0), [400, 200]).tried).toEqual(["a"]);
    const custom = pk({ retry: { attempts: 2, on_status_codes: [408] }, ...leaf("a") });
    expect(drive(custom.r, custom.v, request(0), [503, 200]).tried).toEqual(["a"]);
    expect(drive(custom.r, custom.v, request(1), [408, 200]).tried).toEqual(["a", "a"]);
  });

  it("retry is inherited by nested targets; a child's own retry replaces it", () => {
    const { r, v } = pk({
      retry: { attempts: 1 },
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b", { retry: { attempts: 0 } }), leaf("c")],
    });
    expect(drive(r, v, request(0), [503, 503, 503, 200]).tried).toEqual(["a", "a", "b", "c"]);
  });

  it("use_retry_after_header: a 429 waits its Retry-After, later backoffs become 0; ≥ 60 s stops", () => {
    const w = pk({ retry: { attempts: 2, use_retry_after_header: true }, ...leaf("a") }, [
      { name: "a", rpm: 20 },
    ]);
    // rpm 20 → Retry-After 3 s.
    expect(drive(w.r, w.v, request(0), [429, 503, 200]).delays).toEqual([0, 3000, 0]);
    const slow = pk({ retry: { attempts: 2, useRetryAfterHeader: true }, ...leaf("a") }, [
      { name: "a", rpm: 0.5 },
    ]);
    // rpm 0.5 → Retry-After 120 s ≥ 60 s: no retry.
    expect(drive(slow.r, slow.v, request(0), [429, 200]).tried).toEqual(["a"]);
    const ignore = pk({ retry: { attempts: 1 }, ...leaf("a") }, [{ name: "a", rpm: 20 }]);
    expect(drive(ignore.r, ignore.v, request(0), [429, 200]).delays).toEqual([0, 1000]);
  });

  it("request_timeout is the per-attempt timeout; the client gets the last status as is", () => {
    const { b, r, v } = pk({
      request_timeout: 5000,
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b")],
    });
    expect(b.behaviour.timeoutMs).toBe(5000);
    const res = drive(r, v, request(0), [{ status: 408, error: "timeout" }, 502]);
    expect(b.behaviour.finalError(res.attempts)).toEqual({ status: 502, code: "provider_unavailable" });
    const t = drive(r, v, request(1), [502, { status: 408, error: "timeout" }]);
    expect(b.behaviour.finalError(t.attempts).status).toBe(408);
  });

  it("closes every plan", () => {
    const { r, v } = pk({
      retry: { attempts: 2 },
      strategy: { mode: "fallback" },
      targets: [leaf("a"), leaf("b")],
    });
    for (let i = 0; i < 20; i++) drive(r, v, request(i), [503, 429, 500, 503, 503, 503]);
    expect(r.plans.size).toBe(0);
  });
});
