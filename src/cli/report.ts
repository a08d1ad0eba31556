/** `routesim report <results-dir>`: rebuild report.md and report.html from saved CSV/JSON. */

import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { renderReports } from "../compare/compare.js";
import { renderSweepReports } from "../compare/sweep-run.js";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "rebuild report.md and report.html of a compare (or sweep) results folder from its saved data (no re-run)",
    )
    .argument("<results-dir>", "folder written by routesim compare, sweep or merge")
    .option("-q, --quiet", "print nothing but errors")
    .action(async (dir: string, flags: { quiet?: boolean }) => {
      const abs = resolve(dir);
      if (existsSync(join(abs, "sweep.json"))) await renderSweepReports(abs);
      else await renderReports(abs);
      if (!flags.quiet)
        process.stdout.write(
          `rebuilt ${relative(process.cwd(), resolve(dir)) || "."}/report.md and report.html\n`,
        );
    });
}
