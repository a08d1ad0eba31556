/**
 * Issue 25 item 6: report.html's headline table fits 1400 px with 5–8 policies. The HTML puts the
 * "best" column right after the metric, lets a figure cell break before its "± half-width" and a
 * policy name after `-`, `_`, `.`, `/`; test/report/browser.test.ts measures the result. Also:
 * the warnings table (item 2) comes before the headline, and the headline before the charts.
 */
import { describe, expect, it } from "vitest";
import { compare } from "../../src/experiment/compare.js";
import { renderCompareHtml, tableHtml } from "../../src/report/html.js";

const table = {
  id: "headline",
  title: "Headline metrics",
  note: "n",
  head: ["metric", "litellm_usage", "portkey-lb", "best"],
  rows: [
    ["cost per success (USD)", "$0.00104 ± 0.00025", "$0.000563 ± 0.000035", "**portkey-lb**"],
    ["latency p50 (ms)", "2,854 ± 854", "2,231 ± 917", "litellm_usage ≈ portkey-lb"],
  ],
};

/** The cells of each row of a rendered table, tags stripped. */
function cells(html: string): string[][] {
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => c[1].replace(/<[^>]+>/g, "")),
  );
}

describe("report.html tables", () => {
  it("moves the best column right after the metric, where it stays in view", () => {
    const rows = cells(tableHtml(table, { bestAt: 1 }));
    expect(rows.map((r) => r[1])).toEqual(["best", "portkey-lb", "litellm_usage ≈ portkey-lb"]);
    expect(rows[0]).toEqual(["metric", "best", "litellm_usage", "portkey-lb"]);
    // Without the option the model's order stays (the other tables).
    expect(cells(tableHtml(table))[0][3]).toBe("best");
  });

  it("breaks a figure cell only before its half-width, a policy name after _ . / or -", () => {
    const html = tableHtml(table, { bestAt: 1 });
    expect(html).toContain(">$0.00104 ±\u00a00.00025<");
    expect(html).toContain(">2,854 ±\u00a0854<");
    expect(html).toContain(">litellm_<wbr>usage<");
    // Row labels and the best cell wrap at their spaces.
    expect(html).toContain("<th>cost per success (USD)</th>");
    expect(html).toContain('<td class="best">litellm_usage ≈ portkey-lb</td>');
  });

  it("puts the warnings and the headline table before the charts, the other tables after", async () => {
    const { data, summary } = await compare({
      source: {
        kind: "object",
        input: {
          name: "order",
          seed: 1,
          traffic: { arrivals: { process: "uniform", rate_per_s: 20 }, requests: 50, model: "m" },
          providers: [
            { name: "a", model: "m", price: { prompt: 1, completion: 1 }, ttft_ms: 100, tokens_per_s: 100 },
          ],
          policies: [
            { name: "p", kind: "round_robin" },
            { name: "q", kind: "round_robin" },
          ],
        },
        baseDir: process.cwd(),
        label: "order",
      },
      replications: 2,
      jobs: 1,
    });
    data.meta.warnings = ["a setting the simulation cannot reproduce"];
    const html = await renderCompareHtml(data, summary, async (specs) => specs.map(() => "<svg></svg>"));
    const at = (id: string) => html.indexOf(`id="${id}"`);
    expect(at("warnings")).toBeGreaterThan(0);
    expect(at("warnings")).toBeLessThan(at("headline"));
    expect(at("headline")).toBeLessThan(at("charts"));
    expect(at("charts")).toBeLessThan(at("differences"));
    expect(cells(html.slice(at("headline"), at("charts")))[0].slice(0, 2)).toEqual(["metric", "best"]);
  });
});
