import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { compare } from "../../src/experiment/compare.js";
import { rawScenario } from "../../src/experiment/grid.js";
import { isRegression, parseChecks, parseTolerance } from "../../src/results/diff.js";
import { metricDef } from "../../src/results/headline.js";

function scenario(groqErrorRate: number): unknown {
  const o = structuredClone(rawScenario("scenarios/flagship.yaml")) as Record<string, unknown>;
  const t = o.traffic as Record<string, unknown>;
  delete t.duration_s;
  t.requests = 800;
  const providers = o.providers as { name: string; error_rate: number }[];
  providers.find((p) => p.name === "groq")!.error_rate = groqErrorRate;
  o.policies = (o.policies as { name: string }[]).filter(
    (p) => p.name === "default" || p.name === "pinned-groq",
  );
  return o;
}

async function results(groqErrorRate: number): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), "routesim-diff-")), "r");
  await compare({
    source: { kind: "object", input: scenario(groqErrorRate), baseDir: process.cwd(), label: "diff" },
    replications: 3,
    jobs: 1,
    outDir: out,
  });
  return out;
}

describe("diff", () => {
  it("tolerances and directions", () => {
    expect(parseTolerance("0.01")).toEqual({ value: 0.01, relative: false });
    expect(parseTolerance("5%")).toEqual({ value: 0.05, relative: true });
    const sr = metricDef("successRate")!;
    const cost = metricDef("costPerSuccessUsd")!;
    expect(isRegression(sr, 0.99, 0.97, { value: 0.01, relative: false })).toBe(true);
    expect(isRegression(sr, 0.99, 0.985, { value: 0.01, relative: false })).toBe(false);
    expect(isRegression(sr, 0.9, 0.99, { value: 0, relative: false })).toBe(false); // improvement
    expect(isRegression(cost, 1, 1.04, { value: 0.05, relative: true })).toBe(false);
    expect(isRegression(cost, 1, 1.06, { value: 0.05, relative: true })).toBe(true);
    expect(parseChecks([], [])).toEqual([
      { metric: "successRate", tolerance: { value: 0, relative: false } },
    ]);
    expect(() => parseChecks(["successRate", "costUsd"], ["1", "2", "3"])).toThrow(/--tolerance/);
  });

  it("exit codes: 0 without regression, 1 beyond tolerance, 2 for bad input", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const good = await results(0.002);
      const worse = await results(0.3);
      expect(await main(["diff", good, good])).toBe(0);
      expect(await main(["diff", good, worse, "--metric", "successRate", "--tolerance", "0.01"])).toBe(1);
      expect(await main(["diff", good, worse, "--metric", "successRate", "--tolerance", "50%"])).toBe(0);
      expect(await main(["diff", worse, good, "--metric", "successRate"])).toBe(0); // an improvement
      expect(
        await main(["diff", good, worse, "--metric", "latencyP99Ms,successRate", "--tolerance", "1000%"]),
      ).toBe(0);
      expect(await main(["diff", good, worse, "--metric", "nope"])).toBe(2);
      expect(await main(["diff", good, join(good, "missing")])).toBe(2);
      const printed = out.mock.calls.map((c) => String(c[0])).join("");
      expect(printed).toMatch(/pinned-groq\s+successRate .*REGRESSION/);
      expect(printed).toContain("paired by replication (same seeds)");
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }, 60_000);
});
