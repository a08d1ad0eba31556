/**
 * Issue #27, the output half: results folders (items 1, 4, 5, 6), CSV cells (7) and report.md (8).
 * Each test failed before its fix. Child processes run the CLI from source (node --import tsx)
 * where a real second process or a real signal is the point.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { field, parseCsv, unfield } from "../../src/metrics/csv.js";
import { pathSegmentProblem, RESULTS_MARKER, tempPrefix } from "../../src/results/folder.js";
import { loadScenario } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import { runCli } from "../support/cli.js";

const ROOT = resolve(__dirname, "../..");
const base = mkdtempSync(join(tmpdir(), "routesim-hardening-out-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(base, `case-${n++}`);
  mkdirSync(d);
  return d;
};

interface Names {
  name?: string;
  description?: string;
  model?: string;
  provider?: string;
  policy?: string;
  requests?: number;
}

/** A small valid scenario (JSON, so any string can go in) written to `dir`. */
function scenario(dir: string, o: Names = {}): string {
  const model = o.model ?? "acme/m1";
  const s = {
    name: o.name ?? "out-case",
    ...(o.description !== undefined ? { description: o.description } : {}),
    seed: 7,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: 50 },
      requests: o.requests ?? 200,
      prompt_tokens: { dist: "lognormal", median: 500, sigma: 0.5 },
      completion_tokens: { dist: "lognormal", median: 100, sigma: 0.5 },
      model,
    },
    providers: [
      {
        name: o.provider ?? "alpha",
        model,
        price: { prompt: 1, completion: 2 },
        ttft_ms: { dist: "lognormal", median: 300, sigma: 0.4 },
        tokens_per_s: { dist: "normal", mean: 90, cv: 0.1 },
        concurrency: 64,
        error_rate: 0.05,
      },
      {
        name: "beta",
        model,
        price: { prompt: 2, completion: 3 },
        ttft_ms: { dist: "lognormal", median: 200, sigma: 0.4 },
        tokens_per_s: { dist: "normal", mean: 120, cv: 0.1 },
        concurrency: 64,
        error_rate: 0.05,
      },
    ],
    policies: [
      { name: o.policy ?? "default", request: { model } },
      { name: "second", request: { model, provider: { sort: "price" } } },
    ],
  };
  const file = join(dir, "scenario.json");
  writeFileSync(file, JSON.stringify(s, null, 2));
  return file;
}

const noStack = (stderr: string): void => {
  expect(stderr).not.toMatch(/\n\s+at /);
};

/** `routesim <args>` from source in a child process (not awaited). */
function child(args: string[], cwd: string): ChildProcess {
  const code = `import(${JSON.stringify(join(ROOT, "src/cli/main.ts"))}).then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`;
  const tsx = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  return spawn(process.execPath, ["--import", tsx, "-e", code, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
}

function exited(p: ChildProcess): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  let stderr = "";
  p.stderr?.on("data", (c) => {
    stderr += String(c);
  });
  return new Promise((done) => p.on("exit", (code, signal) => done({ code, signal, stderr })));
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const temps = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith(".routesim-tmp-"));

describe("#27 item 1: output paths the OS refuses are clean errors", () => {
  it("--out under a regular file (ENOTDIR) exits 2 naming the folder", async () => {
    const dir = fresh();
    const file = scenario(dir);
    writeFileSync(join(dir, "plain"), "x");
    const r = await runCli(["run", file, "--out", "plain/sub", "-q"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("plain/sub");
    noStack(r.stderr);
  });

  it("a 100,000-character scenario name without --out exits 2 at `name`", async () => {
    const dir = fresh();
    const file = scenario(dir, { name: "n".repeat(100_000) });
    const r = await runCli(["run", file, "-q"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/name/);
    expect(r.stderr.length).toBeLessThan(2000); // the name is not echoed whole
    noStack(r.stderr);
  });

  it("an --out path whose last segment is too long exits 2 naming it", async () => {
    const dir = fresh();
    const file = scenario(dir);
    const r = await runCli(["run", file, "--out", "x".repeat(300), "-q"], dir);
    expect(r.code).toBe(2);
    noStack(r.stderr);
  });
});

describe("#27 item 4: two writers of one results folder", () => {
  it("a second run while the first is writing exits non-zero naming the folder; the first's results stay", async () => {
    const dir = fresh();
    const file = scenario(dir, { requests: 2_000_000 });
    const a = child(["run", file, "--out", "results/x", "-q", "--summary-only"], dir);
    const aDone = exited(a);
    try {
      await until(
        "the first run's temp folder",
        () => existsSync(join(dir, "results")) && temps(join(dir, "results")).length > 0,
      );
      // Hold the first run still so the second certainly overlaps it.
      a.kill("SIGSTOP");
      const b = await runCli([
        "run",
        scenario(fresh()),
        "--out",
        join(dir, "results/x"),
        "-q",
        "--requests",
        "50",
      ]);
      expect(b.code).not.toBe(0);
      expect(b.stderr).toContain("results/x");
      noStack(b.stderr);
    } finally {
      a.kill("SIGCONT");
    }
    const ra = await aDone;
    expect(ra.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "results/x/summary.json"), "utf8"));
    expect(summary.requests).toBe(2_000_000);
  }, 60_000);

  it("a folder that appears while a run writes is never replaced by that run", () => {
    const dir = fresh();
    const out = join(dir, "late");
    const loaded = loadScenario(scenario(dir));
    let made = false;
    expect(() =>
      simulate(loaded, {
        outDir: out,
        observe: () => {
          if (!made) {
            made = true;
            mkdirSync(out);
            writeFileSync(join(out, "precious.txt"), "keep me");
          }
          return { attempt: () => {}, outcome: () => {} };
        },
      }),
    ).toThrow(/late/);
    expect(readFileSync(join(out, "precious.txt"), "utf8")).toBe("keep me");
    expect(temps(dir)).toEqual([]);
  });
});

describe("#27 item 5: names that become paths, and what --force may replace", () => {
  for (const [label, name] of [
    ["dot", "."],
    ["dot-dot", ".."],
    ["a slash", "a/b"],
    ["a backslash", "a\\b"],
    ["NUL", "a\u0000b"],
    ["a newline", "a\nb"],
    ["300 characters", "x".repeat(300)],
    ["the temp prefix", ".routesim-tmp-1-x"],
  ] as const) {
    it(`scenario name with ${label} is an InputError at \`name\` when it names the folder`, async () => {
      const dir = fresh();
      mkdirSync(join(dir, "results/sibling"), { recursive: true });
      writeFileSync(join(dir, "results/sibling/keep.txt"), "x");
      const file = scenario(dir, { name });
      for (const args of [
        ["run", file, "-q"],
        ["run", file, "-q", "--force"],
        ["compare", file, "-q", "-r", "2", "-j", "1"],
      ]) {
        const r = await runCli(args, dir);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/\bname\b/);
        noStack(r.stderr);
      }
      expect(readdirSync(join(dir, "results"))).toEqual(["sibling"]);
      expect(existsSync(join(dir, "results/sibling/keep.txt"))).toBe(true);
    });
  }

  it("policy names are checked when they become a path segment", () => {
    expect(pathSegmentProblem("default")).toBeNull();
    expect(pathSegmentProblem("openrouter:v1 (price)")).toBeNull();
    for (const bad of [".", "..", "", "a/b", "a\u0000b", "é".repeat(150)])
      expect(pathSegmentProblem(bad)).not.toBeNull();
  });

  it("--force refuses a folder without the marker, says why and how to remove it, and leaves it alone", async () => {
    const dir = fresh();
    const file = scenario(dir);
    mkdirSync(join(dir, "old"));
    // What an older routesim left: results files, no marker.
    writeFileSync(join(dir, "old/summary.json"), "{}");
    writeFileSync(join(dir, "old/notes.txt"), "mine");
    const r = await runCli(["run", file, "--out", "old", "--force", "-q"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(RESULTS_MARKER);
    expect(r.stderr).toMatch(/rm -r/);
    expect(readFileSync(join(dir, "old/notes.txt"), "utf8")).toBe("mine");
  });

  it("every results folder carries the marker, and --force replaces a marked one", async () => {
    const dir = fresh();
    const file = scenario(dir);
    for (const args of [
      ["run", file, "--out", "r", "-q"],
      ["compare", file, "--out", "c", "-q", "-r", "2", "-j", "1"],
      ["sweep", file, "--out", "s", "-q", "-r", "2", "-j", "1", "--set", "traffic.requests=50,60"],
    ]) {
      const r = await runCli(args, dir);
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(dir, args[3], RESULTS_MARKER))).toBe(true);
      const again = await runCli([...args, "--force"], dir);
      expect(again.code, again.stderr).toBe(0);
    }
    const m = await runCli(["merge", "s", "--out", "m", "-q"], dir);
    expect(m.code, m.stderr).toBe(0);
    expect(existsSync(join(dir, "m", RESULTS_MARKER))).toBe(true);
  }, 60_000);
});

describe("#27 item 6: temp folders of interrupted runs", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} during a run leaves no temp folder`, async () => {
      const dir = fresh();
      const file = scenario(dir, { requests: 2_000_000 });
      const p = child(["run", file, "--out", "results/x", "-q"], dir);
      const done = exited(p);
      try {
        await until(
          "the temp folder",
          () => existsSync(join(dir, "results")) && temps(join(dir, "results")).length > 0,
        );
        p.kill(signal);
      } finally {
        // Bounded: never leave the child running past a failed wait.
        setTimeout(() => p.exitCode === null && p.signalCode === null && p.kill("SIGKILL"), 5000).unref();
      }
      const r = await done;
      expect(r.code).not.toBe(0);
      await until("the temp folder to go", () => temps(join(dir, "results")).length === 0, 10_000);
      expect(existsSync(join(dir, "results/x"))).toBe(false);
    }, 60_000);
  }

  it("the next run removes temp folders of dead processes (kill -9), and no others", async () => {
    const dir = fresh();
    const file = scenario(dir);
    mkdirSync(join(dir, "results"));
    const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
    const stale = join(dir, "results", `${tempPrefix(dead)}0-x`);
    mkdirSync(stale);
    writeFileSync(join(stale, "attempts.csv"), "big");
    // Ours (alive) and another host's: not ours to remove.
    const live = join(dir, "results", `${tempPrefix(process.pid)}999-y`);
    const foreign = join(dir, "results", `.routesim-tmp-${dead}-00000000-0-z`);
    mkdirSync(live);
    mkdirSync(foreign);
    const r = await runCli(["run", file, "--out", "results/x", "-q"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
  });
});

describe("#27 item 7: CSV cells", () => {
  // csv-stringify's escape_formulas: a leading = + - @ tab CR (and their fullwidth forms) gets a '.
  const TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "\uFF1D", "\uFF0B", "\uFF0D", "\uFF20"];

  it("neutralises formula triggers like csv-stringify's escape_formulas, keeps numbers numeric", () => {
    for (const t of TRIGGERS) {
      const raw = `${t}cmd|' /C calc'!A0`;
      const cell = field(raw);
      const parsed = parseCsv(cell);
      expect("records" in parsed && parsed.records[0][0]).toBe(`'${raw}`);
    }
    expect(field("=1+2")).toBe("'=1+2");
    expect(field(-5)).toBe("-5");
    expect(field(-0.25)).toBe("-0.25");
    expect(field("acme/m1")).toBe("acme/m1");
    expect(field("")).toBe("");
  });

  it("every string round-trips through field → parseCsv → unfield", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom(...TRIGGERS, "'", "''", "\n", '"')), { maxLength: 5 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 4 }),
        (heads, tail) => {
          const row = [heads.join(""), ...tail];
          const p = parseCsv(`${row.map(field).join(",")}\n`);
          expect("records" in p).toBe(true);
          if ("records" in p) expect(p.records[0].map(unfield)).toEqual(row);
        },
      ),
      { seed: 27, numRuns: 500 },
    );
  });

  it("a run writes guarded cells, and compare / report / validate read their own files back", async () => {
    const dir = fresh();
    const model = "=cmd|' /C calc'!A0\nx";
    const file = scenario(dir, { model, provider: "-alpha", policy: "-p" });
    const r = await runCli(["run", file, "--out", "r", "-q"], dir);
    expect(r.code, r.stderr).toBe(0);
    const attempts = readFileSync(join(dir, "r/attempts.csv"), "utf8");
    expect(attempts).toContain(`"'=cmd|' /C calc'!A0\nx"`);
    expect(attempts).toMatch(/^'-p,/m);
    expect(attempts).not.toMatch(/(^|,)[=+\-@](?![\d.])/m);
    const { readRequests, readAttempts } = await import("../../src/live/validate.js");
    const reqs = readRequests(join(dir, "r"), "-p");
    expect(reqs.length).toBe(200);
    expect(new Set(reqs.map((x) => x.provider))).toContain("-alpha");
    expect(readAttempts(join(dir, "r"), "-p").length).toBeGreaterThanOrEqual(200);
    const c = await runCli(["compare", file, "--out", "c", "-q", "-r", "2", "-j", "1"], dir);
    expect(c.code, c.stderr).toBe(0);
    const rep = await runCli(["report", "c"], dir);
    expect(rep.code, rep.stderr).toBe(0);
    const { readCompareData } = await import("../../src/results/compare-folder.js");
    const data = readCompareData(join(dir, "c"));
    expect(new Set(data.rows.map((x) => x.policy))).toEqual(new Set(["-p", "second"]));
  }, 60_000);
});

describe("#27 item 8: report.md escapes scenario strings", () => {
  const evil = "<img src=x onerror=alert(1)> *bold* |pipe| [link](javascript:x) `code`";

  it("run, compare and sweep report.md carry no raw HTML and no stray table cells", async () => {
    const dir = fresh();
    // Scenario names are slugs (they name folders); descriptions and model ids are free text.
    const file = scenario(dir, { description: evil, model: "m|<b>*x*[l](j)" });
    for (const args of [
      ["run", file, "--out", "r", "-q"],
      ["compare", file, "--out", "c", "-q", "-r", "2", "-j", "1"],
      ["sweep", file, "--out", "s", "-q", "-r", "2", "-j", "1", "--set", "traffic.requests=50,60"],
    ]) {
      const r = await runCli(args, dir);
      expect(r.code, r.stderr).toBe(0);
      const md = readFileSync(join(dir, args[3], "report.md"), "utf8");
      // Every < and ](…) of the scenario's strings is backslash-escaped.
      expect(md).not.toMatch(/(?<!\\)<(img|b)/);
      expect(md).not.toMatch(/(?<!\\)\]\(javascript:/);
      // Table rows keep their column count: an escaped | is not a cell separator.
      for (const table of md.split(/\n\n/).filter((b) => b.startsWith("|"))) {
        const cells = table
          .split("\n")
          .filter((l) => l !== "")
          .map((l) => l.split(/(?<!\\)\|/).length);
        expect(new Set(cells).size, table).toBe(1);
      }
    }
    // report.html escaped already; it must not be escaped twice.
    const html = readFileSync(join(dir, "c/report.html"), "utf8");
    expect(html).not.toContain("&amp;lt;");
    expect(html).not.toContain("\\|");
  }, 60_000);
});
