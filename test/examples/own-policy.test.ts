/**
 * examples/own-policy (README "Library API", docs/own-policy.md): a user's policy module loaded with
 * `--policy-module` by run, compare (in worker threads too) and check, and the input errors a bad
 * module gets. In-process CLI; the built package is tested in dist.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { loadPolicyModules } from "../../src/cli/policy-module.js";
import { runJobs } from "../../src/experiment/jobs.js";
import { runReplication } from "../../src/experiment/replicate.js";
import { runCli } from "../support/cli.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MODULE = join(ROOT, "examples/own-policy/policy.ts");
const SCENARIO = join(ROOT, "examples/own-policy/scenario.yaml");
let dir: string;

interface Shares {
  name: string;
  providerShare: Record<string, number>;
  attemptsPerRequest: number;
}
const policies = (out: string): Shares[] =>
  JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).policies;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "routesim-own-policy-"));
});

describe("--policy-module with examples/own-policy", () => {
  it("run: the module's kind routes the scenario's `kind: pick-by-weight` entry as it says", async () => {
    const out = join(dir, "run");
    const r = await runCli(["run", SCENARIO, "--policy-module", MODULE, "-o", out, "-q"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [openrouter, own] = policies(out);
    // weights alpha 3 : beta 1 over 2000 requests with no failures: alpha 0.75 (sd 0.01), gamma never.
    expect(own.name).toBe("three-to-one");
    expect(own.providerShare.alpha).toBeGreaterThan(0.7);
    expect(own.providerShare.alpha).toBeLessThan(0.8);
    expect(own.providerShare.gamma ?? 0).toBe(0);
    expect(own.attemptsPerRequest).toBe(1);
    // The default (inverse-square price) does send some to gamma: the two are told apart.
    expect(openrouter.providerShare.gamma).toBeGreaterThan(0);
    const run = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run.policies[1]).toMatchObject({ kind: "pick-by-weight", models: "your policy module policy.ts" });
  });

  it("compare: worker threads load the module too, and --jobs 2 writes what --jobs 1 writes", async () => {
    const outs = [1, 2].map((j) => join(dir, `compare-j${j}`));
    for (const [i, out] of outs.entries()) {
      const args = ["compare", SCENARIO, "--policy-module", MODULE, "-r", "4", "-j", String(i + 1)];
      const r = await runCli([...args, "-o", out, "-q"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const files = readdirSync(outs[0]).filter((f) => f !== "run.json"); // run.json: command, jobs, wall time
    expect(files).toContain("summary.json");
    expect(readdirSync(outs[1]).sort()).toEqual(readdirSync(outs[0]).sort());
    for (const f of files) expect(readFileSync(join(outs[1], f)), f).toEqual(readFileSync(join(outs[0], f)));
    const own = JSON.parse(readFileSync(join(outs[0], "summary.json"), "utf8")).policies[1];
    expect(own.name).toBe("three-to-one");
  }, 60_000);

  it("worker threads alone (no main-thread runner) import the module and give the main thread's results", async () => {
    await loadPolicyModules([MODULE]);
    const jobs = [0, 1, 2].map((replication) => ({
      source: { kind: "file" as const, path: SCENARIO },
      replication,
      seed: 100 + replication,
      requests: 300,
    }));
    const inWorkers = await runJobs(jobs, 2, undefined, { mainThread: false });
    expect(inWorkers).toEqual(jobs.map(runReplication));
    expect(inWorkers[0].policies.map((p) => p.policy)).toEqual(["default", "three-to-one"]);
  }, 60_000);

  it("sweep: a grid over the module's own option (alpha's weight 1 or 9 against beta's 1)", async () => {
    const out = join(dir, "sweep");
    const set = "policies[1].options.weights.alpha=1,9";
    const args = ["sweep", SCENARIO, "--policy-module", MODULE, "--set", set, "-r", "2", "-j", "2"];
    const r = await runCli([...args, "--requests", "500", "-o", out, "-q"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const alpha = ["p0000", "p0001"].map(
      (p) =>
        JSON.parse(readFileSync(join(out, "points", p, "summary.json"), "utf8")).policies[1].providerShare
          .alpha.mean,
    );
    // 1000 requests per point: shares 1/2 and 9/10, standard deviations under 0.02.
    expect(alpha[0]).toBeGreaterThan(0.4);
    expect(alpha[0]).toBeLessThan(0.6);
    expect(alpha[1]).toBeGreaterThan(0.85);
    expect(alpha[1]).toBeLessThan(0.95);
  }, 60_000);

  it("check: --policy <kind> property-tests the module's kind; the scenario's entry too", async () => {
    const byKind = await runCli(
      ["check", SCENARIO, "--policy-module", MODULE, "--policy", "pick-by-weight", "--runs", "20", "-q"],
      dir,
    );
    expect(byKind.code).toBe(0);
    expect(byKind.stdout).toMatch(/^invariant\s+rules\s+pick-by-weight$/m);
    expect(byKind.stdout).toMatch(/^conservation\s+R44, R49, R66\s+pass \(20\)$/m);
    expect(byKind.stdout).toMatch(/^determinism\s+house rule\s+pass \(20\)$/m);
    const entry = await runCli(
      ["check", SCENARIO, "--policy-module", MODULE, "--policies", "three-to-one", "--runs", "20", "-q"],
      dir,
    );
    expect(entry.code).toBe(0);
    expect(entry.stdout).toMatch(/all asserted invariants hold/);
  }, 60_000);
});

describe("the documented recipes type-check", () => {
  it("README's Library API recipes and docs/own-policy.md's module, with \"routesim\" mapped to src/", () => {
    const blocks = (file: string, from = "", to = "\n# ") => {
      const text = readFileSync(join(ROOT, file), "utf8");
      const start = text.indexOf(from);
      const section = text.slice(start, text.indexOf(to, start + from.length));
      return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    };
    const recipes = [
      ...blocks("README.md", "\n## Library API\n", "\n## ").filter((b) => !b.includes("…")),
      ...blocks("docs/own-policy.md").filter((b) => b.startsWith("// policy.ts")),
    ];
    expect(recipes.length).toBeGreaterThanOrEqual(4);
    // Inside the repository, so that @types/node resolves as for the sources.
    const tmp = mkdtempSync(join(ROOT, "node_modules", ".cache", "routesim-recipes-"));
    try {
      const files = recipes.map((code, i) => {
        writeFileSync(join(tmp, `recipe-${i}.mts`), code);
        return join(tmp, `recipe-${i}.mts`);
      });
      const config = ts.getParsedCommandLineOfConfigFile(
        join(ROOT, "tsconfig.json"),
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: () => {},
        },
      );
      const program = ts.createProgram(files, {
        ...config?.options,
        noEmit: true,
        rootDir: undefined,
        paths: { routesim: [join(ROOT, "src/index.ts")] },
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file && files.includes(d.file.fileName))
        .map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
      expect(problems).toEqual([]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("--policy-module input errors (exit 2, the file named, no stack trace)", () => {
  const bad = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  const runWith = (...modules: string[]) =>
    runCli(
      ["run", SCENARIO, ...modules.flatMap((m) => ["--policy-module", m]), "-o", "out", "-q", "-f"],
      dir,
    );

  it.each([
    ["missing.mjs", null, /^routesim: error: missing\.mjs: no such file/],
    [
      "throws.mjs",
      'throw new Error("boom");',
      /^routesim: error: throws\.mjs: importing the module failed: boom$/m,
    ],
    [
      "shape.mjs",
      "export const policies = {};",
      /shape\.mjs: expected the module to export `kinds`.*got exports: policies$/m,
    ],
    ["notfn.mjs", "export const kinds = { mine: 1 };", /notfn\.mjs: kinds\.mine: expected a function/],
    [
      "clash.mjs",
      "export const kinds = { random: () => null };",
      /clash\.mjs: kinds\.random: kind "random" is already a built-in kind; choose another name$/m,
    ],
    ["policy.txt", "", /policy\.txt: a policy module is a \.js or \.mjs file/],
  ])("%s", async (name, text, message) => {
    if (text !== null) bad(name, text);
    const r = await runWith(name);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("two modules may not register the same kind; a module loaded twice is fine", async () => {
    bad("one.mjs", "export const kinds = { twin: () => null };");
    bad("two.mjs", "export default { kinds: { twin: () => null } };");
    const r = await runWith("one.mjs", "two.mjs");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/two\.mjs: kinds\.twin: kind "twin" is already registered by .*one\.mjs/);
    expect((await runWith(MODULE, MODULE)).code).toBe(0);
  });

  it("a scenario naming an unknown kind says how to load one", async () => {
    const text = readFileSync(SCENARIO, "utf8").replace("kind: pick-by-weight", "kind: mine");
    writeFileSync(join(dir, "unknown.yaml"), text);
    const r = await runCli(["run", "unknown.yaml", "-o", "out", "-q", "-f"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^routesim: error: unknown\.yaml: policies\[1\]\.kind: unknown policy kind "mine"; expected one of .*openrouter.* \(load your own with --policy-module/,
    );
  });

  it("a factory that throws or returns no policy is an input error at the scenario entry", async () => {
    bad(
      "picky.mjs",
      'export const kinds = { picky: () => { throw new Error("options.x: expected a number"); } };',
    );
    bad("empty.mjs", "export const kinds = { empty: () => ({ name: 'x' }) };");
    for (const [kind, message] of [
      ["picky", /policies\[1\]: policy kind "picky" \(from .*picky\.mjs\): options\.x: expected a number$/m],
      ["empty", /policies\[1\]\.kind: policy kind "empty" .*its factory returned object, expected a Policy/],
    ] as const) {
      const text = readFileSync(SCENARIO, "utf8").replace("kind: pick-by-weight", `kind: ${kind}`);
      writeFileSync(join(dir, `${kind}.yaml`), text);
      const r = await runCli(
        ["run", `${kind}.yaml`, "--policy-module", `${kind}.mjs`, "-o", "out", "-q", "-f"],
        dir,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it("check --policy with an unknown kind names the known ones", async () => {
    const r = await runCli(["check", SCENARIO, "--policy", "nosuch"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /unknown policy kind "nosuch"; expected one of .*random.* \(load your own with --policy-module\)/,
    );
  });
});
