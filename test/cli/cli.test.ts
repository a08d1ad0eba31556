/**
 * The command line as users run it: the compiled and bundled package (built here into a private
 * folder by scripts/build.mjs, so the test never depends on a stale dist/), started through
 * bin/routesim.js with plain node.
 */
import { execFile, spawnSync } from "node:child_process";
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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackage } from "../support/build.js";
import { runCli } from "../support/cli.js";

const ROOT = resolve(import.meta.dirname, "../..");
// Inside node_modules so the build resolves the repository's dependencies.
const PKG = join(ROOT, "node_modules", ".cache", `routesim-cli-test-${process.pid}`);
const BIN = join(PKG, "bin", "routesim.js");
let cwd: string;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/routesim.js ...args` in `dir` (default: the shared working folder). */
function cli(args: string[], dir = cwd): Promise<CliResult> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? null) : 0;
      done({ code: typeof code === "number" ? code : null, stdout, stderr });
    });
  });
}

const SCENARIO = `# a tiny scenario for CLI tests
name: tiny
seed: 3
traffic:
  arrivals: { process: poisson, rate_per_s: 20 }
  requests: 200
  model: m
providers:
  - name: a
    model: m
    price: { prompt: 1, completion: 1 }
    ttft_ms: 100
    concurrency: 50
  - name: b
    model: m
    price: { prompt: 2, completion: 2 }
    concurrency: 50
policies:
  - name: default
  - name: sorted
    request: { provider: { sort: price } }
`;

function write(name: string, text: string, dir = cwd): string {
  writeFileSync(join(dir, name), text);
  return name;
}

/** Leftovers in the working folder besides the inputs: results or temp folders. */
function outputs(dir = cwd): string[] {
  const all = readdirSync(dir).filter((f) => !f.endsWith(".yaml") && !f.endsWith(".json"));
  const inResults = existsSync(join(dir, "results")) ? readdirSync(join(dir, "results")) : [];
  return [...all.filter((f) => f !== "results"), ...inResults.map((f) => `results/${f}`)];
}

beforeAll(() => {
  buildPackage(PKG);
}, 60_000);

afterAll(() => {
  rmSync(PKG, { recursive: true, force: true });
});

describe("routesim CLI", () => {
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), "routesim-cli-"));
  });

  it("the build's bundles load with their V8 code caches, which V8 accepts", () => {
    // In a plain node process: a cache is tied to V8's flags, and vitest's process may have others.
    const probe = `
      import { loadCachedBundle } from ${JSON.stringify(join(PKG, "dist", "cached-bundle.js"))};
      const rejected = ["routesim.cjs", "vega.cjs"].map(
        (f) => loadCachedBundle(${JSON.stringify(join(PKG, "dist"))} + "/" + f).script.cachedDataRejected,
      );
      console.log(JSON.stringify(rejected));`;
    for (const f of ["routesim.cache", "vega.cache", "vega-warmup.json"])
      expect(existsSync(join(PKG, "dist", f)), f).toBe(true);
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([false, false]);
  });

  it("--version prints the package version; --help works on the program and on run", async () => {
    const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
    expect(await cli(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: routesim/);
    expect(help.stdout).toMatch(/\brun\b/);
    const runHelp = await inProcess(["run", "--help"], cwd);
    expect(runHelp.code).toBe(0);
    for (const flag of ["--out", "--seed", "--requests", "--quiet", "--force"])
      expect(runHelp.stdout).toContain(flag);
    expect((await inProcess(["help", "run"], cwd)).stdout).toBe(runHelp.stdout);
  });

  it("every command answers --help with exit 0 (in-process)", async () => {
    const help = (await inProcess(["--help"], cwd)).stdout;
    const names = [...help.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]);
    expect(names).toContain("run");
    for (const name of names.filter((n) => n !== "help")) {
      const r = await inProcess([name, "--help"], cwd);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`Usage: routesim ${name}`));
    }
  });

  it("run and compare print the warnings of the report on stderr too", async () => {
    const scenario = resolve(ROOT, "scenarios/gateways/portkey-no-timeout.yaml");
    const own = mkdtempSync(join(tmpdir(), "routesim-warn-")); // apart from the folders others count
    const run = await inProcess(["run", scenario, "--out", join(own, "warned"), "--force"], own);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: no-timeout: Portkey request_timeout is not set/m);
    const cmp = await inProcess(
      ["compare", scenario, "-r", "2", "--jobs", "1", "--out", join(own, "warned-c"), "--force", "--quiet"],
      own,
    );
    expect(cmp.code).toBe(0);
    expect(cmp.stderr).toMatch(/^warning: no-timeout: Portkey request_timeout is not set/m);
  });

  it("run writes results/<name>/ with all five files and a one-line summary per policy", async () => {
    const f = write("tiny.yaml", SCENARIO);
    const r = await cli(["run", f]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^default\s+success/m);
    expect(r.stdout).toMatch(/^sorted\s+success/m);
    expect(r.stdout).toMatch(/wrote results\/tiny\//);
    expect(readdirSync(join(cwd, "results", "tiny")).sort()).toEqual(
      [".routesim-results", "attempts.csv", "report.md", "requests.csv", "run.json", "summary.json"].sort(),
    );
    const run = JSON.parse(readFileSync(join(cwd, "results", "tiny", "run.json"), "utf8"));
    expect(run).toMatchObject({ seed: 3, scenario: "tiny", nodeVersion: process.version });
    expect(run.scenarioHash).toMatch(/^[0-9a-f]{64}$/);
    expect(run.wallTimeMs).toBeGreaterThan(0);
  });

  it("refuses to overwrite an existing results folder without --force, then replaces it with --force (in-process)", async () => {
    const f = write("tiny.yaml", SCENARIO);
    await inProcess(["run", f, "-q", "--force"], cwd);
    const before = readFileSync(join(cwd, "results", "tiny", "summary.json"), "utf8");
    const r = await inProcess(["run", f, "--seed", "4"], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(join(cwd, "results", "tiny", "summary.json"), "utf8")).toBe(before);
    expect((await inProcess(["run", f, "--seed", "4", "--force", "-q"], cwd)).code).toBe(0);
    const after = JSON.parse(readFileSync(join(cwd, "results", "tiny", "summary.json"), "utf8"));
    expect(after.seed).toBe(4);
    expect(outputs()).toEqual(["results/tiny"]); // no temp folder left behind
  });

  it("--force replaces only results folders, never a source folder or a file (in-process)", async () => {
    const f = write("tiny.yaml", SCENARIO);
    mkdirSync(join(cwd, "src"), { recursive: true });
    writeFileSync(join(cwd, "src", "keep.ts"), "precious");
    writeFileSync(join(cwd, "notes.txt"), "precious");
    for (const out of [".", "src", "notes.txt"]) {
      const r = await inProcess(["run", f, "-q", "--force", "--out", out], cwd);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /is not a routesim results folder \(it has no \.routesim-results marker\), so --force will not replace it/,
      );
    }
    expect(readFileSync(join(cwd, "src", "keep.ts"), "utf8")).toBe("precious");
    expect(readFileSync(join(cwd, "notes.txt"), "utf8")).toBe("precious");
    mkdirSync(join(cwd, "empty"));
    expect((await inProcess(["run", f, "-q", "--force", "--out", "empty"], cwd)).code).toBe(0);
    rmSync(join(cwd, "empty"), { recursive: true });
    rmSync(join(cwd, "src"), { recursive: true });
    rmSync(join(cwd, "notes.txt"));
  });

  it("--quiet prints nothing on stdout; --out, --seed and --requests are honoured", async () => {
    const f = write("tiny.yaml", SCENARIO);
    const r = await cli(["run", f, "--quiet", "--out", "custom", "--seed", "9", "--requests", "50"]);
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const summary = JSON.parse(readFileSync(join(cwd, "custom", "summary.json"), "utf8"));
    expect(summary).toMatchObject({ seed: 9, requests: 50 });
    rmSync(join(cwd, "custom"), { recursive: true });
  });

  it("compare through the launcher: --jobs 2 (a worker started before the CLI loads) writes what --jobs 1 writes; bad input still exits 2", async () => {
    const f = write("tiny.yaml", SCENARIO);
    const common = ["compare", f, "--replications", "3", "--requests", "300", "-q"];
    expect(await cli([...common, "--jobs", "1", "--out", "j1"])).toMatchObject({ code: 0, stderr: "" });
    expect(await cli([...common, "--jobs=2", "--out", "j2"])).toMatchObject({ code: 0, stderr: "" });
    for (const file of [
      "summary.json",
      "replications.csv",
      "timeline.csv",
      "attempts.csv",
      "report.md",
      "report.html",
    ])
      expect(readFileSync(join(cwd, "j2", file), "utf8"), file).toBe(
        readFileSync(join(cwd, "j1", file), "utf8"),
      );
    // The launcher's charts come from the bundled vega with its code cache (dist/vega.cjs and
    // vega.cache); in-process ones from node_modules. Same SVG.
    expect(existsSync(join(PKG, "dist", "vega.cache"))).toBe(true);
    await inProcess([...common, "--jobs", "1", "--out", "here"], cwd);
    expect(readFileSync(join(cwd, "here", "report.html"), "utf8")).toBe(
      readFileSync(join(cwd, "j1", "report.html"), "utf8"),
    );
    const bad = write("bad.yaml", "name: bad\n");
    const r = await cli(["compare", bad, "-j", "2", "-q", "--out", "bad"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml/);
    expect(existsSync(join(cwd, "bad"))).toBe(false);
    for (const d of ["j1", "j2", "here"]) rmSync(join(cwd, d), { recursive: true });
  }, 60_000);

  it("the same seed gives byte-identical files from the command line (in-process)", async () => {
    const f = write("tiny.yaml", SCENARIO);
    await inProcess(["run", f, "-q", "--out", "one"], cwd);
    await inProcess(["run", f, "-q", "--out", "two"], cwd);
    for (const file of ["attempts.csv", "requests.csv", "summary.json", "report.md"])
      expect(readFileSync(join(cwd, "two", file), "utf8")).toBe(readFileSync(join(cwd, "one", file), "utf8"));
    rmSync(join(cwd, "one"), { recursive: true });
    rmSync(join(cwd, "two"), { recursive: true });
  });
});

const inProcess = (args: string[], dir: string): Promise<CliResult> => runCli(args, dir);

describe("routesim CLI: bad input → one clear error, exit 2, no stack trace, no output", () => {
  const P = "    price: { prompt: 1, completion: 1 }\n    ttft_ms: 100";
  const cases: { name: string; text?: string; args?: string[]; expect: RegExp }[] = [
    {
      name: "malformed YAML",
      text: SCENARIO.replace("requests: 200", "requests: [200"),
      expect: /line \d+, column \d+: malformed YAML/,
    },
    {
      name: "duplicate YAML key",
      text: SCENARIO.replace("seed: 3", "seed: 3\nseed: 4"),
      expect: /line 4, column 1: malformed YAML\/JSON: Map keys must be unique/,
    },
    {
      name: "unknown key",
      text: SCENARIO.replace("requests: 200", "requests: 200\n  reqests: 5"),
      expect:
        /: traffic: unknown key "reqests" \(did you mean "requests"\?\); expected one of arrivals, requests, duration_s, /,
    },
    {
      name: "wrong type",
      text: SCENARIO.replace("prompt: 1,", 'prompt: "cheap",'),
      expect: /: providers\[0\]\.price\.prompt: expected number, got string "cheap"$/,
    },
    {
      name: "negative rate",
      text: SCENARIO.replace("rate_per_s: 20", "rate_per_s: -5"),
      expect: /: traffic\.arrivals\.rate_per_s: expected > 0, got number -5$/,
    },
    {
      name: "missing required key",
      text: SCENARIO.replace("    price: { prompt: 2, completion: 2 }\n", ""),
      expect: /: providers\[1\]\.price: expected object \(missing\)$/,
    },
    {
      name: "unknown distribution",
      text: SCENARIO.replace("ttft_ms: 100", "ttft_ms: { dist: weibull, mean: 3 }"),
      expect:
        /: providers\[0\]\.ttft_ms\.dist: expected one of "constant", .*"empirical", got string "weibull"$/,
    },
    {
      name: "incomplete distribution",
      text: SCENARIO.replace("ttft_ms: 100", "ttft_ms: { dist: lognormal, median: 3 }"),
      expect: /: providers\[0\]\.ttft_ms: expected either \{median, sigma\} or \{mean, cv\}$/,
    },
    {
      name: "unknown policy kind",
      text: SCENARIO.replace("  - name: sorted", "  - name: sorted\n    kind: magic"),
      expect: /: policies\[1\]\.kind: unknown policy kind "magic"; expected one of .*openrouter/,
    },
    {
      name: "unknown model variant",
      text: SCENARIO.replace("request: { provider", 'request: { model: "m:turbo", provider'),
      expect: /: policies\[1\]\.request\.model: unknown model variant ":turbo"/,
    },
    {
      name: "duplicate provider",
      text: SCENARIO.replace("  - name: b", "  - name: a"),
      expect: /: providers\[1\]\.name: duplicate endpoint "a"/,
    },
    {
      name: "duplicate policy",
      text: SCENARIO.replace("name: sorted", "name: default"),
      expect: /: policies\[1\]\.name: duplicate policy "default"$/,
    },
    {
      name: "bad status",
      text: SCENARIO.replace(P, `${P}\n    outages: [{ start_s: 1, duration_s: 1, status: nope }]`),
      expect:
        /: providers\[0\]\.outages\[0\]\.status: expected number or one of "timeout", "empty", got string "nope"$/,
    },
    { name: "top-level list", text: "- a\n- b\n", expect: /: expected a mapping at the top level/ },
    {
      name: "missing file",
      args: ["run", "nothere.yaml"],
      expect: /^routesim: error: nothere\.yaml: file not found$/,
    },
    {
      name: "--seed abc",
      args: ["run", "ok.yaml", "--seed", "abc"],
      expect: /--seed expects a non-negative integer, got "abc"/,
    },
    { name: "--requests -1", args: ["run", "ok.yaml", "--requests", "-1"], expect: /--requests/ },
    {
      name: "--requests 0",
      args: ["run", "ok.yaml", "--requests", "0"],
      expect: /--requests expects a positive integer/,
    },
    {
      name: "--policies unknown",
      args: ["run", "ok.yaml", "--policies", "nope"],
      expect: /: policies: no policy named "nope"$/,
    },
    { name: "unknown flag", args: ["run", "ok.yaml", "--bogus"], expect: /unknown option '--bogus'/ },
    { name: "missing argument", args: ["run"], expect: /missing required argument 'scenario'/ },
    { name: "unknown command", args: ["frobnicate"], expect: /unknown command 'frobnicate'/ },
  ];

  async function check(c: (typeof cases)[number], run: (args: string[], dir: string) => Promise<CliResult>) {
    const dir = mkdtempSync(join(tmpdir(), "routesim-cli-bad-"));
    write("ok.yaml", SCENARIO, dir);
    const args = c.args ?? ["run", write("bad.yaml", c.text ?? "", dir)];
    const r = await run(args, dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd()).toMatch(c.expect);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
    if (c.text !== undefined) {
      expect(r.stderr.startsWith("routesim: error: bad.yaml: ")).toBe(true);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1); // one clear error
    }
    expect(outputs(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  }

  for (const c of cases) it(c.name, () => check(c, inProcess));

  // The same through the real launcher: exit status 2 from bin/routesim.js, nothing on stdout.
  for (const name of ["malformed YAML", "--seed abc"])
    it(`${name} (bin/routesim.js)`, () => check(cases.find((c) => c.name === name)!, cli));
});
