/**
 * The saved form of a comparison, from which every report is rebuilt (`routesim report`):
 * compare.json (what was run), replications.csv (every metric of every policy in every
 * replication), latency_cdf.csv, timeline.csv (counts summed over replications) and outages.csv.
 */

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { field, parseCsv, unfield } from "../metrics/csv.js";
import type { PolicyModel } from "../policies/describe.js";
import { InputError } from "../scenario/errors.js";
import type { Slo } from "../types.js";

export const COMPARE_SCHEMA_VERSION = 2;

export interface EndpointInfo {
  tag: string;
  model: string;
  /** USD per million prompt / completion tokens. */
  prompt: number;
  completion: number;
}

/** compare.json: the inputs of a comparison. */
export interface CompareMeta {
  schemaVersion: number;
  kind: "compare";
  scenario: string;
  description: string;
  scenarioFile: string;
  scenarioHash: string;
  /** Root seed; replication r runs with seeds[r] (derived from it). */
  seed: number;
  seeds: number[];
  replications: number;
  /** Mean requests per replication (arrivals are random when the traffic runs for a duration). */
  requests: number;
  /** The --requests override, if one was given. */
  requestsFlag: number | null;
  policies: string[];
  baseline: string;
  confidence: number;
  /** Relative CI half-width considered precise enough (replications needed are given beyond it). */
  targetRelHalfWidth: number;
  endpoints: EndpointInfo[];
  /** Timeline bucket in seconds (timeline.csv). */
  bucketS: number;
  /** Sweep grid point this comparison belongs to, if any ("providers[0].price.prompt" → value). */
  point?: Record<string, string | number | boolean>;
  /** What each policy models (gateway and version, timeout, billing); absent in older folders. */
  models?: PolicyModel[];
  routesimVersion: string;
  /**
   * Set when the "replications" are batches of single runs (`compare --from`, `report` or `diff`
   * of run folders): how many, the requests of the smallest run, and where each policy came from.
   */
  batchMeans?: { batches: number; requests: number; sources: ResultSource[] };
  /** Settings the runs could not simulate and suspicious values, once each (absent when none). */
  warnings?: string[];
  /** The scenario's service-level targets, when it sets them (goodput is measured against them). */
  slo?: Slo;
}

/** Where a policy of a batch-means comparison came from (a run or drive folder). */
export interface ResultSource {
  policy: string;
  /** The policy's name in its own folder. */
  name: string;
  dir: string;
  kind: "live" | "simulated";
  gateway?: string;
  timeScale?: number;
  requests: number;
}

export interface MetricRow {
  replication: number;
  seed: number;
  policy: string;
  metric: string;
  value: number;
}

export interface TimelineRow {
  policy: string;
  tS: number;
  /** requests | failed | served:<tag> | attempts:<tag> */
  series: string;
  count: number;
}

export interface OutageRow {
  replication: number;
  endpoint: string;
  source: string;
  startS: number;
  endS: number;
  status: number;
  errorRate: number;
}

export interface CdfRow {
  policy: string;
  quantile: number;
  latencyMs: number;
}

/** Everything a report is made from. */
export interface CompareData {
  meta: CompareMeta;
  rows: MetricRow[];
  cdf: CdfRow[];
  timeline: TimelineRow[];
  outages: OutageRow[];
}

/** Numbers as shortest round-trip text (NaN → empty), so reading back gives the same doubles. */
const num = (v: number): string => (Number.isFinite(v) ? String(v) : "");
// Strings as every routesim CSV writes them (quoted when needed, formula-guarded; see csv.ts).
const q = (s: string): string => field(s);

export function writeCompareData(dir: string, d: CompareData): void {
  writeFileSync(join(dir, "compare.json"), `${JSON.stringify(d.meta, null, 2)}\n`);
  const csv = (name: string, head: string[], lines: string[]): void =>
    writeFileSync(join(dir, name), `${[head.join(","), ...lines].join("\n")}\n`);
  csv(
    "replications.csv",
    ["replication", "seed", "policy", "metric", "value"],
    d.rows.map((r) => [r.replication, r.seed, q(r.policy), q(r.metric), num(r.value)].join(",")),
  );
  csv(
    "latency_cdf.csv",
    ["policy", "quantile", "latency_ms"],
    d.cdf.map((r) => [q(r.policy), num(r.quantile), num(r.latencyMs)].join(",")),
  );
  csv(
    "timeline.csv",
    ["policy", "t_s", "series", "count"],
    d.timeline.map((r) => [q(r.policy), r.tS, q(r.series), r.count].join(",")),
  );
  csv(
    "outages.csv",
    ["replication", "endpoint", "source", "start_s", "end_s", "status", "error_rate"],
    d.outages.map((r) =>
      [
        r.replication,
        q(r.endpoint),
        q(r.source),
        num(r.startS),
        num(r.endS),
        r.status,
        num(r.errorRate),
      ].join(","),
    ),
  );
}

/** Reads one of routesim's own CSV files (quoted commas, quotes and newlines round-trip). */
function readCsv(dir: string, name: string, head: readonly string[]): string[][] {
  const file = join(dir, name);
  if (!existsSync(file))
    throw new InputError(file, [{ path: "", message: "file not found (not a compare results folder?)" }]);
  const parsed = parseCsv(readFileSync(file, "utf8"));
  if (!("records" in parsed))
    throw new InputError(file, [
      { path: `line ${parsed.brokenAtLine}`, message: "unterminated quoted field" },
    ]);
  const records = parsed.records.filter((r) => r.length > 1 || r[0] !== "");
  const got = (records[0] ?? []).map(unfield);
  if (got.join(",") !== head.join(","))
    throw new InputError(file, [{ path: "line 1", message: `expected header ${head.join(",")}` }]);
  return records.slice(1).map((r, i) => {
    if (r.length !== head.length)
      throw new InputError(file, [
        { path: `record ${i + 2}`, message: `expected ${head.length} fields, got ${r.length}` },
      ]);
    return r.map(unfield);
  });
}

const toNum = (s: string): number => (s === "" ? Number.NaN : Number(s));

/** Reads a results folder's JSON header and checks its kind and schema version. */
export function readVersionedJson<T extends { kind: string; schemaVersion: number }>(
  file: string,
  kind: T["kind"],
  version: number,
): T {
  if (!existsSync(file))
    throw new InputError(file, [{ path: "", message: `file not found (not a ${kind} results folder?)` }]);
  let meta: T;
  try {
    meta = JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new InputError(file, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
  }
  if (meta?.kind !== kind || meta.schemaVersion !== version)
    throw new InputError(file, [
      { path: "schemaVersion", message: `expected a ${kind} result with schemaVersion ${version}` },
    ]);
  return meta;
}

/** Reads a compare results folder back (the inverse of writeCompareData). */
export function readCompareData(dir: string): CompareData {
  const meta = readVersionedJson<CompareMeta>(join(dir, "compare.json"), "compare", COMPARE_SCHEMA_VERSION);
  return {
    meta,
    rows: readCsv(dir, "replications.csv", ["replication", "seed", "policy", "metric", "value"]).map((f) => ({
      replication: Number(f[0]),
      seed: Number(f[1]),
      policy: f[2],
      metric: f[3],
      value: toNum(f[4]),
    })),
    cdf: readCsv(dir, "latency_cdf.csv", ["policy", "quantile", "latency_ms"]).map((f) => ({
      policy: f[0],
      quantile: toNum(f[1]),
      latencyMs: toNum(f[2]),
    })),
    timeline: readCsv(dir, "timeline.csv", ["policy", "t_s", "series", "count"]).map((f) => ({
      policy: f[0],
      tS: Number(f[1]),
      series: f[2],
      count: Number(f[3]),
    })),
    outages: readCsv(dir, "outages.csv", [
      "replication",
      "endpoint",
      "source",
      "start_s",
      "end_s",
      "status",
      "error_rate",
    ]).map((f) => ({
      replication: Number(f[0]),
      endpoint: f[1],
      source: f[2],
      startS: toNum(f[3]),
      endS: toNum(f[4]),
      status: Number(f[5]),
      errorRate: toNum(f[6]),
    })),
  };
}
