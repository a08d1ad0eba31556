/**
 * `routesim check <scenario>`: runs the routing invariants (src/check) against every policy of a
 * scenario, on generated variations of its endpoints, failures and requests, and prints a pass/fail
 * table. Exit 0 when every asserted invariant holds, 1 when one fails, 2 on bad input.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import { parse } from "yaml";
import type { z } from "zod";
import {
  allPassed,
  checkSubject,
  formatTable,
  type InvariantResult,
  invariantNames,
} from "../check/runner.js";
import { specSubject } from "../check/subjects.js";
import { policyKinds } from "../policies/registry.js";
import { InputError } from "../scenario/errors.js";
import { loadScenario } from "../scenario/load.js";
import { PolicySpec, type Provider } from "../scenario/schema.js";
import { ExitCode, parseIntFlag, UsageError } from "./common.js";
import { loadPolicyModules, policyModuleOption } from "./policy-module.js";

interface CheckFlags {
  runs?: string;
  seed?: string;
  policies?: string;
  policy?: string;
  policyModule?: string[];
  invariants?: string;
  path?: string;
  quiet?: boolean;
}

/** The scenario's `providers` as written (so reproducers stay as short as the user's file). */
function writtenProviders(file: string, n: number): z.input<typeof Provider>[] | undefined {
  const raw = parse(readFileSync(file, "utf8")) as { providers?: unknown };
  return Array.isArray(raw.providers) && raw.providers.length === n ? raw.providers : undefined;
}

function list(v: string | undefined): string[] | undefined {
  return v
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description(
      "property-test the routing invariants against a scenario's policies; prints a pass/fail table",
    )
    .argument("<scenario>", "scenario file (YAML or JSON); cases reuse its endpoints")
    .option("--runs <n>", "generated cases per invariant (statistical ones run a fifth)", "100")
    .option("--seed <n>", "fast-check seed (replays a reported failure with --path)", "1")
    .option("--policies <names>", "comma-separated policy names to check (default: all)")
    .option(
      "--invariants <names>",
      `comma-separated invariants (default: all): ${invariantNames().join(", ")}`,
    )
    .option("--path <path>", "replay one counterexample (from a failure report) instead of searching")
    .option(
      "--policy <kinds>",
      "check a policy of each of these kinds (e.g. one from --policy-module) instead of the scenario's",
    )
    .addOption(policyModuleOption())
    .option("-q, --quiet", "only the table and failures, no progress")
    .action(async (file: string, flags: CheckFlags) => {
      await loadPolicyModules(flags.policyModule);
      if (flags.policy !== undefined && flags.policies !== undefined)
        throw new UsageError("give --policies (the scenario's) or --policy (kinds), not both");
      const runs = parseIntFlag("runs", flags.runs)!;
      if (runs < 1) throw new UsageError("--runs expects a positive integer");
      const seed = parseIntFlag("seed", flags.seed)!;
      const invariants = list(flags.invariants);
      const unknown = (invariants ?? []).filter((n) => !invariantNames().includes(n));
      if (unknown.length)
        throw new UsageError(
          `unknown invariant ${unknown.join(", ")}; expected some of ${invariantNames().join(", ")}`,
        );
      const wanted = list(flags.policies);
      const loaded = loadScenario(file);
      // `--policy k`: an entry `{ name: k, kind: k }`, as a scenario would write it.
      const kinds = list(flags.policy);
      if (kinds?.length === 0)
        throw new UsageError(`--policy expects at least one kind, got "${flags.policy}"`);
      const unknownKinds = (kinds ?? []).filter((k) => !policyKinds().includes(k));
      if (unknownKinds.length)
        throw new UsageError(
          `unknown policy kind ${unknownKinds.map((k) => `"${k}"`).join(", ")}; expected one of ${policyKinds().join(", ")} (load your own with --policy-module)`,
        );
      const policies = kinds
        ? kinds.map((kind) => PolicySpec.parse({ name: kind, kind }))
        : loaded.scenario.policies;
      const missing = (wanted ?? []).filter((n) => !policies.some((p) => p.name === n));
      if (missing.length)
        throw new InputError(loaded.file, [
          { path: "policies", message: `no policy named ${missing.map((m) => `"${m}"`).join(", ")}` },
        ]);
      const selected = wanted ? policies.filter((p) => wanted.includes(p.name)) : policies;
      if (flags.path !== undefined && (selected.length !== 1 || invariants?.length !== 1))
        throw new UsageError(
          "--path replays one case: give exactly one policy (--policies) and one invariant (--invariants)",
        );

      const t0 = performance.now();
      const results: InvariantResult[] = [];
      process.stdout.write(
        `routesim check ${loaded.scenario.name}: ${selected.length} policies, ${runs} cases per invariant, seed ${seed}\n`,
      );
      for (const spec of selected) {
        const started = performance.now();
        const res = checkSubject(specSubject(spec, loaded), {
          runs,
          seed,
          invariants,
          path: flags.path,
          base: { scenario: loaded.scenario, file },
          baseProviders: writtenProviders(loaded.file, loaded.scenario.providers.length),
        });
        results.push(...res);
        if (!flags.quiet)
          process.stderr.write(`  ${spec.name}: ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      }
      process.stdout.write(`\n${formatTable(results)}\n`);
      for (const r of results.filter((x) => x.yaml && x.status !== "report")) {
        process.stdout.write(
          `\n${r.status.toUpperCase()} ${r.invariant} × ${r.policy}: ${r.message}\n${r.yaml}`,
        );
      }
      for (const r of results.filter((x) => x.status === "report" && x.yaml)) {
        process.stdout.write(
          `\nREPORT ${r.invariant} × ${r.policy}: did not hold in ${r.violations} of ${r.runs} cases (not a failure); first case:\n${r.yaml}`,
        );
      }
      const failed = results.filter((r) => r.status === "fail" || r.status === "error").length;
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      process.stdout.write(
        failed === 0
          ? `\nall asserted invariants hold (${results.length} checks, ${secs} s)\n`
          : `\n${failed} of ${results.length} checks failed (${secs} s)\n`,
      );
      if (!allPassed(results)) throw new ExitCode(1);
    });
}
