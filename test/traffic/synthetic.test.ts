import { describe, expect, it } from "vitest";
import { type RequestBody, Traffic } from "../../src/scenario/schema.js";
import { bodyFactory } from "../../src/simulate.js";
import { openTraffic } from "../../src/traffic/index.js";
import { SyntheticTraffic } from "../../src/traffic/synthetic.js";
import type { TrafficRequest } from "../../src/types.js";

function all(spec: unknown, seed = 1, cap = 2_000_000): TrafficRequest[] {
  const src = new SyntheticTraffic(Traffic.parse(spec), seed);
  const out: TrafficRequest[] = [];
  for (let r = src.next(); r !== null; r = src.next()) {
    out.push(r);
    if (out.length > cap) throw new Error("traffic did not stop");
  }
  return out;
}

const gaps = (rs: readonly TrafficRequest[]) => rs.slice(1).map((r, i) => r.arrivalMs - rs[i].arrivalMs);
const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cvOf = (xs: readonly number[]) => {
  const m = meanOf(xs);
  return Math.sqrt(meanOf(xs.map((x) => (x - m) ** 2))) / m;
};

describe("synthetic traffic", () => {
  it("Poisson: ids dense, arrivals non-decreasing, mean gap 1/rate, cv 1", () => {
    const rs = all({ arrivals: { process: "poisson", rate_per_s: 50 }, requests: 50_000, model: "m" });
    expect(rs).toHaveLength(50_000);
    expect(rs.every((r, i) => r.id === i && (i === 0 || r.arrivalMs >= rs[i - 1].arrivalMs))).toBe(true);
    const g = gaps(rs);
    // Exponential gaps: sd = mean, so the sample mean's se is 20 ms / √n.
    expect(Math.abs(meanOf(g) - 20)).toBeLessThan((5 * 20) / Math.sqrt(g.length));
    expect(Math.abs(cvOf(g) - 1)).toBeLessThan(0.03);
  });

  it("gamma renewal with cv > 1 is bursty; uniform is evenly spaced", () => {
    const g = gaps(
      all({ arrivals: { process: "gamma", rate_per_s: 10, cv: 3 }, requests: 50_000, model: "m" }),
    );
    expect(Math.abs(meanOf(g) - 100) / 100).toBeLessThan(0.1);
    expect(cvOf(g)).toBeGreaterThan(2.5);
    const u = all({ arrivals: { process: "uniform", rate_per_s: 4 }, requests: 5, model: "m" });
    expect(u.map((r) => r.arrivalMs)).toEqual([0, 250, 500, 750, 1000]);
  });

  it("duration_s stops the stream; requests caps it", () => {
    const rs = all({ arrivals: { process: "poisson", rate_per_s: 100 }, duration_s: 60, model: "m" });
    expect(rs.every((r) => r.arrivalMs < 60_000)).toBe(true);
    expect(Math.abs(rs.length - 6000)).toBeLessThan(5 * Math.sqrt(6000));
    const capped = all({
      arrivals: { process: "poisson", rate_per_s: 100 },
      duration_s: 60,
      requests: 10,
      model: "m",
    });
    expect(capped).toHaveLength(10);
  });

  it("a piecewise schedule that ends at rate 0 ends the traffic instead of hanging", () => {
    const spec = (process: string) => ({
      arrivals: {
        process,
        rate_per_s: 10,
        ...(process === "gamma" ? { cv: 2 } : {}),
        schedule: {
          kind: "piecewise",
          points: [
            { at_s: 0, rate_per_s: 10 },
            { at_s: 30, rate_per_s: 0 },
          ],
        },
      },
      requests: 1_000_000,
      model: "m",
    });
    for (const process of ["poisson", "gamma", "uniform"]) {
      const rs = all(spec(process));
      expect(rs.length, process).toBeGreaterThan(200);
      expect(rs.length, process).toBeLessThan(400);
      expect(rs.every((r) => r.arrivalMs < 30_000)).toBe(true);
    }
  });

  it("a schedule with a zero-rate gap resumes after it (uniform arrivals too)", () => {
    const rs = all({
      arrivals: {
        process: "uniform",
        rate_per_s: 1,
        schedule: {
          kind: "piecewise",
          points: [
            { at_s: 0, rate_per_s: 1 },
            { at_s: 5, rate_per_s: 0 },
            { at_s: 20, rate_per_s: 1 },
          ],
        },
      },
      duration_s: 25,
      model: "m",
    });
    const times = rs.map((r) => r.arrivalMs / 1000);
    expect(times.filter((t) => t > 5 && t < 20)).toEqual([]);
    expect(times.filter((t) => t >= 20).length).toBeGreaterThanOrEqual(4);
  });

  it("a flash crowd multiplies the rate inside its window", () => {
    const rs = all({
      arrivals: {
        process: "poisson",
        rate_per_s: 20,
        flash_crowd: { start_s: 100, duration_s: 50, multiplier: 5 },
      },
      duration_s: 200,
      model: "m",
    });
    const inside = rs.filter((r) => r.arrivalMs >= 100_000 && r.arrivalMs < 150_000).length;
    const before = rs.filter((r) => r.arrivalMs < 50_000).length;
    expect(Math.abs(inside - 5000)).toBeLessThan(5 * Math.sqrt(5000));
    expect(Math.abs(before - 1000)).toBeLessThan(5 * Math.sqrt(1000));
  });

  it("model_mix shares follow the weights; token sizes follow their distributions", () => {
    const rs = all({
      arrivals: { process: "poisson", rate_per_s: 10 },
      requests: 40_000,
      model_mix: { a: 3, b: 1 },
      prompt_tokens: { dist: "uniform", min: 100, max: 300 },
      completion_tokens: 7,
    });
    const a = rs.filter((r) => r.model === "a").length;
    expect(Math.abs(a - 30_000)).toBeLessThan(5 * Math.sqrt(40_000 * 0.75 * 0.25));
    expect(rs.every((r) => r.completionTokens === 7 && r.promptTokens >= 100 && r.promptTokens <= 300)).toBe(
      true,
    );
    expect(Math.abs(meanOf(rs.map((r) => r.promptTokens)) - 200)).toBeLessThan(1);
  });

  it("the same seed gives the same stream; another seed another one", () => {
    const spec = { arrivals: { process: "poisson", rate_per_s: 10 }, requests: 100, model: "m" };
    expect(all(spec, 5)).toEqual(all(spec, 5));
    expect(all(spec, 6).map((r) => r.arrivalMs)).not.toEqual(all(spec, 5).map((r) => r.arrivalMs));
  });

  it("opened for a policy, requests carry that policy's body for their model, the rest unchanged", () => {
    const spec = Traffic.parse({
      arrivals: { process: "poisson", rate_per_s: 10 },
      requests: 2_000,
      model_mix: { a: 1, b: 1 },
    });
    const template = { provider: { sort: "price" as const } };
    const routed = openTraffic(spec, ".", 3, "<test>", bodyFactory(template));
    const plain = openTraffic(spec, ".", 3, "<test>");
    const bodies = new Map<string, RequestBody>();
    for (
      let r = routed.next(), p = plain.next();
      r !== null || p !== null;
      r = routed.next(), p = plain.next()
    ) {
      expect(r).not.toBeNull();
      const { body, ...rest } = r!;
      expect(rest).toEqual(p); // same traffic (arrivals, sizes, models) with or without bodies
      expect(body).toEqual({ ...template, model: r!.model });
      // One shared body object per model, not a copy per request.
      if (!bodies.has(r!.model)) bodies.set(r!.model, body);
      expect(body).toBe(bodies.get(r!.model));
    }
    expect([...bodies.keys()].sort()).toEqual(["a", "b"]);
  });
});
