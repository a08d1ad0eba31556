/** `routesim merge <dirs...> --out DIR`: combine sweep shard folders into one sweep and report. */
import { relative } from "node:path";
import type { Command } from "commander";
import { mergeSweeps } from "../compare/sweep-run.js";
import { outputDir, UsageError } from "./common.js";

export function registerMerge(program: Command): void {
  program
    .command("merge")
    .description("merge sweep shard folders (routesim sweep --shard i/n) into one folder with one report")
    .argument("<dirs...>", "shard folders of the same sweep")
    .requiredOption("-o, --out <dir>", "output folder")
    .option("-q, --quiet", "print nothing but errors")
    .option("-f, --force", "replace an existing output folder")
    .action(async (dirs: string[], flags: { out: string; quiet?: boolean; force?: boolean }) => {
      const out = outputDir(flags.out, flags.force ?? false);
      if (dirs.some((d) => relative(out, d) === ""))
        throw new UsageError("--out must not be one of the merged folders");
      const { meta, missing } = await mergeSweeps(dirs, out);
      if (!flags.quiet) {
        process.stdout.write(
          `merged ${dirs.length} folder(s): ${meta.points.length} of ${meta.grid.length} grid points\n`,
        );
        if (missing.length) process.stdout.write(`missing grid points: ${missing.join(", ")}\n`);
        process.stdout.write(`wrote ${relative(process.cwd(), out) || "."}/\n`);
      }
    });
}
