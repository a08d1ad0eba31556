/** `routesim merge <dirs...> --out DIR`: combine sweep shard folders into one sweep and report. */

import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import type { Command } from "commander";
import { ExitCode, outputDir, UsageError } from "./common.js";

export function registerMerge(program: Command): void {
  program
    .command("merge")
    .description("merge sweep shard folders (routesim sweep --shard i/n) into one folder with one report")
    .argument("<dirs...>", "shard folders of the same sweep")
    .option("-o, --out <dir>", "output folder")
    .option("--allow-partial", "merge even when grid points are missing (the report's first line names them)")
    .option("--status", "only say which grid points the folders hold and which are missing; exit 1 if any is")
    .option("-q, --quiet", "print nothing but errors")
    .option("-f, --force", "replace an existing output folder")
    .action(
      async (
        dirs: string[],
        flags: { out?: string; quiet?: boolean; force?: boolean; allowPartial?: boolean; status?: boolean },
      ) => {
        const { compareCoverage, isCompareShard, mergeCompareShards } = await import(
          "../experiment/compare-shard.js"
        );
        const { mergeSweeps, sweepCoverage } = await import("../experiment/sweep.js");
        // Shards of one `compare` (compare-shard.json) rather than of a sweep.
        const compareShards = dirs.length > 0 && dirs.every(isCompareShard);
        if (flags.status && compareShards) {
          const { plan, owner, missing } = compareCoverage(dirs);
          for (const d of dirs)
            process.stdout.write(
              `${d}: done, replications ${
                [...owner.entries()]
                  .filter(([, o]) => o === d)
                  .map(([r]) => r)
                  .join(", ") || "none"
              }\n`,
            );
          process.stdout.write(
            `${owner.size} of ${plan.replications} replications done${missing.length ? `; missing ${missing.join(", ")}` : ""}\n`,
          );
          if (missing.length) throw new ExitCode(1);
          return;
        }
        if (flags.status) {
          // A task that failed, or still runs, has no sweep.json yet (results appear all at once).
          const pending = dirs.filter((d) => !existsSync(join(d, "sweep.json")));
          const { metas, owner, present, missing, unitOwner } = sweepCoverage(
            dirs.filter((d) => !pending.includes(d)),
          );
          const R = metas[0].replications;
          for (const d of dirs) {
            const held = unitOwner
              ? [...unitOwner.entries()]
                  .filter(([, o]) => o === d)
                  .map(([u]) => `${Math.floor(u / R)}/r${u % R}`)
              : [...owner.entries()].filter(([, o]) => o === d).map(([i]) => String(i));
            const what = unitOwner ? "units (point/replication)" : "grid points";
            process.stdout.write(
              `${d}: ${pending.includes(d) ? "no sweep.json (failed, or still running)" : `done, ${what} ${held.join(", ") || "none"}`}\n`,
            );
          }
          const units = unitOwner ? `; ${unitOwner.size} of ${metas[0].grid.length * R} units` : "";
          process.stdout.write(
            `${present.length} of ${metas[0].grid.length} grid points done${units}${missing.length ? `; missing ${missing.join(", ")}` : ""}\n`,
          );
          if (missing.length) throw new ExitCode(1);
          return;
        }
        if (!flags.out) throw new UsageError("merge needs --out <dir> (or --status)");
        const out = outputDir(flags.out, flags.force ?? false);
        if (dirs.some((d) => relative(out, d) === ""))
          throw new UsageError("--out must not be one of the merged folders");
        if (compareShards) {
          await mergeCompareShards(dirs, out);
          if (!flags.quiet)
            process.stdout.write(
              `merged ${dirs.length} compare shard(s); wrote ${relative(process.cwd(), out) || "."}/\n`,
            );
          return;
        }
        const { meta, missing } = await mergeSweeps(dirs, out, flags.allowPartial ?? false);
        if (!flags.quiet) {
          process.stdout.write(
            `merged ${dirs.length} folder(s): ${meta.points.length} of ${meta.grid.length} grid points\n`,
          );
          if (missing.length) process.stdout.write(`missing grid points: ${missing.join(", ")}\n`);
          process.stdout.write(`wrote ${relative(process.cwd(), out) || "."}/\n`);
        }
      },
    );
}
