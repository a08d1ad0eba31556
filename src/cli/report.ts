/** `routesim report <results-dir>`: rebuild report.md and report.html from saved CSV/JSON. */

import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { parseIntFlag } from "./common.js";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "rebuild report.md and report.html of a results folder from its saved data (no re-run); a run or live (drive) folder gets intervals from batch means",
    )
    .argument("<results-dir>", "folder written by routesim compare, sweep, merge, run or drive")
    .option(
      "--batches <n>",
      "run and drive folders: batches per run (default: up to 20, at least 30 requests each)",
    )
    .option(
      "--scenario <file>",
      "run and drive folders: the scenario the run used, if run.json's is gone or changed",
    )
    .option("-q, --quiet", "print nothing but errors")
    .action(async (dir: string, flags: { quiet?: boolean; batches?: string; scenario?: string }) => {
      const { renderRunReports } = await import("../experiment/batch-means.js");
      const { renderReports } = await import("../experiment/compare.js");
      const { renderSweepReports } = await import("../experiment/sweep.js");
      const { isRunFolder } = await import("../results/run-folder.js");
      const abs = resolve(dir);
      if (existsSync(join(abs, "sweep.json"))) await renderSweepReports(abs);
      else if (isRunFolder(abs))
        await renderRunReports(abs, {
          scenario: flags.scenario,
          batches: parseIntFlag("batches", flags.batches),
        });
      else await renderReports(abs);
      if (!flags.quiet)
        process.stdout.write(
          `rebuilt ${relative(process.cwd(), resolve(dir)) || "."}/report.md and report.html\n`,
        );
    });
}
