/**
 * Running a sweep (or one shard of it) and merging shard folders. A sweep folder holds sweep.json
 * (the whole grid and which points are present) and one compare folder per point under points/;
 * its report.md / report.html are rebuilt from those folders. A shard runs work units (grid point
 * × replication) and keeps each replication's raw result (units/); merging folds every point's
 * replications in order, as the unsharded sweep does, so the merge is the same bytes.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { type ChartRenderer, renderHere } from "../report/charts.js";
import { renderSweepHtml } from "../report/sweep-html.js";
import { renderSweepMarkdown } from "../report/sweep-markdown.js";
import {
  type GridPoint,
  pointDir,
  readSweep,
  readSweepMeta,
  type Shard,
  SWEEP_SCHEMA_VERSION,
  type SweepMeta,
} from "../results/sweep-folder.js";
import { InputError } from "../scenario/errors.js";
import { loadScenario } from "../scenario/load.js";
import { routesimVersion } from "../simulate.js";
import {
  atomicDir,
  CompareFolder,
  type CompareOptions,
  planCompare,
  reportCompare,
  runInfo,
  writeCompareRun,
} from "./compare.js";
import { expandGrid, parseSets, pointScenario, rawScenario, shardUnits } from "./grid.js";
import { withJobs } from "./jobs.js";
import type { ReplicationResult } from "./replicate.js";
import { encodeResult, foldUnits } from "./units.js";

const unitFile = (point: number, rep: number): string =>
  `${pointDir(point)}-r${String(rep).padStart(4, "0")}.json`;

export interface SweepOptions extends Omit<CompareOptions, "source" | "outDir" | "point" | "wallClock"> {
  file: string;
  sets: readonly string[];
  shard: Shard | null;
  /** With `--shard auto`: the batch engine and the variables read (kept in each point's run.json). */
  shardFrom?: { engine: string; vars: Record<string, string> };
  outDir: string;
}

export async function sweep(o: SweepOptions): Promise<SweepMeta> {
  const raw = rawScenario(o.file);
  const axes = parseSets(o.file, o.sets);
  const grid = expandGrid(axes, o.file);
  const R = o.replications;
  const units = o.shard ? shardUnits(grid.length, R, o.shard) : null;
  const unitSet = new Set(units ?? []);
  const mine = units ? [...new Set(units.map((u) => Math.floor(u / R)))].map((i) => grid[i]) : grid;
  // Validate every grid point (not just this shard's) so all shards fail the same way, up front;
  // keep only this shard's scenarios (memory grows with the shard, not the grid).
  const scenarios = new Map<number, unknown>();
  const keep = new Set(mine.map((p) => p.index));
  for (const p of grid) {
    const obj = pointScenario(o.file, raw, p);
    if (keep.has(p.index)) scenarios.set(p.index, obj);
  }
  const plans = mine.map((p) =>
    planCompare({
      source: {
        kind: "object",
        input: scenarios.get(p.index),
        baseDir: resolve(o.file, ".."),
        label: o.file,
      },
      replications: o.replications,
      seed: o.seed,
      requests: o.requests,
      policies: o.policies,
      baseline: o.baseline,
      jobs: o.jobs,
      targetRelHalfWidth: o.targetRelHalfWidth,
      point: p.values as Record<string, string | number | boolean>,
    }),
  );
  const name = (rawName(raw) ?? "sweep") as string;
  const meta: SweepMeta = {
    schemaVersion: SWEEP_SCHEMA_VERSION,
    kind: "sweep",
    scenario: name,
    scenarioFile: relative(process.cwd(), resolve(o.file)) || o.file,
    axes,
    grid,
    shard: o.shard,
    points: mine.map((p) => p.index),
    replications: o.replications,
    seed: o.seed ?? null,
    requestsFlag: o.requests ?? null,
    scenarioHash: loadScenario(o.file).hash,
    routesimVersion: routesimVersion(),
    ...(units ? { units, ...(o.shardFrom ? { shardFrom: o.shardFrom } : {}) } : {}),
  };
  if (units) {
    await runShard(o, meta, plans, mine, unitSet);
    return meta;
  }
  const jobs = plans.flatMap((p) => p.jobs);
  const pointOf = plans.flatMap((p, i) => p.jobs.map(() => i));
  await atomicDir(o.outDir, async (tmp) => {
    const dirs = mine.map((p) => join(tmp, "points", pointDir(p.index)));
    // Each point's replications are folded as they come (in job order), and its data saved once
    // the last is in: no replication's timelines and no finished point's tables are kept, so
    // memory does not grow with the grid.
    const folders: (CompareFolder | null)[] = plans.map(() => new CompareFolder());
    const fold = (r: ReplicationResult, index: number): void => {
      const i = pointOf[index];
      const folder = folders[i]!;
      folder.add(r);
      if (folder.added < plans[i].jobs.length) return;
      mkdirSync(dirs[i], { recursive: true });
      const run = runInfo(o, null, folder.warnings);
      writeCompareRun(
        dirs[i],
        folder.data(plans[i].meta),
        o.shardFrom ? { ...run, shardFrom: o.shardFrom } : run,
      );
      folders[i] = null;
    };
    await withJobs(jobs, o.jobs, { onDone: o.onProgress, charts: true, fold }, async (_none, render) => {
      // A few points' reports at a time, enough to keep every runner drawing.
      await inTurns(dirs.length, 2 * Math.max(1, o.jobs), (i) => reportCompare(dirs[i], render));
      writeFileSync(join(tmp, "sweep.json"), `${JSON.stringify(meta, null, 2)}\n`);
      await renderSweepReports(tmp, render);
    });
  });
  return meta;
}

/** A shard: its units' raw results, each touched point's plan, sweep.json and a note. */
async function runShard(
  o: SweepOptions,
  meta: SweepMeta,
  plans: ReturnType<typeof planCompare>[],
  mine: GridPoint[],
  units: ReadonlySet<number>,
): Promise<void> {
  const R = o.replications;
  const jobs = plans.flatMap((p, i) => p.jobs.filter((j) => units.has(mine[i].index * R + j.replication)));
  await atomicDir(o.outDir, async (tmp) => {
    mkdirSync(join(tmp, "units"), { recursive: true });
    mkdirSync(join(tmp, "plans"), { recursive: true });
    for (const [i, p] of plans.entries())
      writeFileSync(join(tmp, "plans", `${pointDir(mine[i].index)}.json`), `${JSON.stringify(p.meta)}\n`);
    const pointOf = plans.flatMap((p, i) =>
      p.jobs.filter((j) => units.has(mine[i].index * R + j.replication)).map(() => mine[i].index),
    );
    const fold = (r: ReplicationResult, index: number): void => {
      const point = pointOf[index];
      writeFileSync(join(tmp, "units", unitFile(point, r.replication)), encodeResult(r));
    };
    await withJobs(jobs, o.jobs, { onDone: o.onProgress, fold }, async () => undefined);
    writeFileSync(join(tmp, "sweep.json"), `${JSON.stringify(meta, null, 2)}\n`);
    writeFileSync(
      join(tmp, "report.md"),
      `# Shard ${meta.shard!.index}/${meta.shard!.count} of sweep ${meta.scenario}\n\n${meta.units!.length} of ${meta.grid.length * R} work units (grid point × replication). Join all shards with \`routesim merge <shard folders> --out <dir>\` for the reports.\n`,
    );
  });
}

/**
 * Runs `task(0)` … `task(n − 1)`, at most `limit` at a time. After a failure no task starts; those
 * running settle before the first failure is thrown, so none is left unhandled.
 */
export async function inTurns(
  n: number,
  limit: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const lane = async (): Promise<void> => {
    while (next < n && failures.length === 0) {
      const i = next++;
      try {
        await task(i);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  if (failures.length > 0) throw failures[0];
}

function rawName(raw: unknown): string | undefined {
  const n = (raw as { name?: unknown }).name;
  return typeof n === "string" ? n : undefined;
}

export async function renderSweepReports(dir: string, render: ChartRenderer = renderHere): Promise<void> {
  const s = readSweep(dir);
  writeFileSync(join(dir, "report.md"), renderSweepMarkdown(s.meta, s.points));
  writeFileSync(join(dir, "report.html"), await renderSweepHtml(s.meta, s.points, render));
}

/** The same sweep? (grid, scenario, replications and seed must agree between shards.) */
function sweepKey(m: SweepMeta): string {
  return JSON.stringify([
    m.scenario,
    m.scenarioFile,
    m.scenarioHash,
    m.routesimVersion,
    m.axes,
    m.replications,
    m.seed,
    m.requestsFlag,
  ]);
}

/**
 * Which grid points shard folders hold, checked to be of one sweep with nothing twice. Unit shards
 * (units/) hold replications: a point is present when all its replications are.
 */
export function sweepCoverage(dirs: readonly string[]): {
  metas: SweepMeta[];
  owner: Map<number, string>;
  present: number[];
  missing: number[];
  /** Unit shards: the folder of each unit (point · replications + replication). */
  unitOwner: Map<number, string> | null;
} {
  if (dirs.length === 0)
    throw new InputError("<command line>", [{ path: "dirs", message: "expected at least one sweep folder" }]);
  const metas = dirs.map((d) => readSweepMeta(d));
  const key = sweepKey(metas[0]);
  const units = metas[0].units !== undefined;
  const R = metas[0].replications;
  const owner = new Map<number, string>();
  const unitOwner = units ? new Map<number, string>() : null;
  metas.forEach((m, i) => {
    if (sweepKey(m) !== key || (m.units !== undefined) !== units)
      throw new InputError(join(dirs[i], "sweep.json"), [
        {
          path: "",
          message: `not the same sweep as ${dirs[0]} (scenario file and its contents, --set axes, replications, seed, --requests and routesim version must match)`,
        },
      ]);
    if (unitOwner) {
      for (const u of m.units ?? []) {
        const prev = unitOwner.get(u);
        if (prev !== undefined)
          throw new InputError(join(dirs[i], "sweep.json"), [
            {
              path: "units",
              message: `grid point ${Math.floor(u / R)} replication ${u % R} is also in ${prev}`,
            },
          ]);
        unitOwner.set(u, dirs[i]);
      }
      return;
    }
    for (const p of m.points) {
      const prev = owner.get(p);
      if (prev !== undefined)
        throw new InputError(join(dirs[i], "sweep.json"), [
          { path: "points", message: `grid point ${p} is also in ${prev}` },
        ]);
      owner.set(p, dirs[i]);
    }
  });
  if (unitOwner)
    for (const g of metas[0].grid) {
      const all = Array.from({ length: R }, (_v, r) => unitOwner.get(g.index * R + r));
      if (all.every((d) => d !== undefined)) owner.set(g.index, all[0]!);
    }
  const present = [...owner.keys()].sort((a, b) => a - b);
  const missing = metas[0].grid.map((p) => p.index).filter((i) => !owner.has(i));
  return { metas, owner, present, missing, unitOwner };
}

/**
 * Merges shard folders of one sweep into `outDir`; every grid point must appear at most once, and
 * every point of the grid must be there unless `allowPartial` (the report then says which are not).
 */
export async function mergeSweeps(
  dirs: readonly string[],
  outDir: string,
  allowPartial = false,
): Promise<{ meta: SweepMeta; missing: number[] }> {
  const { metas, owner, present, missing, unitOwner } = sweepCoverage(dirs);
  if (missing.length && !allowPartial)
    throw new InputError("<command line>", [
      {
        path: "dirs",
        message: `grid points ${missing.join(", ")} (of ${metas[0].grid.length}) are missing or lack replications in these folders; rerun the shards that hold them (see merge --status), or merge with --allow-partial`,
      },
    ]);
  const { units: _u, shardFrom: _f, ...common } = metas[0];
  const meta: SweepMeta = { ...common, shard: null, points: present };
  const R = meta.replications;
  await atomicDir(outDir, async (tmp) => {
    for (const i of unitOwner ? present : []) {
      // Fold the point's replications in order, exactly as the unsharded sweep does.
      const dir = join(tmp, "points", pointDir(i));
      const plan = JSON.parse(readFileSync(join(owner.get(i)!, "plans", `${pointDir(i)}.json`), "utf8"));
      const folder = foldUnits(
        Array.from({ length: R }, (_v, r) => join(unitOwner!.get(i * R + r)!, "units", unitFile(i, r))),
      );
      mkdirSync(dir, { recursive: true });
      writeCompareRun(
        dir,
        folder.data(plan),
        runInfo({ command: "routesim merge", jobs: 1 }, null, folder.warnings),
      );
      await reportCompare(dir);
    }
    for (const i of unitOwner ? [] : present) {
      const from = join(owner.get(i)!, "points", pointDir(i));
      if (!existsSync(from) || readdirSync(from).length === 0)
        throw new InputError(from, [{ path: "", message: "point folder missing" }]);
      cpSync(from, join(tmp, "points", pointDir(i)), { recursive: true });
    }
    writeFileSync(join(tmp, "sweep.json"), `${JSON.stringify(meta, null, 2)}\n`);
    await renderSweepReports(tmp);
  });
  return { meta, missing };
}
