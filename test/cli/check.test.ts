import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { invariantNames } from "../../src/check/runner.js";
import { loadScenario } from "../../src/scenario/load.js";
import { MUTANTS } from "../check/mutants.js";
import { runCli } from "../support/cli.js";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(argv);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("routesim check", () => {
  it("runs every invariant on every flagship policy and prints the table", async () => {
    const { code, out } = await cli("check", "scenarios/flagship.yaml", "--runs", "8", "-q");
    expect(code).toBe(0);
    const header = out.split("\n").find((l) => l.startsWith("invariant"))!;
    expect(header.split(/\s{2,}/)).toEqual([
      "invariant",
      "rules",
      "default",
      "price-sort",
      "nitro",
      "pinned-groq",
    ]);
    for (const inv of invariantNames()) expect(out).toMatch(new RegExp(`^${inv}\\s`, "m"));
    expect(out).toContain("all asserted invariants hold");
  });

  it("exits 2 on bad input, without a stack trace", async () => {
    for (const argv of [
      ["check", "scenarios/flagship.yaml", "--runs", "0"],
      ["check", "scenarios/flagship.yaml", "--runs", "many"],
      ["check", "scenarios/flagship.yaml", "--invariants", "conservation,nope"],
      ["check", "scenarios/flagship.yaml", "--policies", "nobody"],
      ["check", "scenarios/flagship.yaml", "--path", "1:2"],
      ["check", "does-not-exist.yaml"],
    ]) {
      const { code, err } = await cli(...argv);
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(err).toMatch(/^routesim: error: /);
      expect(err).not.toMatch(/\n\s+at /);
    }
  });

  it("exits 1 on a violation and prints a reproducer that loads and replays", async () => {
    // A scenario whose policy kind is a planted bug (registered in-process, as a user would).
    const { registerPolicyKind } = await import("../../src/policies/registry.js");
    const mutant = MUTANTS.find((m) => m.name === "ignores-ignore")!;
    registerPolicyKind("openrouter-ignores-ignore", (spec, ctx) => {
      const b = mutant.subject.build(ctx.scenario, ctx.catalog, spec.request, spec.name);
      return { ...b, warnings: [] };
    });
    const dir = mkdtempSync(join(tmpdir(), "routesim-check-cli-"));
    const flagship = parse(readFileSync("scenarios/flagship.yaml", "utf8"));
    const file = join(dir, "buggy.yaml");
    writeFileSync(
      file,
      stringify({
        ...flagship,
        policies: [
          { name: "buggy", kind: "openrouter-ignores-ignore", request: flagship.policies[0].request },
        ],
      }),
    );
    const first = await cli("check", file, "--runs", "40", "--invariants", "filters,conservation", "-q");
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/^filters\s+R10–R18, R20\s+FAIL$/m);
    expect(first.out).toMatch(/^conservation\s+R44, R49, R66\s+pass \(40\)$/m);
    const replay = first.out.match(/# replay: routesim check (.*)$/m)![1].split(" ");
    const yaml = first.out.slice(
      first.out.indexOf("# routesim check: invariant"),
      first.out.lastIndexOf("\n1 of 2"),
    );
    writeFileSync(join(dir, "case.yaml"), yaml);
    const repro = loadScenario(join(dir, "case.yaml")).scenario;
    expect(repro.policies[0].kind).toBe("openrouter-ignores-ignore");
    expect(repro.policies[0].request.provider?.ignore?.length).toBeGreaterThan(0);
    const again = await cli("check", ...replay, "-q");
    expect(again.code).toBe(1);
    expect(again.out.match(/^# routesim check.*\n# (.*)$/m)![1]).toBe(
      first.out.match(/^# routesim check.*\n# (.*)$/m)![1],
    );
  });
});

describe("routesim check on the gateway policies", () => {
  it("renaming a gateway policy never changes its draws (CRN), for every peer-gateway kind", async () => {
    for (const f of ["scenarios/gateways/head-to-head.yaml", "scenarios/gateways/strategies.yaml"]) {
      const { code, out } = await cli(
        "check",
        f,
        "--runs",
        "6",
        "--invariants",
        "rename,crn,determinism",
        "-q",
      );
      expect(code, out).toBe(0);
      expect(out).not.toMatch(/FAIL/);
    }
  });
});
