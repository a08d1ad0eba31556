/** `routesim diff <old> <new>`: metric changes with CIs; exit 1 when a checked metric regresses. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { absDiff, stat } from "../report/format.js";
import type { MetricChange } from "../results/diff.js";
import { ExitCode, parseIntFlag, printWarnings } from "./common.js";

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
      "compare two results folders metric by metric; exit 1 when a checked metric regresses beyond its tolerance (run and live folders: intervals from batch means)",
    )
    .argument("<old>", "baseline results folder (routesim compare, merge, run or drive)")
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
    .option(
      "--batches <n>",
      "run and drive folders: batches per run (default: up to 20, at least 30 requests each)",
    )
    .action(
      async (
        oldDir: string,
        newDir: string,
        flags: { metric: string[]; tolerance: string[]; all?: boolean; batches?: string },
      ) => {
        const { readResults } = await import("../experiment/batch-means.js");
        const { diffResults, parseChecks } = await import("../results/diff.js");
        const checks = parseChecks(flags.metric, flags.tolerance);
        const batches = parseIntFlag("batches", flags.batches);
        const a = readResults(resolve(oldDir), { batches });
        // Two runs are batched alike, so batch k of each holds the same requests (paired).
        const b = readResults(resolve(newDir), {
          batches: batches ?? a.data.meta.batchMeans?.batches,
        });
        const { changes, onlyIn } = diffResults(a.data, b.data, checks);
        const shown = flags.all ? changes : changes.filter((c) => c.regression !== null);
        const paired = changes[0]?.paired ?? false;
        const batched = a.data.meta.batchMeans || b.data.meta.batchMeans;
        const how = paired
          ? batched
            ? "paired by batch (same requests)"
            : "paired by replication (same seeds)"
          : "independent samples (Welch)";
        process.stdout.write(`${how}; 95 % intervals${batched ? " from batch means of single runs" : ""}\n`);
        printWarnings([...new Set([...a.warnings, ...b.warnings])]);
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
