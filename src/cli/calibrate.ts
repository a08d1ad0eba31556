/** `routesim calibrate <llmperf-dir>`: fit provider latency and error models to LLMPerf results. */
import { renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_TOLERANCE, type FitMode } from "../calibrate/fit.js";
import { calibrateRun, llmperfFiles } from "../calibrate/llmperf.js";
import { calibrationYaml, fitTable } from "../calibrate/report.js";
import { UsageError } from "./common.js";

interface CalibrateFlags {
  fit: string;
  tolerance?: string;
  only?: string;
  out?: string;
  table?: string;
}

function writeAtomic(file: string, text: string): void {
  const out = resolve(file);
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, out);
}

export function registerCalibrate(program: Command): void {
  program
    .command("calibrate")
    .description(
      "fit TTFT, inter-token latency and error rates per provider from LLMPerf results → provider blocks (YAML)",
    )
    .argument("<llmperf-dir>", "LLMPerf results folder (with individual/*.json) or one request file")
    .option(
      "--fit <mode>",
      "auto (lognormal unless it misses a quantile by more than --tolerance), lognormal, empirical",
      "auto",
    )
    .option(
      "--tolerance <x>",
      `relative p50/p90/p99 error accepted for a lognormal fit (default ${DEFAULT_TOLERANCE})`,
    )
    .option("--only <text>", "only runs whose file name contains this text (e.g. 70b)")
    .option("-o, --out <file>", "write the provider blocks here instead of stdout")
    .option("--table <file>", "write the fit-quality table (Markdown) here; default: stderr")
    .action((dir: string, flags: CalibrateFlags) => {
      if (!["auto", "lognormal", "empirical"].includes(flags.fit))
        throw new UsageError(`--fit expects auto, lognormal or empirical, got "${flags.fit}"`);
      const tol = flags.tolerance === undefined ? undefined : Number(flags.tolerance);
      if (tol !== undefined && !(tol > 0))
        throw new UsageError(`--tolerance expects a positive number, got "${flags.tolerance}"`);
      const files = llmperfFiles(dir).filter((f) => !flags.only || basename(f).includes(flags.only));
      if (files.length === 0) throw new UsageError(`no LLMPerf files match --only ${flags.only}`);
      const runs = files.map((f) => calibrateRun(f, flags.fit as FitMode, tol));
      const yaml = calibrationYaml(runs, [
        `Calibrated by \`routesim calibrate\` from ${runs.length} LLMPerf runs (${flags.fit} fit).`,
        "TTFT in ms; decode speed in tokens/s = 1000 / inter-token latency (recomputed from tokens and latencies).",
        "Error rates count 429 and failed (-1 → 502) requests; -100 short outputs finished and are not errors.",
      ]);
      const table = `${fitTable(runs)}\n`;
      if (flags.out) writeAtomic(flags.out, yaml);
      else process.stdout.write(yaml);
      if (flags.table) writeAtomic(flags.table, table);
      else process.stderr.write(table);
    });
}
