/**
 * A run folder (one replication: `routesim run`, or a live `routesim drive`) as read back: its
 * summary.json, run.json and live.json, and the scenario it ran (its attempt and request rows are
 * read where they are replayed, experiment/batch-means.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import type { RunInfo, Summary } from "../metrics/summary.js";
import { InputError } from "../scenario/errors.js";
import { type LoadedScenario, loadScenario } from "../scenario/load.js";
import type { LiveInfo } from "../types.js";

/** A run folder as read back: its JSON files and the scenario it ran. */
export interface RunFolder {
  dir: string;
  summary: Summary;
  run: RunInfo;
  /** live.json of a `drive` folder; null for a simulated run. */
  live: LiveInfo | null;
  loaded: LoadedScenario;
}

function readJson<T>(file: string, reviver?: (key: string, value: unknown) => unknown): T {
  try {
    return JSON.parse(readFileSync(file, "utf8"), reviver) as T;
  } catch (e) {
    throw new InputError(file, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
  }
}

/** True when `dir` looks like a run folder (run or drive), not a comparison or a sweep. */
export function isRunFolder(dir: string): boolean {
  return (
    existsSync(join(dir, "summary.json")) &&
    existsSync(join(dir, "run.json")) &&
    !existsSync(join(dir, "compare.json")) &&
    !existsSync(join(dir, "sweep.json"))
  );
}

/**
 * Reads a run folder's JSON files and loads its scenario (the endpoints, prices and outage windows
 * come from it): `scenario` if given, else the file run.json names, checked against its hash.
 */
export function readRunFolder(dir: string, scenario?: string | LoadedScenario): RunFolder {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory())
    throw new InputError(abs, [{ path: "", message: "not a folder" }]);
  for (const f of ["summary.json", "run.json"])
    if (!existsSync(join(abs, f)))
      throw new InputError(join(abs, f), [
        { path: "", message: "file not found (not a run folder of routesim run or drive?)" },
      ]);
  // summary.json writes a metric nobody observed (a latency with no request served) as null.
  const summary = readJson<Summary>(join(abs, "summary.json"), (_k, v) => (v === null ? Number.NaN : v));
  const run = readJson<RunInfo>(join(abs, "run.json"));
  if (summary?.schemaVersion !== 1 || !Array.isArray(summary.policies))
    throw new InputError(join(abs, "summary.json"), [
      { path: "schemaVersion", message: "expected the summary of a run (schemaVersion 1)" },
    ]);
  for (const f of ["requests.csv", "attempts.csv"])
    if (!existsSync(join(abs, f)))
      throw new InputError(join(abs, f), [
        {
          path: "",
          message: "file not found: intervals need the rows (a run with --summary-only has none)",
        },
      ]);
  const live = existsSync(join(abs, "live.json")) ? readJson<LiveInfo>(join(abs, "live.json")) : null;
  if (typeof scenario === "object") return { dir: abs, summary, run, live, loaded: scenario };
  const file = scenario ?? run.scenarioFile;
  const path = isAbsolute(file) ? file : resolve(file);
  if (!existsSync(path))
    throw new InputError(join(abs, "run.json"), [
      {
        path: "scenarioFile",
        message: `the scenario this run used (${file}) is not there; name it with --scenario <file>`,
      },
    ]);
  const loaded = loadScenario(path, { seed: summary.seed });
  if (scenario === undefined && loaded.hash !== run.scenarioHash)
    throw new InputError(join(abs, "run.json"), [
      {
        path: "scenarioHash",
        message: `${file} changed since this run (sha256 ${run.scenarioHash.slice(0, 12)}…); name the original with --scenario <file>`,
      },
    ]);
  return { dir: abs, summary, run, live, loaded };
}
