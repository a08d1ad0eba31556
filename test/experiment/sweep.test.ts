import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  expandGrid,
  parsePath,
  parseSets,
  parseShard,
  pointScenario,
  rawScenario,
  shardPoints,
} from "../../src/experiment/grid.js";
import { inTurns, mergeSweeps, sweep } from "../../src/experiment/sweep.js";
import { readSweepMeta } from "../../src/results/sweep-folder.js";
import { InputError } from "../../src/scenario/errors.js";

const F = "scenarios/flagship.yaml";

describe("sweep grid", () => {
  it("parses paths", () => {
    expect(parsePath("providers[0].price.prompt")).toEqual(["providers", 0, "price", "prompt"]);
    expect(parsePath("traffic.arrivals.rate_per_s")).toEqual(["traffic", "arrivals", "rate_per_s"]);
    for (const bad of ["", ".a", "a.", "a..b", "[0]", "a[x]", "a b"]) expect(parsePath(bad)).toBeNull();
  });

  it("expands the cartesian product, first --set slowest, with typed values", () => {
    const axes = parseSets(F, [
      "providers[0].price.prompt=1,2,4",
      "traffic.arrivals.rate_per_s=50,100",
      "x.flag=true",
    ]);
    const grid = expandGrid(axes);
    expect(grid).toHaveLength(6);
    expect(
      grid.map((g) => [g.values["providers[0].price.prompt"], g.values["traffic.arrivals.rate_per_s"]]),
    ).toEqual([
      [1, 50],
      [1, 100],
      [2, 50],
      [2, 100],
      [4, 50],
      [4, 100],
    ]);
    expect(grid[0].values["x.flag"]).toBe(true);
    expect(grid.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("shards partition the grid: every point exactly once across shards", () => {
    const grid = expandGrid(parseSets(F, ["a=1,2,3,4,5,6,7", "b=1,2,3"]));
    for (const n of [1, 2, 3, 5, 21, 30]) {
      const seen = Array.from({ length: n }, (_v, i) => shardPoints(grid, { index: i + 1, count: n })).flat();
      expect(seen.map((p) => p.index).sort((x, y) => x - y)).toEqual(grid.map((p) => p.index));
    }
    expect(parseShard("2/3")).toEqual({ index: 2, count: 3 });
    for (const bad of ["0/3", "4/3", "1/0", "x", "1-3"]) expect(() => parseShard(bad)).toThrow(InputError);
  });

  it("names the bad path of a grid point (exit 2 in the CLI)", () => {
    const raw = rawScenario(F);
    const at = (set: string) => () => pointScenario(F, raw, expandGrid(parseSets(F, [set]))[0]);
    expect(at("providers[9].price.prompt=1")).toThrow(/providers\[9\]: no such item/);
    expect(at("providers[0].price.promptx=1")).toThrow(/providers\[0\]\.price: unknown key "promptx"/);
    expect(at("traffic.arrivals.rate_per_s=-1")).toThrow(/traffic\.arrivals\.rate_per_s/);
    expect(at("nope.deeper=1")).toThrow(/nope: no such key/);
    expect(() => parseSets(F, ["providers[0].price.prompt"])).toThrow(/expected path=v1,v2/);
    expect(() => parseSets(F, ["a..b=1"])).toThrow(/malformed path/);
    // A good point leaves the original object alone.
    const p = pointScenario(F, raw, expandGrid(parseSets(F, ["providers[0].price.prompt=9"]))[0]) as {
      providers: { price: { prompt: number } }[];
    };
    expect(p.providers[0].price.prompt).toBe(9);
    expect((raw as typeof p).providers[0].price.prompt).toBe(0.05);
  });
});

describe("sweep shards and merge", () => {
  it("two shards merge into the same report as the unsharded sweep", async () => {
    const dir = mkdtempSync(join(tmpdir(), "routesim-sweep-"));
    const raw = rawScenario(F) as Record<string, unknown>;
    const t = raw.traffic as Record<string, unknown>;
    delete t.duration_s;
    t.requests = 300;
    raw.policies = (raw.policies as unknown[]).slice(0, 2);
    const file = join(dir, "small.yaml");
    writeFileSync(file, stringify(raw));
    const sets = ["providers[0].price.prompt=0.05,0.5", "traffic.arrivals.rate_per_s=20,40"];
    const base = { file, sets, replications: 2, jobs: 1 };
    await sweep({ ...base, shard: { index: 1, count: 2 }, outDir: join(dir, "s1") });
    await sweep({ ...base, shard: { index: 2, count: 2 }, outDir: join(dir, "s2") });
    await sweep({ ...base, shard: null, outDir: join(dir, "all") });
    // Two runners: replications and the points' charts are spread over threads, same bytes.
    await sweep({ ...base, jobs: 2, shard: null, outDir: join(dir, "all2") });
    for (const f of ["report.md", "report.html", "points/p0000/report.html", "points/p0003/report.html"])
      expect(readFileSync(join(dir, "all2", f), "utf8")).toBe(readFileSync(join(dir, "all", f), "utf8"));
    // Shards split grid point × replication units (issue 22 item 2): each touches every point.
    expect(readSweepMeta(join(dir, "s1")).units).toEqual([0, 2, 4, 6]);
    expect(readSweepMeta(join(dir, "s2")).units).toEqual([1, 3, 5, 7]);
    expect(readSweepMeta(join(dir, "s1")).points).toEqual([0, 1, 2, 3]);
    const { missing } = await mergeSweeps([join(dir, "s1"), join(dir, "s2")], join(dir, "merged"));
    expect(missing).toEqual([]);
    expect(readdirSync(join(dir, "merged", "points"))).toHaveLength(4);
    // Every file but run.json (wall times, the command) is the unsharded sweep's, byte for byte.
    const files = (d: string): string[] =>
      readdirSync(d, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name !== "run.json")
        .map((e) => join(e.parentPath, e.name).slice(d.length))
        .sort();
    expect(files(join(dir, "merged"))).toEqual(files(join(dir, "all")));
    for (const f of files(join(dir, "all")))
      expect(readFileSync(join(dir, "merged", f), "utf8"), f).toBe(readFileSync(join(dir, "all", f), "utf8"));
    // Merging a shard twice, or a different sweep, is refused.
    await expect(mergeSweeps([join(dir, "s1"), join(dir, "s1")], join(dir, "bad"))).rejects.toThrow(
      /also in/,
    );
    // A missing shard is refused, naming its points (issue 22 item 4), unless partial is allowed.
    // Shard 2 alone holds half of every point's replications: no point is complete.
    await expect(mergeSweeps([join(dir, "s2")], join(dir, "half"))).rejects.toThrow(
      /grid points 0, 1, 2, 3 \(of 4\) are missing or lack replications/,
    );
    expect(existsSync(join(dir, "half"))).toBe(false);
    const partial = await mergeSweeps([join(dir, "s2")], join(dir, "half"), true);
    expect(partial.missing).toEqual([0, 1, 2, 3]);
    const md = readFileSync(join(dir, "half", "report.md"), "utf8").split("\n");
    expect(md[2]).toBe("**Partial sweep: grid points 0, 1, 2, 3 of 4 are missing.**");
  }, 60_000);
});

describe("inTurns (a sweep's point reports, a few at a time)", () => {
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it("runs every task once, never more than the limit at a time", async () => {
    let running = 0;
    let most = 0;
    const ran: number[] = [];
    await inTurns(10, 3, async (i) => {
      running++;
      most = Math.max(most, running);
      await tick();
      ran.push(i);
      running--;
    });
    expect(most).toBe(3);
    expect([...ran].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("after a failure starts nothing new, lets the running tasks settle, then throws the first failure", async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const e = await inTurns(10, 2, async (i) => {
      started.push(i);
      await tick();
      if (i === 1) throw new Error("task 1 failed");
      await tick();
      settled.push(i);
    }).catch((x: unknown) => x);
    expect((e as Error).message).toBe("task 1 failed");
    expect(started).toEqual([0, 1]);
    expect(settled).toEqual([0]);
  });
});
