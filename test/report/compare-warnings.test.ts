/**
 * Issue 25 item 2: what `run` warns about (a gateway setting routesim cannot simulate) is also in
 * the comparison's report.md and report.html, not only on the console.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "routesim-warnings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("compare reports carry the runs' warnings", () => {
  it("head-to-head: LiteLLM's redis_host is named in the console, report.md and report.html", async () => {
    const out = join(dir, "cmp");
    const r = await runCli([
      "compare",
      "scenarios/gateways/head-to-head.yaml",
      "-r",
      "2",
      "--requests",
      "300",
      "-j",
      "1",
      "--out",
      out,
      "-q",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*redis\\?_host/);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toMatch(/## Warnings[\s\S]*redis\\_host[\s\S]*## Headline metrics/);
    expect(readFileSync(join(out, "report.html"), "utf8")).toMatch(/id="warnings"[\s\S]*redis_host/);
    expect(JSON.parse(readFileSync(join(out, "compare.json"), "utf8")).warnings.join("\n")).toContain(
      "redis_host",
    );
  });
});
