/** `routesim compare <scenario>`: replicated comparison of policies with confidence intervals. */

import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import type { Command } from "commander";
import type { AutoShard } from "../experiment/shard-env.js";
import { stat } from "../report/format.js";
import type { CompareSummary } from "../results/compare-summary.js";
import type { Shard } from "../results/sweep-folder.js";
import { MAX_REPLICATIONS } from "../scenario/limits.js";
import { loadScenario } from "../scenario/load.js";
import { outputDir, parseIntFlag, printWarnings, safeName, UsageError } from "./common.js";
import { type Align, consoleTable } from "./console-table.js";
import { loadPolicyModules, policyModuleOption } from "./policy-module.js";

export interface CompareFlags {
  out?: string;
  seed?: string;
  requests?: string;
  replications?: string;
  policies?: string;
  baseline?: string;
  jobs?: string;
  target?: string;
  quiet?: boolean;
  force?: boolean;
  rows?: boolean;
  from?: string[];
  batches?: string;
  shard?: string;
  shards?: string;
  policyModule?: string[];
}

/** `compare --from`: saved single runs (live or simulated) side by side, by batch means. */
async function compareFolders(dirs: string[], flags: CompareFlags): Promise<void> {
  const { readRunFolder } = await import("../results/run-folder.js");
  const { batchCompare } = await import("../experiment/batch-means.js");
  const { atomicDir, runInfo, writeCompare } = await import("../experiment/compare.js");
  const folders = dirs.map((d) => readRunFolder(d));
  const { data, warnings } = batchCompare(folders, {
    batches: parseIntFlag("batches", flags.batches),
    baseline: flags.baseline,
    policies: parseList(flags.policies),
  });
  const out = outputDir(
    flags.out ?? join("results", `${safeName(data.meta.scenario, dirs[0], "scenario")}-from-compare`),
    flags.force ?? false,
  );
  const command = `routesim compare ${process.argv.slice(3).join(" ")}`.trim();
  const summary = await atomicDir(out, (tmp) =>
    writeCompare(tmp, data, {
      ...runInfo({ command, jobs: 1 }, null, warnings),
      from: folders.map((f) => f.dir),
    }),
  );
  printWarnings(warnings);
  if (!flags.quiet) {
    printSummary(summary);
    process.stdout.write(`wrote ${relative(process.cwd(), out) || "."}/ (report.md, report.html)\n`);
  }
}

/** `--shard i/n|auto` and `--shards N`: the shard, and the engine it came from with auto. */
export async function shardFlags(
  shard: string | undefined,
  shards: string | undefined,
): Promise<{ shard: Shard | null; auto: AutoShard | null }> {
  const { shardFromEnv } = await import("../experiment/shard-env.js");
  const { parseShard } = await import("../experiment/grid.js");
  const auto = shard === "auto" ? shardFromEnv(process.env, parseIntFlag("shards", shards)) : null;
  if (shards !== undefined && !auto) throw new UsageError("--shards goes with --shard auto");
  return { shard: auto ? { index: auto.index, count: auto.count } : parseShard(shard), auto };
}

export function parseList(v: string | undefined, flag = "policies"): string[] | undefined {
  const list = v
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // `--policies ""` is a mistake (an unset variable), not "all".
  if (list?.length === 0) throw new UsageError(`--${flag} expects at least one name, got "${v}"`);
  return list;
}

/** Replications flag: 2 (a confidence interval needs two) up to the cap. */
export function parseReplications(v: string | undefined, fallback: number): number {
  const r = parseIntFlag("replications", v) ?? fallback;
  if (r < 2 || r > MAX_REPLICATIONS)
    throw new UsageError(
      `--replications expects 2 to ${MAX_REPLICATIONS} (a confidence interval needs at least two), got ${r}`,
    );
  return r;
}

export function parseTarget(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(v);
  const x = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(x > 0 && x < 1))
    throw new UsageError(`--target expects a relative half-width such as 0.05 or 5%, got "${v}"`);
  return x;
}

/** Jobs flag: a positive integer (default: available cores, as prestart's `workersWanted` reads it). */
export function parseJobs(v: string | undefined): number {
  const j = parseIntFlag("jobs", v) ?? availableParallelism();
  if (j < 1) throw new UsageError("--jobs expects at least 1");
  return j;
}

export function progressLine(
  quiet: boolean,
  what: string,
): ((done: number, total: number) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  return (done, total) => {
    process.stderr.write(`\r ${what}: ${done}/${total} replications done`);
    if (done === total) process.stderr.write("\n");
  };
}

/** One line per policy, the columns aligned whatever the length of the names: means, then "± half-width". */
export function printSummary(s: CompareSummary): void {
  const split = (x: string): string[] => [
    x.split(" ± ")[0],
    x.includes(" ± ") ? `± ${x.split(" ± ")[1]}` : "",
  ];
  const slo = s.policies.some((p) => p.metrics.goodput?.mean != null);
  const rows = s.policies.map((p) => {
    const m = p.metrics;
    return [
      p.name,
      "success",
      ...split(stat(m.successRate, "fraction")),
      ...(slo ? ["goodput", ...split(stat(m.goodput, "fraction"))] : []),
      "cost/success",
      ...split(stat(m.costPerSuccessUsd, "usd")),
      // Of served requests: fast failures would make a failing policy look fast.
      "served p99 (ms)",
      ...split(stat(m.servedLatencyP99Ms, "ms")),
    ];
  });
  const figure: Align[] = ["left", "right", "left"];
  process.stdout.write(consoleTable(rows, ["left", ...figure, ...(slo ? figure : []), ...figure, ...figure]));
}

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description(
      "compare policies over R replications (common random numbers) with 95 % confidence intervals; writes CSV, summary.json, report.md and report.html",
    )
    .argument("[scenario]", "scenario file (YAML or JSON); not with --from")
    .option(
      "--from <dirs...>",
      "compare saved run or live (drive) folders instead of simulating: intervals from batch means",
    )
    .option("--batches <n>", "with --from: batches per run (default: up to 20, at least 30 requests each)")
    .option("-r, --replications <n>", "replications (independent seeds derived from the root seed)", "10")
    .option("--policies <names>", "comma-separated policy names (default: all)")
    .option("--baseline <name>", "policy the others are compared with (default: the first)")
    .option("--seed <n>", "root seed (default: the scenario's)")
    .option("--requests <n>", "override the number of requests per replication")
    .option(
      "-j, --jobs <n>",
      "replications run at once: the main thread and n − 1 worker threads (default: available cores; results do not depend on it)",
    )
    .option("--target <rel>", "relative CI half-width to aim for, e.g. 0.05 or 5% (default 5%)")
    .option("-o, --out <dir>", "output folder (default: results/<scenario name>-compare)")
    .option("--no-rows", "skip attempts.csv and requests.csv of the first replication")
    .option("-q, --quiet", "print nothing but errors")
    .option("-f, --force", "replace an existing output folder")
    .option(
      "--shard <i/n|auto>",
      "run only shard i of n of the replications (r mod n = i−1), for `routesim merge`; auto: from the batch engine (docs/batch-engines.md)",
    )
    .option("--shards <n>", "with --shard auto: the number of tasks, where the engine does not export it")
    .addOption(policyModuleOption())
    .action(async (file: string | undefined, flags: CompareFlags) => {
      await loadPolicyModules(flags.policyModule);
      if (flags.from) {
        if (file !== undefined) throw new UsageError("give a scenario or --from <dirs…>, not both");
        await compareFolders(flags.from, flags);
        return;
      }
      if (file === undefined) throw new UsageError("missing the scenario file (or --from <dirs…>)");
      const replications = parseReplications(flags.replications, 10);
      const jobs = parseJobs(flags.jobs);
      const seed = parseIntFlag("seed", flags.seed);
      const requests = parseIntFlag("requests", flags.requests);
      const name = loadScenario(file).scenario.name;
      const { shard, auto } = await shardFlags(flags.shard, flags.shards);
      const suffix = shard ? `-shard-${shard.index}-of-${shard.count}` : "";
      const out = outputDir(
        flags.out ?? join("results", `${safeName(name, file, "name")}-compare${suffix}`),
        flags.force ?? false,
      );
      const options = {
        source: { kind: "file" as const, path: file },
        replications,
        seed,
        requests,
        policies: parseList(flags.policies),
        baseline: flags.baseline,
        jobs,
        targetRelHalfWidth: parseTarget(flags.target),
        outDir: out,
        replace: flags.force ?? false,
        rows: flags.rows,
        onProgress: progressLine(flags.quiet ?? false, name),
      };
      if (shard) {
        const { compareShard } = await import("../experiment/compare-shard.js");
        const head = await compareShard(
          options,
          shard,
          auto ? { engine: auto.engine, vars: auto.vars } : undefined,
        );
        if (!flags.quiet)
          process.stdout.write(
            `shard ${shard.index}/${shard.count}: ran replications ${head.replications.join(", ") || "none"} of ${replications}; wrote ${relative(process.cwd(), out) || "."}/ (join the shards with routesim merge)\n`,
          );
        return;
      }
      const { compare } = await import("../experiment/compare.js");
      const result = await compare({
        ...options,
        command: `routesim compare ${process.argv.slice(3).join(" ")}`.trim(),
        wallClock: () => performance.now(),
      });
      printWarnings(result.warnings);
      if (!flags.quiet) {
        printSummary(result.summary);
        process.stdout.write(`wrote ${relative(process.cwd(), out) || "."}/ (report.md, report.html)\n`);
      }
    });
}
