/** `routesim validate <scenario> --live <dir>`: live results against the simulation, metric by metric. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { loadScenario } from "../scenario/load.js";
import { ExitCode, printWarnings, UsageError } from "./common.js";

/** Exit code when a metric disagrees. */
export const EXIT_DISAGREE = 1;

interface ValidateFlags {
  live: string;
  policy?: string;
  sim?: string;
  z?: string;
  overheadMs?: string;
  json?: boolean;
  quiet?: boolean;
}

function positiveNumber(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new UsageError(`--${name} expects a positive number, got "${v}"`);
  return n;
}

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "compare a live results folder (routesim drive) with a simulation of the same policy: success, status mix, attempts, provider share, latency, TTFT, retry gaps; exit 1 when a metric disagrees",
    )
    .argument("<scenario>", "the scenario the live run replayed")
    .requiredOption("--live <dir>", "live results folder written by routesim drive")
    .option("--policy <name>", "scenario policy to simulate (default: the one the live folder names)")
    .option("--sim <dir>", "use this routesim run folder instead of simulating into <live>/sim")
    .option("--z <limit>", "|z| above which a rate or mean disagrees", "4")
    .option("--overhead-ms <ms>", "scenario ms the gateway may add to latencies (default 50 × time scale)")
    .option("--json", "print the checks as JSON")
    .option("-q, --quiet", "print only the verdict line")
    .addHelpText(
      "after",
      "\nExample:\n  routesim drive scenarios/live/portkey-basic.yaml --portkey --out results/live/basic\n  routesim validate scenarios/live/portkey-basic.yaml --live results/live/basic",
    )
    .action(async (file: string, flags: ValidateFlags) => {
      const loaded = loadScenario(file);
      const { validateLive } = await import("../live/validate-live.js");
      const v = validateLive(loaded, resolve(flags.live), {
        policy: flags.policy,
        simDir: flags.sim === undefined ? undefined : resolve(flags.sim),
        zLimit: positiveNumber("z", flags.z),
        overheadMs: positiveNumber("overhead-ms", flags.overheadMs),
      });
      printWarnings(v.warnings);
      const bad = v.checks.filter((c) => !c.agree);
      if (flags.json) process.stdout.write(`${JSON.stringify(v.checks, null, 2)}\n`);
      else if (!flags.quiet) process.stdout.write(v.markdown);
      process.stdout.write(
        bad.length === 0
          ? `agree on all ${v.checks.length} metrics\n`
          : `DISAGREE on ${bad.length} of ${v.checks.length} metrics: ${bad.map((c) => c.metric).join(", ")}\n`,
      );
      if (bad.length > 0) throw new ExitCode(EXIT_DISAGREE);
    });
}
