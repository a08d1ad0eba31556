import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";

const F = "scenarios/flagship.yaml";

describe("compare, sweep, report, merge: bad input exits 2 without output", () => {
  it.each([
    ["compare", F, "--policies", "nope"],
    ["compare", F, "--baseline", "nope"],
    ["compare", F, "--jobs", "0"],
    ["compare", F, "--replications", "x"],
    ["compare", F, "--target", "2"],
    ["sweep", F, "--set", "providers[9].price.prompt=1"],
    ["sweep", F, "--set", "traffic.arrivals.rate_per_s=fast"],
    ["sweep", F, "--set", "providers[0].price.prompt=1", "--shard", "3/2"],
    ["sweep", F],
    ["report", "no/such/folder"],
    ["merge", "no/such/folder"],
  ])("%s %s %s %s", async (...args) => {
    const out = join(mkdtempSync(join(tmpdir(), "routesim-cli-")), "out");
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const std = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const extra = args[0] === "report" ? [] : ["--out", out];
      expect(await main([...args, ...extra])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toMatch(/error/);
      expect(existsSync(out)).toBe(false);
    } finally {
      err.mockRestore();
      std.mockRestore();
    }
  });
});
