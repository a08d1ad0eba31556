/** `routesim run <scenario>`: one simulation of every policy, results to a folder. */

import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import { thousands } from "../report/format.js";
import { loadScenario } from "../scenario/load.js";
import { simulate } from "../simulate.js";
import { outputDir, parseIntFlag, printWarnings, progressReporter, safeName, UsageError } from "./common.js";
import { parseList } from "./compare.js";
import { consoleTable } from "./console-table.js";
import { loadPolicyModules, policyModuleOption } from "./policy-module.js";

interface RunFlags {
  out?: string;
  seed?: string;
  requests?: string;
  quiet?: boolean;
  force?: boolean;
  summaryOnly?: boolean;
  policies?: string;
  decisions?: boolean;
  policyModule?: string[];
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description(
      "simulate every policy of a scenario and write results (CSV, summary.json, run.json, report.md)",
    )
    .argument("<scenario>", "scenario file (YAML or JSON)")
    .option("-o, --out <dir>", "output folder (default: results/<scenario name>)")
    .option("--seed <n>", "override the scenario's seed")
    .option("--requests <n>", "run this many requests (replaces the scenario's requests / duration_s)")
    .option("--policies <names>", "comma-separated policy names to run (default: all)")
    .option("--summary-only", "skip attempts.csv and requests.csv")
    .option(
      "--decisions",
      "also write decisions.jsonl: per request, candidates after filters, order and why, attempts",
    )
    .option("-q, --quiet", "no progress bar or summary on the terminal")
    .option("-f, --force", "replace an existing output folder")
    .addOption(policyModuleOption())
    .action(async (file: string, flags: RunFlags) => {
      await loadPolicyModules(flags.policyModule);
      const requests = parseIntFlag("requests", flags.requests);
      if (requests === 0) throw new UsageError("--requests expects a positive integer, got 0");
      const loaded = loadScenario(file, { seed: parseIntFlag("seed", flags.seed), requests });
      const out = outputDir(
        flags.out ?? join("results", safeName(loaded.scenario.name, loaded.file, "name")),
        flags.force ?? false,
      );
      const progress = progressReporter(flags.quiet ?? false);
      const result = simulate(loaded, {
        outDir: out,
        replace: flags.force ?? false,
        summaryOnly: flags.summaryOnly,
        policies: parseList(flags.policies),
        onProgress: progress.update,
        wallClock: () => performance.now(),
        decisions: flags.decisions,
        command: `routesim run ${process.argv.slice(3).join(" ")}`.trim(),
      });
      progress.stop();
      printWarnings(result.summary.warnings);
      if (!flags.quiet) {
        const rel = relative(process.cwd(), out);
        const shown = rel === "" ? "." : rel.startsWith("..") ? out : rel;
        // Latency of served requests: fast failures would make a failing policy look fast.
        const ms = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "–");
        const slo = result.summary.policies.some((p) => p.goodput);
        const rows = result.summary.policies.map((p) => [
          p.name,
          "success",
          `${(100 * p.successRate).toFixed(2)} %`,
          ...(slo ? ["goodput", `${(100 * (p.goodput?.rate ?? 0)).toFixed(2)} %`] : []),
          "cost",
          `$${p.costUsd.toFixed(4)}`,
          "served p50",
          ms(p.servedLatencyMs.p50),
          "p99",
          ms(p.servedLatencyMs.p99),
        ]);
        const pair = ["left", "right"] as const;
        process.stdout.write(
          consoleTable(rows, ["left", ...pair, ...(slo ? pair : []), ...pair, ...pair, ...pair]),
        );
        const rps = result.run.requestsPerSec
          ? ` (${thousands(result.run.requestsPerSec)} simulated requests/s)`
          : "";
        process.stdout.write(
          `wrote ${shown}/ in ${((result.run.wallTimeMs ?? 0) / 1000).toFixed(2)} s${rps}\n`,
        );
      }
    });
}
