/**
 * `compare`: R replications of every selected policy with derived seeds, on several threads or
 * inline (identical results), folded into per-replication tables, statistics and reports. Output
 * is written to a temp folder and renamed at the end, like `run`.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildCatalog } from "../providers/catalog.js";
import { type ChartRenderer, renderHere } from "../report/charts.js";
import { renderCompareMarkdown } from "../report/compare-markdown.js";
import { renderCompareHtml } from "../report/html.js";
import {
  COMPARE_SCHEMA_VERSION,
  type CompareData,
  type CompareMeta,
  readCompareData,
  writeCompareData,
} from "../results/compare-folder.js";
import { type CompareSummary, summarize } from "../results/compare-summary.js";
import { writeResultsFolderAsync } from "../results/folder.js";
import { InputError } from "../scenario/errors.js";
import { MAX_REPLICATIONS } from "../scenario/limits.js";
import { sloOf } from "../scenario/load.js";
import { describePolicies, routesimVersion } from "../simulate.js";
import { CONFIDENCE } from "../stats/ci.js";
import { withJobs } from "./jobs.js";
import {
  loadSource,
  type ReplicationJob,
  type ReplicationResult,
  replicationSeed,
  type ScenarioSource,
} from "./replicate.js";
import { TablesFolder } from "./tables.js";

export interface CompareOptions {
  source: ScenarioSource;
  replications: number;
  /** Root seed (default: the scenario's). */
  seed?: number;
  requests?: number;
  policies?: readonly string[];
  baseline?: string;
  /** Replications run at once: the main thread and jobs − 1 worker threads; 1 = inline. */
  jobs: number;
  /** Relative CI half-width beyond which replications needed are reported. */
  targetRelHalfWidth?: number;
  outDir?: string | null;
  /** Replace an existing results folder (one routesim marked) at the end; default true (the CLI passes --force). */
  replace?: boolean;
  /** Also write attempts.csv and requests.csv of the first replication (default true). */
  rows?: boolean;
  point?: Record<string, string | number | boolean>;
  onProgress?: (done: number, total: number) => void;
  /** For run.json only (never in summary.json: it must not depend on how the run was made). */
  command?: string;
  wallClock?: () => number;
}

export interface CompareResult {
  data: CompareData;
  summary: CompareSummary;
  outDir: string | null;
  /** Settings the runs could not simulate and suspicious values, once each (also in run.json). */
  warnings: string[];
}

/** Validates the options against the scenario and returns the jobs and the metadata. */
export function planCompare(o: CompareOptions): {
  jobs: ReplicationJob[];
  meta: Omit<CompareMeta, "requests">;
} {
  const loaded = loadSource(o.source, { seed: o.seed, requests: o.requests });
  const s = loaded.scenario;
  const file = loaded.file;
  const all = s.policies.map((p) => p.name);
  if (
    o.policies !== undefined &&
    !(Array.isArray(o.policies) && o.policies.every((p) => typeof p === "string"))
  )
    throw new InputError(file, [{ path: "--policies", message: "expected a list of policy names" }]);
  const policies = o.policies?.length ? [...o.policies] : all;
  const unknown = policies.filter((p) => !all.includes(p));
  if (unknown.length)
    throw new InputError(file, [
      {
        path: "--policies",
        message: `no policy named ${unknown.map((u) => `"${u}"`).join(", ")} (have ${all.join(", ")})`,
      },
    ]);
  const baseline = o.baseline ?? policies[0];
  if (!policies.includes(baseline))
    throw new InputError(file, [
      {
        path: "--baseline",
        message: `"${baseline}" is not among the compared policies (${policies.join(", ")})`,
      },
    ]);
  // A confidence interval needs two replications; the cap bounds the seeds and tables kept.
  if (!(Number.isInteger(o.replications) && o.replications >= 2 && o.replications <= MAX_REPLICATIONS))
    throw new InputError(file, [
      {
        path: "--replications",
        message: `expected an integer from 2 (a confidence interval needs two) to ${MAX_REPLICATIONS}, got ${String(o.replications)}`,
      },
    ]);
  if (!(Number.isInteger(o.jobs) && o.jobs >= 1 && o.jobs <= 1024))
    throw new InputError(file, [
      { path: "--jobs", message: `expected an integer from 1 to 1024, got ${String(o.jobs)}` },
    ]);
  if (o.targetRelHalfWidth !== undefined && !(o.targetRelHalfWidth > 0 && o.targetRelHalfWidth < 1))
    throw new InputError(file, [
      { path: "--target", message: `expected a fraction in (0, 1), got ${String(o.targetRelHalfWidth)}` },
    ]);
  const seeds = Array.from({ length: o.replications }, (_v, r) => replicationSeed(s.seed, r));
  const jobs = seeds.map((seed, replication) => ({
    source: o.source,
    replication,
    seed,
    requests: o.requests,
    policies,
  }));
  const scenarioFile =
    file === "<inline>"
      ? o.source.kind === "object"
        ? o.source.label
        : file
      : relative(process.cwd(), file) || file;
  return {
    jobs,
    meta: {
      schemaVersion: COMPARE_SCHEMA_VERSION,
      kind: "compare",
      scenario: s.name,
      description: s.description ?? "",
      scenarioFile,
      scenarioHash: loaded.hash,
      seed: s.seed,
      seeds,
      replications: o.replications,
      requestsFlag: o.requests ?? null,
      policies,
      baseline,
      confidence: CONFIDENCE,
      targetRelHalfWidth: o.targetRelHalfWidth ?? 0.05,
      endpoints: buildCatalog(s.providers).map((e) => ({
        tag: e.label,
        model: e.model,
        prompt: e.price.prompt,
        completion: e.price.completion,
      })),
      bucketS: 1,
      ...(o.point ? { point: o.point } : {}),
      models: describePolicies(loaded, policies),
      routesimVersion: routesimVersion(),
      ...(s.slo ? { slo: sloOf(s)! } : {}),
    },
  };
}

/**
 * Writes summary.json, report.md and report.html of a results folder from its saved data. The
 * charts are asked for first: drawn on another thread (see ChartRenderer), they are drawn while
 * this one writes the Markdown.
 */
export async function renderReports(
  dir: string,
  render: ChartRenderer = renderHere,
): Promise<CompareSummary> {
  const data = readCompareData(dir);
  const summary = summarize(data);
  const html = renderCompareHtml(data, summary, render);
  try {
    writeFileSync(join(dir, "report.md"), renderCompareMarkdown(data, summary));
  } finally {
    // Awaited either way, so a failure of the charts is never left unhandled.
    writeFileSync(join(dir, "report.html"), await html);
  }
  return summary;
}

/**
 * Folds one comparison's replication results, one at a time in job order, into its saved tables
 * and the warnings its runs gave (see TablesFolder: it holds no replication's timelines).
 */
export class CompareFolder {
  private readonly tables = new TablesFolder();
  private requests = 0;
  private count = 0;
  private readonly warned = new Set<string>();

  add(r: ReplicationResult): void {
    this.tables.add(r);
    this.requests += r.requests;
    this.count++;
    for (const w of r.warnings) this.warned.add(w);
  }

  /** Replications added so far. */
  get added(): number {
    return this.count;
  }

  data(meta: Omit<CompareMeta, "requests">): CompareData {
    const { bucketS, ...tables } = this.tables.tables();
    const requests = Math.round(this.requests / Math.max(1, this.count));
    const warnings = this.warnings;
    return { meta: { ...meta, requests, bucketS, ...(warnings.length ? { warnings } : {}) }, ...tables };
  }

  /** Every warning of the runs, once each, in the order they first came. */
  get warnings(): string[] {
    return [...this.warned];
  }
}

/** Writes a complete comparison folder (data, summary.json, reports, run.json) into `dir`. */
export async function writeCompare(
  dir: string,
  data: CompareData,
  run: object,
  render: ChartRenderer = renderHere,
): Promise<CompareSummary> {
  writeCompareRun(dir, data, run);
  return reportCompare(dir, render);
}

/** The saved data and run.json of a comparison folder: what its reports are rebuilt from. */
export function writeCompareRun(dir: string, data: CompareData, run: object): void {
  writeCompareData(dir, data);
  writeFileSync(join(dir, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
}

/** Completes a comparison folder written by `writeCompareRun`: reports and summary.json. */
export async function reportCompare(
  dir: string,
  render: ChartRenderer = renderHere,
): Promise<CompareSummary> {
  // Reports are built from the saved files, exactly as `routesim report` rebuilds them.
  const summary = await renderReports(dir, render);
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** Moves replication 1's attempt and request rows (written by its job, see `rowsDir`) into `dir`. */
export function keepFirstReplicationRows(rowsDir: string, dir: string): void {
  for (const f of ["attempts.csv", "requests.csv"]) renameSync(join(rowsDir, f), join(dir, f));
  rmSync(rowsDir, { recursive: true, force: true });
}

/**
 * Runs `fill(tmp)` in a temp folder next to `outDir`, then renames it into place (never
 * half-written; see results/folder.ts for the lock, marker and cleanup).
 */
export function atomicDir<T>(
  outDir: string,
  fill: (tmp: string) => Promise<T>,
  o: { replace?: boolean } = {},
): Promise<T> {
  return writeResultsFolderAsync(outDir, fill, o);
}

export function runInfo(
  o: { command?: string; jobs: number },
  wallMs: number | null,
  warnings: readonly string[],
) {
  return {
    command: o.command ?? null,
    jobs: o.jobs,
    wallTimeMs: wallMs,
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    warnings: [...warnings],
  };
}

export async function compare(o: CompareOptions): Promise<CompareResult> {
  const t0 = o.wallClock?.();
  const { jobs, meta } = planCompare(o);
  const outDir = o.outDir ?? null;
  // Results are folded as they come (in job order), not kept: memory does not grow with -r.
  const folder = new CompareFolder();
  const fold = (r: ReplicationResult): void => folder.add(r);
  if (!outDir)
    return withJobs(jobs, o.jobs, { onDone: o.onProgress, fold }, async () => {
      const data = folder.data(meta);
      return { data, summary: summarize(data), outDir: null, warnings: folder.warnings };
    });
  const summary = await atomicDir(
    outDir,
    (tmp) => {
      // Replication 1 writes its rows as it runs, next to the other replications (not after them).
      const rowsDir = o.rows !== false ? join(tmp, ".rows") : null;
      const run = rowsDir ? jobs.map((j, i) => (i === 0 ? { ...j, rowsDir } : j)) : jobs;
      return withJobs(run, o.jobs, { onDone: o.onProgress, charts: true, fold }, (_none, render) => {
        if (rowsDir) keepFirstReplicationRows(rowsDir, tmp);
        const wall = o.wallClock && t0 !== undefined ? o.wallClock() - t0 : null;
        return writeCompare(tmp, folder.data(meta), runInfo(o, wall, folder.warnings), render);
      });
    },
    { replace: o.replace },
  );
  return { data: readCompareData(outDir), summary, outDir, warnings: folder.warnings };
}
