/**
 * `sweep --shard auto` and `merge --status` from the command line (issue 22 items 1, 4, 7): a
 * Slurm array task's environment picks the shard, its point folders record where the shard came
 * from, and merge tells done from missing points.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "routesim-shard-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODEL = "meta-llama/llama-3.3-70b-instruct";
const file = join(dir, "s.json");
writeFileSync(
  file,
  JSON.stringify({
    name: "shard-cli",
    seed: 2,
    traffic: { arrivals: { process: "poisson", rate_per_s: 20 }, requests: 200, model: MODEL },
    providers: [
      { name: "a", model: MODEL, price: { prompt: 0.5, completion: 0.5 }, ttft_ms: 200, tokens_per_s: 80 },
      { name: "b", model: MODEL, price: { prompt: 0.3, completion: 0.3 }, ttft_ms: 300, tokens_per_s: 60 },
    ],
    policies: [{ name: "or", request: { model: MODEL } }],
  }),
);

async function task(id: number, out: string) {
  const saved = { ...process.env };
  Object.assign(process.env, {
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: "1",
    SLURM_ARRAY_TASK_COUNT: "2",
  });
  try {
    return await runCli([
      "sweep",
      file,
      "--set",
      "providers[0].price.prompt=0.1,0.2,0.4",
      "-r",
      "2",
      "-j",
      "1",
      "--shard",
      "auto",
      "--out",
      out,
      "-q",
    ]);
  } finally {
    for (const k of ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT"])
      delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe("sweep --shard auto in a Slurm array task", () => {
  it("runs the task's points, records the engine, and merge --status tells what is missing", async () => {
    const s1 = join(dir, "shard-1");
    const s2 = join(dir, "shard-2");
    expect((await task(1, s1)).code).toBe(0);
    const meta = JSON.parse(readFileSync(join(s1, "sweep.json"), "utf8"));
    expect(meta.shard).toEqual({ index: 1, count: 2 });
    // 3 points × 2 replications = 6 units; task 1 of 2 runs units 0, 2, 4 (replication 0 of each).
    expect(meta.units).toEqual([0, 2, 4]);
    expect(meta.shardFrom).toEqual({
      engine: "slurm",
      vars: { SLURM_ARRAY_TASK_ID: "1", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "2" },
    });
    const partial = await runCli(["merge", s1, join(dir, "not-yet"), "--status"]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toContain("not-yet: no sweep.json (failed, or still running)");
    expect(partial.stdout).toContain("0 of 3 grid points done; 3 of 6 units; missing 0, 1, 2");
    expect((await task(2, s2)).code).toBe(0);
    const done = await runCli(["merge", s1, s2, "--status"]);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("3 of 3 grid points done; 6 of 6 units");
    const missing = await runCli(["merge", s1, "--out", join(dir, "m")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/grid points 0, 1, 2 \(of 3\) are missing or lack replications/);
    // The merge of the two tasks is the unsharded sweep (every file but run.json).
    const merged = join(dir, "merged");
    expect((await runCli(["merge", s1, s2, "--out", merged, "-q"])).code).toBe(0);
    const whole = join(dir, "whole");
    expect(
      (
        await runCli([
          "sweep",
          file,
          "--set",
          "providers[0].price.prompt=0.1,0.2,0.4",
          "-r",
          "2",
          "-j",
          "1",
          "--out",
          whole,
          "-q",
        ])
      ).code,
    ).toBe(0);
    for (const f of [
      "sweep.json",
      "report.md",
      "points/p0001/compare.json",
      "points/p0002/replications.csv",
      "points/p0000/summary.json",
    ])
      expect(readFileSync(join(merged, f), "utf8"), f).toBe(readFileSync(join(whole, f), "utf8"));
  }, 60_000);

  it("without an engine's variables, --shard auto exits 2 naming what it looked for", async () => {
    const r = await runCli([
      "sweep",
      file,
      "--set",
      "providers[0].price.prompt=0.1,0.2",
      "--shard",
      "auto",
      "--out",
      join(dir, "x"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/looked for SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX/);
  });
});

describe("compare --shard (issue 22 item 3)", () => {
  it("three shards of the replications merge into the unsharded comparison, byte for byte", async () => {
    const shards = [1, 2, 3].map((i) => join(dir, `cmp-shard-${i}`));
    for (const [i, out] of shards.entries())
      expect(
        (await runCli(["compare", file, "-r", "5", "-j", "1", "--shard", `${i + 1}/3`, "--out", out, "-q"]))
          .code,
      ).toBe(0);
    const head = JSON.parse(readFileSync(join(shards[1], "compare-shard.json"), "utf8"));
    expect(head.replications).toEqual([1, 4]);
    const status = await runCli(["merge", shards[0], shards[2], "--status"]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain("3 of 5 replications done; missing 1, 4");
    const missing = await runCli(["merge", shards[0], shards[2], "--out", join(dir, "cmp-bad")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("replications 1, 4 (of 5) are in none of the folders");
    const merged = join(dir, "cmp-merged");
    expect((await runCli(["merge", ...shards, "--out", merged, "-q"])).code).toBe(0);
    const whole = join(dir, "cmp-whole");
    expect((await runCli(["compare", file, "-r", "5", "-j", "1", "--out", whole, "-q"])).code).toBe(0);
    for (const f of [
      "compare.json",
      "replications.csv",
      "timeline.csv",
      "latency_cdf.csv",
      "summary.json",
      "report.md",
      "report.html",
      "attempts.csv",
      "requests.csv",
    ])
      expect(readFileSync(join(merged, f), "utf8"), f).toBe(readFileSync(join(whole, f), "utf8"));
  }, 60_000);
});
