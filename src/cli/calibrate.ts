/**
 * `routesim calibrate <llmperf-dir>`: fit provider latency and error models to LLMPerf results;
 * `routesim calibrate --from <log>`: a whole scenario from a gateway's own log (src/logs).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { Document, parse } from "yaml";
import { DEFAULT_TOLERANCE, type FitMode } from "../calibrate/fit.js";
import { calibrateRun, llmperfFiles } from "../calibrate/llmperf.js";
import { calibrationYaml, fitTable } from "../calibrate/report.js";
import { calibrateLogs } from "../logs/calibrate.js";
import { openLog } from "../logs/open.js";
import { calibrationHtml, calibrationMarkdown } from "../logs/report.js";
import { writeFileAtomic } from "../results/folder.js";
import { InputError } from "../scenario/errors.js";
import { scenarioFromObject } from "../scenario/load.js";
import { UsageError } from "./common.js";

interface CalibrateFlags {
  fit: string;
  from?: string;
  format?: string;
  holdout?: string;
  policy?: string;
  name?: string;
  binS?: string;
  tolerance?: string;
  only?: string;
  out?: string;
  table?: string;
}

/** The policies a `--policy` file gives: one policy object, a list, or a scenario's `policies`. */
function policiesFrom(file: string): unknown[] {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(file, [
      { path: "", message: `cannot read: ${(e as Error).message.split("\n")[0]}` },
    ]);
  }
  const list = Array.isArray(raw)
    ? raw
    : Array.isArray((raw as { policies?: unknown })?.policies)
      ? (raw as { policies: unknown[] }).policies
      : [raw];
  if (list.length === 0 || list.some((p) => p === null || typeof p !== "object"))
    throw new InputError(file, [
      { path: "", message: "expected a policy object, a list of them, or a scenario with policies" },
    ]);
  return list;
}

async function calibrateFromLog(
  from: string,
  flags: CalibrateFlags,
  tolerance: number | undefined,
): Promise<void> {
  if (!flags.out)
    throw new UsageError("--from needs --out <scenario.yaml> (the scenario and its trace are written there)");
  const holdout = Number(flags.holdout ?? "0.3");
  if (!(holdout >= 0 && holdout < 1))
    throw new UsageError(`--holdout expects a share in [0, 1), got "${flags.holdout}"`);
  const binS = Number(flags.binS ?? "60");
  if (!(binS > 0)) throw new UsageError(`--bin-s expects a positive number of seconds, got "${flags.binS}"`);
  const out = resolve(flags.out);
  mkdirSync(dirname(out), { recursive: true });
  const base = basename(out).replace(/\.(ya?ml|json)$/i, "");
  const skipped = { not_chat: 0, cache_hit: 0 };
  const src = openLog(from, flags.format, skipped);
  const c = await calibrateLogs(src, {
    name: flags.name ?? base,
    holdout,
    fit: flags.fit as FitMode,
    tolerance,
    binS,
    outageShare: 0.8,
    policies: flags.policy ? (policiesFrom(flags.policy) as never) : undefined,
    traceFile: join(dirname(out), `${base}.trace.csv`),
    holdoutFile: join(dirname(out), `${base}.holdout.csv`),
    baseDir: dirname(out),
  });
  // The scenario must load as written: validate it before anything is kept.
  scenarioFromObject(c.scenario, {}, dirname(out));
  const report = calibrationMarkdown(c, src.label, skipped);
  writeFileAtomic(join(dirname(out), `${base}.calibration.md`), report);
  writeFileAtomic(join(dirname(out), `${base}.calibration.html`), await calibrationHtml(c));
  const doc = new Document(c.scenario);
  doc.commentBefore = ` Written by routesim calibrate --from ${src.label} (${flags.format ?? "litellm"}); see ${base}.calibration.md.`;
  writeFileAtomic(out, doc.toString({ lineWidth: 0 }));
  const h = c.holdout;
  process.stdout.write(
    `${c.fits.length} endpoints from ${c.requests} requests; wrote ${basename(out)}, ${base}.trace.csv, ${base}.calibration.md/.html${h ? `; held-out fidelity ${h.rows.filter((r) => r.ok).length} of ${h.rows.length} metrics within tolerance` : ""}\n`,
  );
}

export function registerCalibrate(program: Command): void {
  program
    .command("calibrate")
    .description(
      "fit TTFT, inter-token latency and error rates per provider from LLMPerf results → provider blocks (YAML); or, with --from, a whole scenario from a gateway log",
    )
    .argument("[llmperf-dir]", "LLMPerf results folder (with individual/*.json) or one request file")
    .option(
      "--from <source>",
      "a gateway log instead: a file, or postgres://… (LiteLLM's database); writes a whole scenario to --out",
    )
    .option("--format <f>", "with --from: litellm, openrouter or otel")
    .option(
      "--holdout <share>",
      "with --from: share of the log (by time, at the end) to predict, not fit",
      "0.3",
    )
    .option(
      "--policy <file>",
      "with --from: YAML/JSON with the policy you ran (one, a list, or a scenario's policies)",
    )
    .option("--name <name>", "with --from: scenario name (default: the --out file's name)")
    .option("--bin-s <s>", "with --from: outage detection bin, seconds", "60")
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
    .action(async (dir: string | undefined, flags: CalibrateFlags) => {
      if (!["auto", "lognormal", "empirical"].includes(flags.fit))
        throw new UsageError(`--fit expects auto, lognormal or empirical, got "${flags.fit}"`);
      const tol = flags.tolerance === undefined ? undefined : Number(flags.tolerance);
      if (tol !== undefined && !(tol > 0))
        throw new UsageError(`--tolerance expects a positive number, got "${flags.tolerance}"`);
      if (flags.from !== undefined) {
        if (dir !== undefined) throw new UsageError("give an LLMPerf folder or --from <log>, not both");
        await calibrateFromLog(flags.from, flags, tol);
        return;
      }
      if (dir === undefined) throw new UsageError("missing the LLMPerf folder (or --from <log>)");
      const files = llmperfFiles(dir).filter((f) => !flags.only || basename(f).includes(flags.only));
      if (files.length === 0) throw new UsageError(`no LLMPerf files match --only ${flags.only}`);
      const runs = files.map((f) => calibrateRun(f, flags.fit as FitMode, tol));
      const yaml = calibrationYaml(runs, [
        `Calibrated by \`routesim calibrate\` from ${runs.length} LLMPerf runs (${flags.fit} fit).`,
        "TTFT in ms; decode speed in tokens/s = 1000 / inter-token latency (recomputed from tokens and latencies).",
        "Error rates count 429 and failed (-1 → 502) requests; -100 short outputs finished and are not errors.",
      ]);
      const table = `${fitTable(runs)}\n`;
      if (flags.out) writeFileAtomic(flags.out, yaml);
      else process.stdout.write(yaml);
      if (flags.table) writeFileAtomic(flags.table, table);
      else process.stderr.write(table);
    });
}
