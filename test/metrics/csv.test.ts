import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CsvWriter, ms, usd } from "../../src/metrics/csv.js";

describe("ms", () => {
  it("prints the same text as (round(v·1000)/1000).toString()", () => {
    const ref = (v: number): string => (v === v ? (Math.round(v * 1000) / 1000).toString() : "");
    fc.assert(
      fc.property(fc.double({ min: -1e13, max: 1e13 }), (v) => ms(v) === ref(v)),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (k) => ms(k / 1000) === ref(k / 1000)),
      { numRuns: 20_000 },
    );
    for (const v of [0, -0, 0.0004, 0.0005, 0.05, 0.005, 1.5, 999.9995, 1e15, 1e16, Number.NaN, Infinity])
      expect(ms(v)).toBe(ref(v));
  });
});

describe("usd", () => {
  it("gives the right text when values alternate (memoised)", () => {
    const ref = (v: number): string => (v === 0 ? "0" : Number(v.toPrecision(12)).toString());
    for (const v of [1e-6, 1e-6, 0.1 + 0.2, 0, 1e-6, 123.456789012345, 0.1 + 0.2])
      expect(usd(v)).toBe(ref(v));
  });
});

describe("CsvWriter", () => {
  it("writes every line in order, including multi-byte text and lines larger than its buffer", () => {
    const path = join(mkdtempSync(join(tmpdir(), "routesim-csv-")), "x.csv");
    const w = new CsvWriter(path, ["a", "b"]);
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(i % 7 === 0 ? `modèle-ü-${i},€${i}` : `row${i},${i * 0.5}`);
    lines.push(`${"x".repeat(3_000_000)},big`);
    lines.push("after,big");
    for (const l of lines) w.line(l);
    w.close();
    expect(readFileSync(path, "utf8")).toBe(`a,b\n${lines.join("\n")}\n`);
  });
});
