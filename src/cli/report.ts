/** `routesim report <results-dir>`: rebuild report.md and report.html from saved CSV/JSON. */
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { renderReports } from "../compare/compare.js";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "rebuild report.md and report.html of a compare results folder from its saved data (no re-run)",
    )
    .argument("<results-dir>", "folder written by routesim compare")
    .option("-q, --quiet", "print nothing but errors")
    .action(async (dir: string, flags: { quiet?: boolean }) => {
      await renderReports(resolve(dir));
      if (!flags.quiet)
        process.stdout.write(
          `rebuilt ${relative(process.cwd(), resolve(dir)) || "."}/report.md and report.html\n`,
        );
    });
}
