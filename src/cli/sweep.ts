/** `routesim sweep <scenario> --set path=v1,v2 ... [--shard i/n]`: run a parameter grid. */
import { join, relative } from "node:path";
import type { Command } from "commander";
import { loadScenario } from "../scenario/load.js";
import { outputDir, parseIntFlag, safeName } from "./common.js";
import {
  type CompareFlags,
  parseJobs,
  parseList,
  parseReplications,
  parseTarget,
  progressLine,
  shardFlags,
} from "./compare.js";
import { loadPolicyModules, policyModuleOption } from "./policy-module.js";

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description(
      "compare policies over a grid of scenario variants (--set path=v1,v2 ...), optionally one shard of it",
    )
    .argument("<scenario>", "scenario file (YAML or JSON)")
    .option(
      "--set <path=values>",
      "scenario path and comma-separated values, e.g. providers[0].price.prompt=1,2,4 (repeatable)",
      collect,
      [],
    )
    .option(
      "--shard <i/n|auto>",
      "run only shard i of n (1-based; work units i-1, i-1+n, ... of grid point × replication); auto: from Slurm, Kubernetes, AWS Batch or Cloud Run (docs/batch-engines.md)",
    )
    .option("--shards <n>", "with --shard auto: the number of tasks, where the engine does not export it")
    .option("-r, --replications <n>", "replications per grid point", "3")
    .option("--policies <names>", "comma-separated policy names (default: all)")
    .option("--baseline <name>", "baseline policy (default: the first)")
    .option("--seed <n>", "root seed (default: the scenario's)")
    .option("--requests <n>", "override the number of requests per replication")
    .option(
      "-j, --jobs <n>",
      "replications run at once: the main thread and n − 1 worker threads (default: available cores)",
    )
    .option("--target <rel>", "relative CI half-width to aim for (default 5%)")
    .option("-o, --out <dir>", "output folder (default: results/<scenario name>-sweep[-shard-i-of-n])")
    .option("-q, --quiet", "print nothing but errors")
    .option("-f, --force", "replace an existing output folder")
    .addOption(policyModuleOption())
    .action(
      async (file: string, flags: CompareFlags & { set: string[]; shard?: string; shards?: string }) => {
        await loadPolicyModules(flags.policyModule);
        const replications = parseReplications(flags.replications, 3);
        const { shard, auto } = await shardFlags(flags.shard, flags.shards);
        const name = loadScenario(file).scenario.name;
        const suffix = shard ? `-shard-${shard.index}-of-${shard.count}` : "";
        const out = outputDir(
          flags.out ?? join("results", `${safeName(name, file, "name")}-sweep${suffix}`),
          flags.force ?? false,
        );
        if (shard && !flags.quiet)
          process.stderr.write(
            `shard ${shard.index}/${shard.count}${
              auto
                ? ` from ${auto.engine} (${Object.entries(auto.vars)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")})`
                : ""
            }: work units ${shard.index - 1}, ${shard.index - 1 + shard.count}, … of grid point × replication\n`,
          );
        const { sweep } = await import("../experiment/sweep.js");
        const meta = await sweep({
          file,
          sets: flags.set,
          shard,
          replications,
          seed: parseIntFlag("seed", flags.seed),
          requests: parseIntFlag("requests", flags.requests),
          policies: parseList(flags.policies),
          baseline: flags.baseline,
          jobs: parseJobs(flags.jobs),
          targetRelHalfWidth: parseTarget(flags.target),
          outDir: out,
          ...(auto ? { shardFrom: { engine: auto.engine, vars: auto.vars } } : {}),
          command: `routesim sweep ${process.argv.slice(3).join(" ")}`.trim(),
          onProgress: progressLine(flags.quiet ?? false, `${name} sweep`),
        });
        const where = relative(process.cwd(), out) || ".";
        if (!flags.quiet)
          process.stdout.write(
            meta.units
              ? `shard ${shard!.index}/${shard!.count}${auto ? ` (${auto.engine})` : ""}: ran ${meta.units.length} of ${meta.grid.length * replications} units (grid point × replication: ${meta.units.map((u) => `${Math.floor(u / replications)}/r${u % replications}`).join(", ")}); wrote ${where}/ (join the shards with routesim merge)\n`
              : `ran ${meta.points.length} of ${meta.grid.length} grid points; wrote ${where}/ (report.md, report.html, points/)\n`,
          );
      },
    );
}
