/**
 * A sweep results folder: sweep.json (the grid, and which points are present) and one comparison
 * folder per grid point under points/ (results/compare-folder.ts); read back with each point's
 * summary.
 */
import { join } from "node:path";
import { InputError } from "../scenario/errors.js";
import { readCompareData, readVersionedJson } from "./compare-folder.js";
import { type CompareSummary, summarize } from "./compare-summary.js";

export type SetValue = string | number | boolean | null;

export interface SweepAxis {
  /** Scenario path, e.g. `providers[0].price.prompt`. */
  path: string;
  values: SetValue[];
}

export interface GridPoint {
  index: number;
  values: Record<string, SetValue>;
}

export interface Shard {
  /** 1-based shard number. */
  index: number;
  count: number;
}

/** Folder of grid point `index` inside a sweep folder's points/. */
export const pointDir = (index: number): string => `p${String(index).padStart(4, "0")}`;

export const SWEEP_SCHEMA_VERSION = 1;

export interface SweepMeta {
  schemaVersion: number;
  kind: "sweep";
  scenario: string;
  scenarioFile: string;
  axes: SweepAxis[];
  grid: GridPoint[];
  /** The shard this folder ran, or null for the whole grid / a merge. */
  shard: Shard | null;
  /** Grid indices present in points/. */
  points: number[];
  replications: number;
  seed: number | null;
  requestsFlag: number | null;
  /** SHA-256 of the scenario file and the routesim that ran it: shards must agree on both. */
  scenarioHash?: string;
  routesimVersion?: string;
  /** Shard folders only: the units run (point · replications + replication), and from where. */
  units?: number[];
  shardFrom?: { engine: string; vars: Record<string, string> };
}

export interface SweepPointResult {
  point: GridPoint;
  summary: CompareSummary;
}

export function readSweepMeta(dir: string): SweepMeta {
  return readVersionedJson<SweepMeta>(join(dir, "sweep.json"), "sweep", SWEEP_SCHEMA_VERSION);
}

/** The sweep's points and their summaries (each point's data is read, summarized and let go). */
export function readSweep(dir: string): { meta: SweepMeta; points: SweepPointResult[] } {
  const meta = readSweepMeta(dir);
  if (meta.units)
    throw new InputError(join(dir, "sweep.json"), [
      {
        path: "units",
        message: "a shard folder holds work units, not points: join the shards with routesim merge first",
      },
    ]);
  const points = meta.points.map((i) => ({
    point: meta.grid[i],
    summary: summarize(readCompareData(join(dir, "points", pointDir(i)))),
  }));
  return { meta, points };
}
