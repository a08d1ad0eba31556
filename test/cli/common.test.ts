import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outputDir, UsageError } from "../../src/cli/common.js";

describe("outputDir", () => {
  const base = mkdtempSync(join(tmpdir(), "routesim-outdir-"));
  const folder = (name: string, files: string[]) => {
    const d = join(base, name);
    mkdirSync(d);
    for (const f of files) writeFileSync(join(d, f), "{}");
    return d;
  };

  it("a new folder is fine; an existing one needs --force", () => {
    expect(outputDir(join(base, "new"), false)).toBe(join(base, "new"));
    const d = folder("old", [".routesim-results", "summary.json"]);
    expect(() => outputDir(d, false)).toThrow(UsageError);
    expect(outputDir(d, true)).toBe(d);
  });

  // #27 item 5: the marker file every results folder gets, not files anyone could have.
  it("--force replaces a results folder marked by .routesim-results, not one with only summary.json", () => {
    const d = folder("marked", [".routesim-results", "summary.json", "report.md"]);
    expect(outputDir(d, true)).toBe(d);
    const legacy = folder("legacy", ["summary.json", "report.md"]);
    expect(() => outputDir(legacy, true)).toThrow(/no \.routesim-results marker.*rm -r/);
  });

  it("--force replaces an empty folder but never other folders or files", () => {
    expect(outputDir(folder("empty", []), true)).toBe(join(base, "empty"));
    expect(() => outputDir(folder("src", ["index.ts"]), true)).toThrow(/not a routesim results folder/);
    const file = join(base, "notes.txt");
    writeFileSync(file, "x");
    expect(() => outputDir(file, true)).toThrow(/not a routesim results folder/);
  });
});
