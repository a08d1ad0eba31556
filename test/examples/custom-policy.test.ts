import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("examples/custom-policy.ts (the README's 'Test your own policy')", () => {
  it("runs and every invariant it selects holds", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "examples/custom-policy.ts"], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^invariant\s+rules\s+cautious$/m);
    expect(r.stdout).toMatch(/^filters\s+R10–R18, R20\s+pass \(50\)$/m);
  });
});
