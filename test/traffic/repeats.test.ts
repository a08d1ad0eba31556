/** Byte-identical repeats in synthetic traffic (`traffic.repeats`), for response caching (spec R106). */
import { describe, expect, it } from "vitest";
import { Traffic } from "../../src/scenario/schema.js";
import { bodyFactory } from "../../src/simulate.js";
import { openTraffic } from "../../src/traffic/index.js";
import { SyntheticTraffic } from "../../src/traffic/synthetic.js";
import type { TrafficRequest } from "../../src/types.js";

const spec = (repeats?: { share: number; window_s?: number }) => ({
  arrivals: { process: "poisson", rate_per_s: 20 },
  requests: 20_000,
  model_mix: { a: 1, b: 1 },
  sessions: { count: 50, share: 0.5 },
  ...(repeats ? { repeats } : {}),
});

function all(s: unknown, seed = 1): TrafficRequest[] {
  const src = new SyntheticTraffic(Traffic.parse(s), seed);
  const out: TrafficRequest[] = [];
  for (let r = src.next(); r !== null; r = src.next()) out.push(r);
  return out;
}

const isRepeat = (r: TrafficRequest) => r.bodyKey !== `b${r.id}`;

describe("traffic.repeats (R106)", () => {
  it("without repeats, requests carry no body key (they never hit a response cache)", () => {
    expect(all(spec()).every((r) => r.bodyKey === undefined)).toBe(true);
  });

  it("repeats about `share` of requests (binomial bounds: 20k draws, sd ≈ 0.003)", () => {
    const rs = all(spec({ share: 0.2, window_s: 600 }));
    const share = rs.filter(isRepeat).length / rs.length;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.22);
    expect(all(spec({ share: 0 })).some(isRepeat)).toBe(false);
    // share 1: every request after the first repeats one before it, so all share request 0's body.
    expect(new Set(all(spec({ share: 1 })).map((r) => r.bodyKey))).toEqual(new Set(["b0"]));
  });

  it("a repeat copies an earlier request of the window: sizes, model, session and key", () => {
    const rs = all(spec({ share: 0.3, window_s: 60 }));
    const firstOf = new Map<string, TrafficRequest>();
    for (const r of rs) {
      if (!isRepeat(r)) {
        firstOf.set(r.bodyKey!, r);
        continue;
      }
      const o = firstOf.get(r.bodyKey!)!;
      expect(o.id).toBeLessThan(r.id);
      expect([r.promptTokens, r.completionTokens, r.model, r.session]).toEqual([
        o.promptTokens,
        o.completionTokens,
        o.model,
        o.session,
      ]);
    }
    // Uniform over the last 60 s: a direct copy is at most 60 s younger than what it copies; chains
    // of repeats can reach further back, so check that most keys are recent.
    const age = rs.filter(isRepeat).map((r) => r.arrivalMs - firstOf.get(r.bodyKey!)!.arrivalMs);
    expect(age.filter((a) => a <= 60_000).length / age.length).toBeGreaterThan(0.6);
  });

  it("common random numbers: arrivals, and every non-repeat's draws, are the same as without repeats", () => {
    const plain = all(spec());
    const rep = all(spec({ share: 0.25, window_s: 300 }));
    expect(rep.map((r) => r.arrivalMs)).toEqual(plain.map((r) => r.arrivalMs));
    const fresh = rep.filter((r) => !isRepeat(r));
    expect(fresh.length).toBeGreaterThan(10_000);
    for (const r of fresh) {
      const p = plain[r.id];
      expect([r.promptTokens, r.completionTokens, r.model, r.session]).toEqual([
        p.promptTokens,
        p.completionTokens,
        p.model,
        p.session,
      ]);
    }
  });

  it("is deterministic per seed and differs across seeds", () => {
    const s = spec({ share: 0.25 });
    expect(all(s, 5)).toEqual(all(s, 5));
    expect(all(s, 5).map((r) => r.bodyKey)).not.toEqual(all(s, 6).map((r) => r.bodyKey));
  });

  it("a repeat carries the same body object as the request it copies", () => {
    const src = openTraffic(Traffic.parse(spec({ share: 0.5 })), ".", 1, "<t>", bodyFactory({}, "a"));
    const bodyOf = new Map<string, unknown>();
    for (let r = src.next(); r !== null; r = src.next()) {
      const seen = bodyOf.get(r.bodyKey!);
      if (seen !== undefined) expect(r.body).toBe(seen);
      else bodyOf.set(r.bodyKey!, r.body);
      expect(r.body.model).toBe(r.model);
    }
  });
});
