/**
 * Issue 25 item 8: the report says why traffic went where it went. The default policy sent a small
 * share to the cheapest endpoint because background errors kept it deprioritised; the section must
 * show that from the run itself (weight share vs served, deprioritised share, left out).
 */
import { describe, expect, it } from "vitest";
import { compare } from "../../src/experiment/compare.js";
import { renderCompareMarkdown } from "../../src/report/compare-markdown.js";

const provider = (name: string, price: number, errorRate: number) => ({
  name,
  model: "m",
  price: { prompt: price, completion: price },
  ttft_ms: 200,
  tokens_per_s: 100,
  error_rate: errorRate,
  concurrency: 64,
});

const scenario = {
  name: "why",
  seed: 5,
  traffic: {
    arrivals: { process: "poisson", rate_per_s: 10 },
    requests: 2000,
    model: "m",
    prompt_tokens: 100,
    completion_tokens: 50,
  },
  // "cheap" holds 4/(4+1+1) = 2/3 of the 1/price² weight, but fails often enough to stay deprioritised.
  providers: [provider("cheap", 0.5, 0.2), provider("mid", 1, 0), provider("dear", 1, 0)],
  policies: [{ name: "default" }, { name: "only-mid", request: { provider: { only: ["mid"] } } }],
};

describe("why traffic went where it went (issue 25 item 8)", () => {
  it("measures first tries, weight share, deprioritisation and what was left out", async () => {
    const r = await compare({
      source: { kind: "object", input: scenario, baseDir: process.cwd(), label: "why" },
      replications: 2,
      jobs: 1,
      outDir: null,
    });
    const def = r.summary.policies.find((p) => p.name === "default")!.why!;
    const only = r.summary.policies.find((p) => p.name === "only-mid")!.why!;
    expect(def.weightShare.cheap.mean!).toBeCloseTo(2 / 3, 6);
    expect(def.weightShare.mid.mean!).toBeCloseTo(1 / 6, 6);
    // With a failure every 5th attempt, "cheap" is in a lower group most of the time and gets far
    // less than its weight; the healthy ones take it.
    expect(def.deprioritised.cheap.mean!).toBeGreaterThan(0.5);
    expect(def.deprioritised.mid.mean!).toBeLessThan(0.05);
    expect(def.first.cheap.mean!).toBeLessThan(0.5 * (2 / 3));
    // Every request's first attempt went somewhere: the first-try shares add up to 1.
    const firsts = Object.values(def.first).reduce((a, x) => a + x.mean!, 0);
    expect(firsts + def.rejected.mean!).toBeCloseTo(1, 12);
    // `only` leaves the other two out of every request; nothing is left out by default routing.
    expect(only.leftOut.cheap.mean).toBe(1);
    expect(only.leftOut.dear.mean).toBe(1);
    expect(only.leftOut.mid.mean).toBe(0);
    expect(def.leftOut.cheap.mean).toBe(0);

    const md = renderCompareMarkdown(r.data, r.summary);
    expect(md).toContain("## Why traffic went where it went: default");
    expect(md).toMatch(
      /\*\*cheap\*\* served \d+\.\d\d % \(66\.67 % by price weight\): recent failures deprioritised it in \d+\.\d\d % of its decisions\./,
    );
    expect(md).toContain("Left out of every request for their model: **cheap**, **dear**.");
  });
});
