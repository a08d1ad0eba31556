/** `routesim diff <old> <new>`: metric changes with CIs; exit 1 when a checked metric regresses. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { diffResults, type MetricChange, parseChecks } from "../compare/diff.js";
import { readCompareData } from "../compare/files.js";
import { absDiff, stat } from "../report/format.js";
import { ExitCode } from "./common.js";

/** Exit code when a checked metric regressed. */
export const EXIT_REGRESSION = 1;

const collect = (v: string, acc: string[]): string[] => [
  ...acc,
  ...v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

function line(c: MetricChange): string {
  const u = c.metric.unit;
  const verdict = c.regression === null ? "" : c.regression ? "  REGRESSION" : "  ok";
  return `${c.policy.padEnd(20)} ${c.metric.key.padEnd(20)} ${stat(c.old, u).padStart(22)} → ${stat(c.new, u).padStart(22)}  change ${absDiff(c.change, u)}${verdict}`;
}

export function registerDiff(program: Command): void {
  program
    .command("diff")
    .description(
      "compare two compare results folders metric by metric; exit 1 when a checked metric regresses beyond its tolerance",
    )
    .argument("<old>", "baseline results folder (routesim compare)")
    .argument("<new>", "new results folder")
    .option(
      "--metric <name>",
      "metric to check (repeatable or comma-separated; default successRate)",
      collect,
      [],
    )
    .option(
      "--tolerance <t>",
      "allowed regression: absolute in the metric's unit (0.01) or relative (5%); one, or one per --metric",
      collect,
      [],
    )
    .option("--all", "print every metric, not only the checked ones")
    .action(
      (oldDir: string, newDir: string, flags: { metric: string[]; tolerance: string[]; all?: boolean }) => {
        const checks = parseChecks(flags.metric, flags.tolerance);
        const { changes, onlyIn } = diffResults(
          readCompareData(resolve(oldDir)),
          readCompareData(resolve(newDir)),
          checks,
        );
        const shown = flags.all ? changes : changes.filter((c) => c.regression !== null);
        const paired = changes[0]?.paired ?? false;
        process.stdout.write(
          `${paired ? "paired by replication (same seeds)" : "independent samples (Welch)"}; 95 % intervals\n`,
        );
        for (const c of shown) process.stdout.write(`${line(c)}\n`);
        if (onlyIn.length)
          process.stdout.write(
            `policies in only one of the two results (not compared): ${onlyIn.join(", ")}\n`,
          );
        const bad = changes.filter((c) => c.regression);
        if (bad.length) {
          process.stdout.write(`${bad.length} regression(s) beyond tolerance\n`);
          throw new ExitCode(EXIT_REGRESSION);
        }
        process.stdout.write("no regression beyond tolerance\n");
      },
    );
}
