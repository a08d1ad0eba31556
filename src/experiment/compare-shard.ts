/**
 * `compare --shard i/n`: one task's share of a comparison's replications (replication r runs in
 * shard r mod n + 1), each kept raw (units/), and `merge` of the shard folders: it folds all
 * replications in order, as an unsharded `compare` does, into the same folder byte for byte
 * (every file but run.json). The task holding replication 0 also keeps its attempt and request rows.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CompareMeta } from "../results/compare-folder.js";
import type { CompareSummary } from "../results/compare-summary.js";
import type { Shard } from "../results/sweep-folder.js";
import { InputError } from "../scenario/errors.js";
import {
  atomicDir,
  type CompareOptions,
  keepFirstReplicationRows,
  planCompare,
  runInfo,
  writeCompare,
} from "./compare.js";
import { withJobs } from "./jobs.js";
import type { ReplicationResult } from "./replicate.js";
import { encodeResult, foldUnits } from "./units.js";

export const SHARD_FILE = "compare-shard.json";

interface CompareShardMeta {
  kind: "compare-shard";
  schemaVersion: 1;
  shard: Shard;
  replications: number[];
  plan: Omit<CompareMeta, "requests">;
  shardFrom?: { engine: string; vars: Record<string, string> };
}

const unitFile = (r: number): string => `r${String(r).padStart(4, "0")}.json`;

export async function compareShard(
  o: CompareOptions & { outDir: string },
  shard: Shard,
  shardFrom?: CompareShardMeta["shardFrom"],
): Promise<CompareShardMeta> {
  const { jobs, meta } = planCompare(o);
  const mine = jobs.filter((j) => j.replication % shard.count === shard.index - 1);
  const head: CompareShardMeta = {
    kind: "compare-shard",
    schemaVersion: 1,
    shard,
    replications: mine.map((j) => j.replication),
    plan: meta,
    ...(shardFrom ? { shardFrom } : {}),
  };
  await atomicDir(o.outDir, async (tmp) => {
    mkdirSync(join(tmp, "units"));
    const rowsDir = o.rows !== false && mine[0]?.replication === 0 ? join(tmp, ".rows") : null;
    const run = rowsDir ? mine.map((j, i) => (i === 0 ? { ...j, rowsDir } : j)) : mine;
    const fold = (r: ReplicationResult): void =>
      writeFileSync(join(tmp, "units", unitFile(r.replication)), encodeResult(r));
    await withJobs(run, o.jobs, { onDone: o.onProgress, fold }, async () => undefined);
    if (rowsDir) keepFirstReplicationRows(rowsDir, tmp);
    writeFileSync(join(tmp, SHARD_FILE), `${JSON.stringify(head, null, 2)}\n`);
  });
  return head;
}

export const isCompareShard = (dir: string): boolean => existsSync(join(dir, SHARD_FILE));

function readShard(dir: string): CompareShardMeta {
  const file = join(dir, SHARD_FILE);
  try {
    const m = JSON.parse(readFileSync(file, "utf8")) as CompareShardMeta;
    if (m.kind !== "compare-shard" || m.schemaVersion !== 1) throw new Error("not a compare shard");
    return m;
  } catch (e) {
    throw new InputError(file, [{ path: "", message: (e as Error).message }]);
  }
}

/** Which replications compare shard folders hold (one comparison, none twice). */
export function compareCoverage(dirs: readonly string[]): {
  plan: Omit<CompareMeta, "requests">;
  owner: Map<number, string>;
  missing: number[];
} {
  const metas = dirs.map(readShard);
  const plan = metas[0].plan;
  const key = JSON.stringify(plan);
  const owner = new Map<number, string>();
  metas.forEach((m, i) => {
    if (JSON.stringify(m.plan) !== key)
      throw new InputError(join(dirs[i], SHARD_FILE), [
        {
          path: "plan",
          message: `not the same comparison as ${dirs[0]} (scenario, seeds, policies must match)`,
        },
      ]);
    for (const r of m.replications) {
      const prev = owner.get(r);
      if (prev !== undefined)
        throw new InputError(join(dirs[i], SHARD_FILE), [
          { path: "replications", message: `replication ${r} is also in ${prev}` },
        ]);
      owner.set(r, dirs[i]);
    }
  });
  const missing = Array.from({ length: plan.replications }, (_v, r) => r).filter((r) => !owner.has(r));
  return { plan, owner, missing };
}

/** Folds the shards' replications in order into the comparison folder `outDir`. */
export async function mergeCompareShards(dirs: readonly string[], outDir: string): Promise<CompareSummary> {
  const { plan, owner, missing } = compareCoverage(dirs);
  if (missing.length)
    throw new InputError("<command line>", [
      {
        path: "dirs",
        message: `replications ${missing.join(", ")} (of ${plan.replications}) are in none of the folders; rerun the shards that hold them (see merge --status)`,
      },
    ]);
  return atomicDir(outDir, async (tmp) => {
    const folder = foldUnits(
      Array.from({ length: plan.replications }, (_v, r) => join(owner.get(r)!, "units", unitFile(r))),
    );
    const first = owner.get(0)!;
    for (const f of ["attempts.csv", "requests.csv"])
      if (existsSync(join(first, f))) copyFileSync(join(first, f), join(tmp, f));
    return writeCompare(
      tmp,
      folder.data(plan),
      runInfo({ command: "routesim merge", jobs: 1 }, null, folder.warnings),
    );
  });
}
