import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compare, renderReports } from "../../src/experiment/compare.js";
import { rawScenario } from "../../src/experiment/grid.js";
import { replicationSeed, runReplication } from "../../src/experiment/replicate.js";
import { readCompareData } from "../../src/results/compare-folder.js";
import { HEADLINE } from "../../src/results/headline.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "routesim-compare-"));
const read = (dir: string, f: string): string => readFileSync(join(dir, f), "utf8");

/** The flagship scenario, shortened (outage windows moved into the short run). */
function flagship(requests: number, edit?: (o: Record<string, unknown>) => void): unknown {
  const o = structuredClone(rawScenario("scenarios/flagship.yaml")) as Record<string, unknown>;
  const t = o.traffic as Record<string, unknown>;
  delete t.duration_s;
  t.requests = requests;
  const providers = o.providers as { outages?: { start_s: number; duration_s: number }[] }[];
  providers[0].outages = [{ ...providers[0].outages![0], start_s: 10, duration_s: 10 }];
  providers[1].outages = [{ ...providers[1].outages![0], start_s: 25, duration_s: 20 }];
  edit?.(o);
  return o;
}

const src = (input: unknown) => ({
  kind: "object" as const,
  input,
  baseDir: process.cwd(),
  label: "flagship-short",
});

describe("compare", () => {
  it("derives distinct replication seeds deterministically", () => {
    const seeds = [0, 1, 2, 3].map((r) => replicationSeed(7, r));
    expect(new Set(seeds).size).toBe(4);
    expect([0, 1, 2, 3].map((r) => replicationSeed(7, r))).toEqual(seeds);
    expect(replicationSeed(8, 0)).not.toBe(seeds[0]);
  });

  it("a replication that also writes its rows (replication 1 of compare) has the same result", () => {
    const job = { source: src(flagship(800)), replication: 0, seed: replicationSeed(1, 0) };
    const rowsDir = join(tmp(), "rows");
    expect(runReplication({ ...job, rowsDir })).toEqual(runReplication(job));
    for (const f of ["attempts.csv", "requests.csv"]) expect(existsSync(join(rowsDir, f))).toBe(true);
  });

  it("common random numbers: two identical policies under different names differ by exactly zero", async () => {
    const input = flagship(2500, (o) => {
      const p = (o.policies as { name: string }[])[0];
      o.policies = [p, { ...structuredClone(p), name: "twin" }];
    });
    const { summary, data } = await compare({ source: src(input), replications: 3, jobs: 1, outDir: null });
    expect(summary.policies.map((p) => p.name)).toEqual(["default", "twin"]);
    const diff = summary.differences[0];
    expect(diff.policy).toBe("twin");
    let checked = 0;
    for (const h of HEADLINE) {
      const d = diff.metrics[h.key].absolute;
      if (d.mean === null) continue;
      expect([h.key, d.mean, d.lo, d.hi]).toEqual([h.key, 0, 0, 0]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    // Every value of every replication, not only the headline ones.
    const byPolicy = (name: string) =>
      data.rows.filter((r) => r.policy === name).map((r) => [r.replication, r.metric, r.value]);
    expect(byPolicy("twin")).toEqual(byPolicy("default"));
    // The outages in the short run were seen and the default policy routed traffic around them.
    expect(data.outages.length).toBeGreaterThan(0);
  });

  it("running twice and with --jobs 1 vs --jobs 2 gives identical summary.json; report rebuilds byte for byte", async () => {
    const input = flagship(1500);
    const run = async (jobs: number): Promise<string> => {
      const out = join(tmp(), "r");
      await compare({ source: src(input), replications: 3, jobs, outDir: out, baseline: "price-sort" });
      return out;
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    const summary = read(a, "summary.json");
    expect(read(b, "summary.json")).toBe(summary);
    expect(read(c, "summary.json")).toBe(summary);
    for (const f of [
      "replications.csv",
      "timeline.csv",
      "latency_cdf.csv",
      "outages.csv",
      "report.md",
      "report.html",
      "attempts.csv",
      "requests.csv",
    ])
      expect(read(c, f)).toBe(read(a, f));
    const parsed = JSON.parse(summary);
    // The rows are those of replication 1: one per request per policy.
    const rows = read(a, "requests.csv").trim().split("\n").slice(1);
    const perPolicy = parsed.policies.map(
      (p: { name: string }) => rows.filter((r) => r.startsWith(`${p.name},`)).length,
    );
    expect(perPolicy[0]).toBeGreaterThan(0);
    expect(new Set(perPolicy).size).toBe(1);
    expect(rows.length).toBe(perPolicy[0] * parsed.policies.length);
    expect(parsed.schemaVersion).toBe(2);
    expect(parsed.baseline).toBe("price-sort");
    const sr = parsed.policies[0].metrics.successRate;
    expect(Object.keys(sr)).toEqual(["mean", "lo", "hi", "sd", "n"]);
    expect(sr.n).toBe(3);

    const md = read(a, "report.md");
    const html = read(a, "report.html");
    await renderReports(a);
    expect(read(a, "report.md")).toBe(md);
    expect(read(a, "report.html")).toBe(html);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(md).toContain("## Differences vs price-sort");
    // The saved tables read back to the same numbers.
    expect(readCompareData(a).rows.length).toBe(readCompareData(c).rows.length);
  }, 60_000);

  it("rejects an unknown policy or baseline with the flag as the path", async () => {
    const input = flagship(100);
    await expect(
      compare({ source: src(input), replications: 1, jobs: 1, policies: ["nope"] }),
    ).rejects.toThrow(/--policies: no policy named "nope"/);
    await expect(compare({ source: src(input), replications: 1, jobs: 1, baseline: "nope" })).rejects.toThrow(
      /--baseline/,
    );
  });
});
