/**
 * Issue 25 items 5 and 10, the charts: the frontier line the caption promises is drawn, percent
 * axes stop at 100 %, a policy (and an endpoint) has one colour in every chart of a report, legends
 * show whole names, and a 2-D sweep is drawn as small multiples, not one zig-zag line per policy.
 */
import { describe, expect, it } from "vitest";
import { compare } from "../../src/experiment/compare.js";
import {
  errorsSpec,
  frontierSpec,
  frontierSteps,
  latencyCdfSpec,
  renderSvg,
  shareSpec,
  successDomain,
} from "../../src/report/charts.js";
import { sweepChart } from "../../src/report/sweep-html.js";
import type { CompareSummary } from "../../src/results/compare-summary.js";
import type { SweepMeta, SweepPointResult } from "../../src/results/sweep-folder.js";

const A = "meta-llama/llama-3.3-70b-instruct";
const B = "qwen/qwen-2.5-72b-instruct";

const stat = (mean: number, h: number) => ({ mean, lo: mean - h, hi: mean + h, sd: h, n: 3 });
/** A summary with only what the frontier chart reads: success rate and cost per success. */
const summary = (ps: [string, number, number][]): CompareSummary =>
  ({
    policies: ps.map(([name, success, cost]) => ({
      name,
      metrics: { successRate: stat(success, 0.004), costPerSuccessUsd: stat(cost, cost / 20) },
    })),
  }) as unknown as CompareSummary;

/** The numbers on a chart's axes. */
function axisLabels(svg: string): number[] {
  const groups = svg.match(/role-axis-label"[^>]*>(?:<text[^>]*>[^<]*<\/text>)+/g) ?? [];
  return groups.flatMap((g) =>
    [...g.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => Number(m[1].replace(/,/g, ""))),
  );
}

/** Legend label → symbol colour (the stroke of a line's symbol, the fill of an area's). */
function legend(svg: string): Map<string, string> {
  const out = new Map<string, string>();
  const entry =
    /role-legend-symbol"[^>]*><path ([^>]*)\/><\/g><g class="mark-text role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g;
  for (const m of svg.matchAll(entry)) {
    const colour = / stroke="(#[^"]+)"/.exec(m[1]) ?? / fill="(#[^"]+)"/.exec(m[1]);
    if (colour) out.set(m[2], colour[1]);
  }
  return out;
}

const provider = (name: string, model: string, price: number) => ({
  name,
  model,
  price: { prompt: price, completion: price },
  ttft_ms: 100,
  tokens_per_s: 200,
  error_rate: 0.05,
});

describe("the cost/success frontier chart", () => {
  it("draws the frontier as a staircase through the undominated policies, from the left edge", () => {
    expect(
      frontierSteps(
        [
          { success: 99, cost: 2 },
          { success: 90, cost: 1 },
        ],
        80,
      ).map((p) => [p.success, p.cost]),
    ).toEqual([
      [80, 1],
      [90, 1],
      [90, 2],
      [99, 2],
    ]);
  });

  it("draws a line when one policy beats all others (a line through the frontier points drew none)", async () => {
    // cheap is cheaper and more successful than both others: the frontier is that one point.
    const s = summary([
      ["cheap", 0.99, 0.0002],
      ["pricey", 0.95, 0.001],
      ["flaky", 0.6, 0.0008],
    ]);
    const svg = await renderSvg(frontierSpec(s));
    const dashed = svg.match(/<path [^>]*stroke-dasharray="4,3"[^>]*>/g) ?? [];
    expect(dashed).toHaveLength(1);
    // A path of at least two vertices: "M x,y L x,y".
    expect(dashed[0]).toMatch(/d="M[^"]*L/);
  });

  it("stops the success axis at 100 % even when policies sit at 100 % with whiskers past it", async () => {
    const s = summary([
      ["a", 1, 0.0004],
      ["b", 1, 0.0007],
      ["c", 0.997, 0.0003],
    ]);
    const labels = axisLabels(await renderSvg(frontierSpec(s)));
    expect(labels.length).toBeGreaterThan(4);
    expect(Math.max(...labels)).toBe(100);
    expect(successDomain(99.7, 100.4)[1]).toBe(100);
    expect(successDomain(40, 60)).toEqual([expect.closeTo(38.8, 6), expect.closeTo(61.2, 6)]);
    // All at 100 %: a visible range below it, not an empty one.
    expect(successDomain(100, 100)).toEqual([98, 100]);
  });
});

describe("colours and legends across the charts of a report", () => {
  const names = Array.from({ length: 12 }, (_v, i) => `policy-${String(i + 1).padStart(2, "0")}`);
  const run = compare({
    source: {
      kind: "object",
      input: {
        name: "colours",
        seed: 5,
        traffic: { arrivals: { process: "uniform", rate_per_s: 20 }, requests: 120, model: A },
        providers: [provider("alpha", A, 0.5), provider("beta", A, 2), provider("alpha", B, 1)],
        policies: names.map((name, i) =>
          i === 1
            ? { name, request: { model: A, provider: { order: ["beta"], allow_fallbacks: false } } }
            : { name, kind: "round_robin" },
        ),
      },
      baseDir: process.cwd(),
      label: "colours",
    },
    replications: 2,
    jobs: 1,
  });

  it("gives each of 12 policies its own colour, the same in the frontier, CDF and errors charts", async () => {
    const { data, summary: s } = await run;
    const maps = await Promise.all(
      [frontierSpec(s), latencyCdfSpec(data, s), errorsSpec(data)].map(async (spec) =>
        legend(await renderSvg(spec)),
      ),
    );
    const colours = names.map((n) => maps[0].get(n));
    expect(new Set(colours).size).toBe(12);
    for (const m of maps) expect(names.map((n) => m.get(n))).toEqual(colours);
  });

  it("keeps an endpoint's colour across the per-policy share charts and shows whole endpoint names", async () => {
    const { data } = await run;
    const tag = `alpha · ${A}`;
    const [all, onlyBeta] = await Promise.all(
      [names[0], names[1]].map(async (p) => renderSvg(shareSpec(data, p))),
    );
    expect(all).toContain(`>${tag}<`);
    expect(all).not.toContain("…");
    const [a, b] = [legend(all), legend(onlyBeta)];
    expect(a.get(tag)).toBeDefined();
    for (const e of data.meta.endpoints) expect(b.get(e.tag)).toBe(a.get(e.tag));
  });
});

describe("sweep charts", () => {
  it("draw a 2-D grid as one panel per value of the second axis, the first along x", async () => {
    const { summary: s } = await compare({
      source: {
        kind: "object",
        input: {
          name: "grid",
          seed: 2,
          traffic: { arrivals: { process: "uniform", rate_per_s: 20 }, requests: 60, model: A },
          providers: [provider("alpha", A, 0.5), provider("beta", A, 2)],
          policies: [
            { name: "rr", kind: "round_robin" },
            { name: "rr2", kind: "round_robin" },
          ],
        },
        baseDir: process.cwd(),
        label: "grid",
      },
      replications: 2,
      jobs: 1,
    });
    const axes = [
      { path: "providers[0].price.prompt", values: [0.05, 0.2, 0.4] },
      { path: "traffic.arrivals.rate_per_s", values: [20, 40] },
    ];
    const grid = axes[0].values.flatMap((a, i) =>
      axes[1].values.map((b, j) => ({ index: 2 * i + j, values: { [axes[0].path]: a, [axes[1].path]: b } })),
    );
    const meta = { axes, grid } as unknown as SweepMeta;
    const points: SweepPointResult[] = grid.map((point) => ({ point, summary: s }));
    const spec = sweepChart(meta, points, "costPerSuccessUsd") as {
      facet?: { field: string; sort: string[] };
      data: { values: { x: string; panel: string; policy: string }[] };
    };
    expect(spec.facet?.field).toBe("panel");
    expect(spec.facet?.sort).toEqual([
      "traffic.arrivals.rate_per_s = 20",
      "traffic.arrivals.rate_per_s = 40",
    ]);
    // Within a panel, each policy's line visits each x value once: no going back and forth.
    const lines = new Map<string, string[]>();
    for (const r of spec.data.values)
      lines.set(`${r.panel}|${r.policy}`, [...(lines.get(`${r.panel}|${r.policy}`) ?? []), r.x]);
    expect(lines.size).toBe(4);
    for (const xs of lines.values()) expect(xs).toEqual(["0.05", "0.2", "0.4"]);
    // One axis: one panel, its values along x.
    const one = { axes: [axes[0]], grid: grid.filter((g) => g.index % 2 === 0) } as unknown as SweepMeta;
    const flat = sweepChart(
      one,
      points.filter((p) => p.point.index % 2 === 0),
      "costPerSuccessUsd",
    ) as {
      facet?: unknown;
      data: { values: { x: string; policy: string }[] };
    };
    expect(flat.facet).toBeUndefined();
    expect(flat.data.values.filter((r) => r.policy === "rr").map((r) => r.x)).toEqual(["0.05", "0.2", "0.4"]);
    const svg = await renderSvg(sweepChart(meta, points, "successRate"));
    expect(svg).toContain("traffic.arrivals.rate_per_s = 40");
    expect(Math.max(...axisLabels(svg).filter(Number.isFinite))).toBeLessThanOrEqual(100);
  });
});
