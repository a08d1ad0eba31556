import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, simulate } from "../src/index.js";

describe("flagship scenario (end to end)", () => {
  it("runs every policy, conserves requests and writes all five files", () => {
    const loaded = loadScenario("scenarios/flagship.yaml", { requests: 2000 });
    const out = join(mkdtempSync(join(tmpdir(), "routesim-")), "flagship");
    const { summary } = simulate(loaded, { outDir: out });
    expect(summary.requests).toBe(2000);
    expect(summary.policies.map((p) => p.name)).toEqual(["default", "price-sort", "nitro", "pinned-groq"]);
    for (const p of summary.policies) {
      expect(p.succeeded + p.failed).toBe(2000);
      const failedByStatus = Object.values(p.errors).reduce((a, b) => a + b, 0);
      expect(failedByStatus).toBe(p.failed);
    }
    for (const f of ["attempts.csv", "requests.csv", "summary.json", "run.json", "report.md"]) {
      expect(readFileSync(join(out, f), "utf8").length).toBeGreaterThan(0);
    }
    const requestRows = readFileSync(join(out, "requests.csv"), "utf8").trim().split("\n").length - 1;
    expect(requestRows).toBe(2000 * 4);
  });
});
