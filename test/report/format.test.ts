import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frontier, renderSvg, warmUpCharts } from "../../src/report/charts.js";
import { absDiff, relDiff, stat, thousands, value } from "../../src/report/format.js";
import { escapeHtml } from "../../src/report/html.js";

const S = (mean: number, h: number) => ({ mean, lo: mean - h, hi: mean + h, sd: 1, n: 5 });

describe("report formatting", () => {
  it("thousands() writes what toLocaleString('en-US') writes, without ICU", () => {
    const intl = (x: number, d: number) =>
      x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    for (const x of [
      0,
      -0,
      0.5,
      1.5,
      2.5,
      -2.5,
      999.5,
      1234.5678,
      -0.0004,
      1e6,
      123456789.125,
      1e20,
      1e22,
      Number.NaN,
      -Infinity,
    ])
      for (const d of [0, 1, 2, 3]) expect(thousands(x, d), `${x} with ${d} decimals`).toBe(intl(x, d));
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, min: -1e21, max: 1e21 }),
        fc.integer({ min: 0, max: 4 }),
        (x, d) => {
          expect(thousands(x, d)).toBe(intl(x, d));
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e12 }), (x) => {
        expect(thousands(x)).toBe(x.toLocaleString("en-US"));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
  it("values with units and CIs", () => {
    expect(stat(S(0.9952, 0.0012), "fraction")).toBe("99.52 % ± 0.12");
    expect(stat(S(0.000827, 0.000045), "usd")).toBe("$0.000827 ± 0.000045");
    expect(stat(S(19.83, 1.06), "usd")).toBe("$19.83 ± 1.06");
    expect(stat(S(3588.4, 226.2), "ms")).toBe("3,588 ± 226");
    expect(stat({ mean: 2, lo: null, hi: null, sd: null, n: 1 }, "ratio")).toBe("2.000");
    expect(stat({ mean: null, lo: null, hi: null, sd: null, n: 0 }, "ms")).toBe("–");
    expect(value(Number.NaN, "ms")).toBe("–");
  });
  it("signed differences", () => {
    expect(relDiff(S(-0.123, 0.015))).toBe("−12.3 % ± 1.5 %");
    expect(absDiff(S(0.0052, 0.001), "fraction")).toBe("+0.52 pp ± 0.10");
    expect(absDiff(S(-16.2, 1.08), "usd")).toBe("−$16.20 ± 1.08");
  });
  it("escapes HTML", () => {
    expect(escapeHtml('<a href="x">&</a>')).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
  });
});

describe("charts", () => {
  it("the frontier keeps only undominated policies", () => {
    const pts = [
      { name: "cheap", success: 99, cost: 1 },
      { name: "reliable", success: 100, cost: 3 },
      { name: "dominated", success: 98, cost: 2 },
      { name: "tie", success: 99, cost: 1 },
    ];
    expect(frontier(pts)).toEqual(["cheap", "reliable", "tie"]);
  });
  it("renders Vega-Lite to SVG in Node, deterministically", async () => {
    const spec = {
      data: {
        values: [
          { a: 1, b: 2 },
          { a: 2, b: 3 },
        ],
      },
      mark: "line" as const,
      encoding: {
        x: { field: "a", type: "quantitative" as const },
        y: { field: "b", type: "quantitative" as const },
      },
    };
    const svg = await renderSvg(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("<path");
    expect(await renderSvg(spec)).toBe(svg);
  });

  it("a chart's SVG does not depend on what this thread drew before (clip-path ids)", async () => {
    const spec = {
      data: { values: [{ a: 1, b: 2 }] },
      mark: { type: "point" as const, clip: true },
      encoding: {
        x: { field: "a", type: "quantitative" as const },
        y: { field: "b", type: "quantitative" as const },
      },
    };
    const svg = await renderSvg(spec);
    expect(svg).toContain('clip-path="url(#clip');
    expect(await renderSvg(spec)).toBe(svg);
  });

  it("the warm-up draws its charts until it is told to stop, asking before each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "routesim-warmup-"));
    try {
      const spec = { data: { values: [{ a: 1 }] }, mark: "bar", encoding: { x: { field: "a" } } };
      const file = join(dir, "warmup.json");
      writeFileSync(file, JSON.stringify([spec, spec, spec, spec]));
      let asked = 0;
      await warmUpCharts(() => ++asked === 3, file);
      expect(asked).toBe(3);
      asked = 0;
      const never = (): boolean => ++asked < 0;
      await warmUpCharts(never, file);
      expect(asked).toBe(4);
      // No warm-up file (sources run without a build): nothing to do.
      await warmUpCharts(never, join(dir, "missing.json"));
      expect(asked).toBe(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
