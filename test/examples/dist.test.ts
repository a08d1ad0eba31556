/**
 * The built package as an installed user meets it (issue 25, item 9): README's "Library API"
 * recipes run against dist/ imported as "routesim", a factory returning a plain `Policy` (which
 * used to crash with a TypeError in dist), and `--policy-module` through bin/routesim.js, whose CLI
 * and worker threads run as scripts (src/cached-bundle.ts). Built here into a private folder (about
 * 15 s), so the test never depends on a stale dist/.
 */
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { transformSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPackage } from "../support/build.js";

const ROOT = resolve(import.meta.dirname, "../..");
// Inside node_modules, so the build and the user's project resolve the repository's dependencies.
const CACHE = join(ROOT, "node_modules", ".cache");
const PKG = join(CACHE, `routesim-dist-test-${process.pid}`);
/** A user's project: node_modules/routesim links to the package, as `npm install <folder>` does. */
const USER = join(CACHE, `routesim-dist-user-${process.pid}`);
const BIN = join(PKG, "bin", "routesim.js");
const SCENARIO = join(ROOT, "examples/own-policy/scenario.yaml");

function node(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, args, {
    cwd: USER,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The ```ts blocks of README's "Library API" section (up to the next `## ` heading). */
function readmeRecipes(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Library API\n");
  const end = readme.indexOf("\n## ", start + 1);
  return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

beforeAll(() => {
  rmSync(USER, { recursive: true, force: true });
  buildPackage(PKG);
  symlinkSync(join(ROOT, "scenarios"), join(PKG, "scenarios"));
  mkdirSync(join(USER, "node_modules"), { recursive: true });
  symlinkSync(PKG, join(USER, "node_modules", "routesim"));
  symlinkSync(join(ROOT, "scenarios"), join(USER, "scenarios")); // README's first recipe reads scenarios/
}, 120_000);

afterAll(() => {
  rmSync(PKG, { recursive: true, force: true });
  rmSync(USER, { recursive: true, force: true });
});

describe("the built package", () => {
  it('README\'s Library API recipes run as written (under tsx, importing dist as "routesim")', () => {
    const recipes = readmeRecipes().filter((r) => r.includes('from "routesim"') && !r.includes("…"));
    // simulate, your own policy kind, compare(): a new recipe is picked up, a removed one noticed.
    expect(recipes.length).toBeGreaterThanOrEqual(3);
    const outputs = recipes.map((code, i) => {
      writeFileSync(join(USER, `recipe-${i}.mts`), code);
      const r = node(["--import", "tsx", `recipe-${i}.mts`]);
      expect(r.stderr, `recipe ${i}:\n${code}`).toBe("");
      expect(r.code).toBe(0);
      return r.stdout;
    });
    // The policy-kind recipe: `mine` sends everything to the cheap endpoint first (no failures to
    // fall back from in that scenario would still be fine: the default spreads, mine does not).
    const own = outputs.find((o) => /^mine /m.test(o));
    expect(own).toMatch(/^mine \{ cheap: 1 \}$/m);
    expect(own).toMatch(/^default \{ cheap: 0\.\d+, dear: 0\.\d+ \}$/m);
  }, 60_000);

  it("a factory may return a bare Policy or a partial build; the README's old recipe crashed here", () => {
    const script = `
      import { registerPolicyKind, scenarioFromObject, simulate } from "routesim";
      const first = (spec) => ({ name: spec.name, route: (req, view) => ({ kind: "route", candidates: view.endpointsOf(req.model).map((e) => e.id) }) });
      registerPolicyKind("bare", first);
      registerPolicyKind("once", (spec, ctx) => ({ policy: first(spec, ctx), behaviour: { maxAttempts: 1 }, warnings: ["only one try"] }));
      const loaded = scenarioFromObject({
        name: "t", seed: 2,
        traffic: { arrivals: { process: "poisson", rate_per_s: 20 }, requests: 500, model: "m" },
        providers: [
          { name: "a", model: "m", price: { prompt: 1, completion: 1 }, error_rate: 0.5 },
          { name: "b", model: "m", price: { prompt: 1, completion: 1 } },
        ],
        policies: [{ name: "bare", kind: "bare" }, { name: "once", kind: "once" }],
      });
      const { summary } = simulate(loaded);
      console.log(JSON.stringify({ warnings: summary.warnings, policies: summary.policies.map((p) => [p.name, p.successRate, p.attemptsPerRequest]) }));`;
    writeFileSync(join(USER, "bare.mjs"), script);
    const r = node(["bare.mjs"]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    const [bare, once] = out.policies;
    // a fails half its attempts: the bare policy falls back to b (OpenRouter's router), `once` cannot.
    expect(bare[0]).toBe("bare");
    expect(bare[1]).toBeGreaterThan(0.99);
    expect(bare[2]).toBeGreaterThan(1.3);
    expect(once[2]).toBe(1);
    expect(once[1]).toBeLessThan(0.7);
    expect(out.warnings).toContain("once: only one try");
  });

  it("bin: --policy-module (.ts and compiled .mjs) in run, compare --jobs 1 and 2 (worker threads too), check", () => {
    // The example compiled to JavaScript, as a user without tsx would ship it; it notes where it loads.
    const marker = join(USER, "loaded-in-workers.txt");
    const js = transformSync(readFileSync(join(ROOT, "examples/own-policy/policy.ts"), "utf8"), {
      loader: "ts",
    }).code;
    const note = `import { appendFileSync } from "node:fs";\nimport { isMainThread } from "node:worker_threads";\nif (!isMainThread) appendFileSync(${JSON.stringify(marker)}, "worker\\n");\n`;
    writeFileSync(join(USER, "policy.mjs"), note + js);

    const compare = (module: string, jobs: number) => {
      const out = join(USER, `c-${module.replace(/\W/g, "_")}-${jobs}`);
      const args = [
        "compare",
        SCENARIO,
        "--policy-module",
        module,
        "-r",
        "6",
        "-j",
        String(jobs),
        "-o",
        out,
        "-q",
      ];
      const r = node([BIN, ...args]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return out;
    };
    const ts = join(ROOT, "examples/own-policy/policy.ts");
    const outs = [compare("policy.mjs", 1), compare("policy.mjs", 2)];
    expect(existsSync(marker)).toBe(true); // a worker thread of the bundle imported the module
    const files = readdirSync(outs[0]).filter((f) => f !== "run.json"); // run.json: command, jobs, wall time
    for (const f of files) expect(readFileSync(join(outs[1], f)), f).toEqual(readFileSync(join(outs[0], f)));
    // The TypeScript original routes the same (only the module's name in the reports differs).
    const fromTs = compare(ts, 2);
    for (const f of ["summary.json", "replications.csv"])
      expect(readFileSync(join(fromTs, f)), f).toEqual(readFileSync(join(outs[0], f)));
    const own = JSON.parse(readFileSync(join(outs[0], "summary.json"), "utf8")).policies[1];
    // weights 3 : 1 → alpha's share of served requests about 0.75 per replication (sd about 0.01).
    expect(own.providerShare.alpha.mean).toBeGreaterThan(0.7);
    expect(own.providerShare.alpha.mean).toBeLessThan(0.8);

    const run = node([BIN, "run", SCENARIO, "--policy-module", ts, "-o", join(USER, "run"), "-q"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const check = node([
      BIN,
      "check",
      SCENARIO,
      "--policy-module",
      "policy.mjs",
      "--policy",
      "pick-by-weight",
      "--runs",
      "10",
      "-q",
    ]);
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/^conservation\s+R44, R49, R66\s+pass \(10\)$/m);
  }, 120_000);

  it("bin: a bad module is one line on stderr and exit code 2", () => {
    writeFileSync(join(USER, "broken.mjs"), 'throw new Error("broken on purpose");');
    for (const [file, message] of [
      ["missing.mjs", /^routesim: error: missing\.mjs: no such file/],
      ["broken.mjs", /^routesim: error: broken\.mjs: importing the module failed: broken on purpose$/],
    ] as const) {
      const r = node([BIN, "run", SCENARIO, "--policy-module", file, "-o", join(USER, "bad"), "-q"]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
    }
  });
});
