/**
 * Issue 25 item 10: console tables line up. `run` and `compare` padded policy names to 24
 * characters, so a longer name pushed the rest of its line out of the columns.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { consoleTable } from "../../src/cli/console-table.js";
import { runCli } from "../support/cli.js";

const LONG = "round-robin-across-every-endpoint-we-have";
const dir = mkdtempSync(join(tmpdir(), "routesim-console-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const provider = (name: string, price: number) => ({
  name,
  model: "m",
  price: { prompt: price, completion: price },
  ttft_ms: 100,
  tokens_per_s: 200,
});
const file = join(dir, "s.json");
writeFileSync(
  file,
  JSON.stringify({
    name: "console",
    seed: 1,
    traffic: { arrivals: { process: "uniform", rate_per_s: 20 }, requests: 100, model: "m" },
    providers: [provider("alpha", 0.5), provider("beta", 2)],
    policies: [
      { name: "rr", kind: "round_robin" },
      { name: LONG, kind: "round_robin" },
    ],
  }),
);

/** Where each of `words` starts on each policy line: the same on every line when columns line up. */
function columns(stdout: string, words: string[]): number[][] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("rr ") || l.startsWith(LONG))
    .map((l) => words.map((w) => l.indexOf(w)));
}

describe("console tables", () => {
  it("pads every column to its widest cell, numbers to the right", () => {
    const out = consoleTable(
      [
        ["a", "1.5", "x"],
        ["longer name", "10.25", "yy"],
      ],
      ["left", "right", "left"],
    );
    expect(out).toBe("a              1.5  x\nlonger name  10.25  yy\n");
  });

  it("counts characters, not UTF-16 units, and leaves no trailing spaces", () => {
    const out = consoleTable(
      [
        ["𝛼β", "1"],
        ["abc", ""],
      ],
      ["left", "right"],
    );
    expect(out).toBe("𝛼β   1\nabc\n");
  });

  it("run's per-policy lines line up with a name longer than 24 characters", async () => {
    const r = await runCli(["run", file, "--out", join(dir, "run"), "--force"]);
    expect(r.code).toBe(0);
    const cols = columns(r.stdout, ["success", "cost", "p50", "p99"]);
    expect(cols).toHaveLength(2);
    expect(cols[0][0]).toBeGreaterThan(LONG.length);
    expect(cols[1]).toEqual(cols[0]);
  });

  it("compare's per-policy lines line up, means and half-widths in their own columns", async () => {
    const r = await runCli(["compare", file, "-r", "2", "-j", "1", "--out", join(dir, "cmp"), "--force"]);
    expect(r.code).toBe(0);
    const cols = columns(r.stdout, ["success", "cost/success", "p99"]);
    expect(cols).toHaveLength(2);
    expect(cols[0][0]).toBeGreaterThan(LONG.length);
    expect(cols[1]).toEqual(cols[0]);
    // Each "±" at the same place on both lines, after right-aligned means.
    const pm = r.stdout
      .split("\n")
      .filter((l) => l.includes("±"))
      .map((l) => [...l.matchAll(/±/g)].map((m) => m.index));
    expect(pm[1]).toEqual(pm[0]);
  });
});
