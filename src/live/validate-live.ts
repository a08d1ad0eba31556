/**
 * `routesim validate <scenario> --live <dir>`: a live results folder (from `drive`) against a
 * simulation of the same scenario and policy. The simulation goes to `<dir>/sim` (or a given
 * run folder); the verdicts to `<dir>/validation.md` and `validation.json`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../results/folder.js";
import { InputError } from "../scenario/errors.js";
import type { LoadedScenario } from "../scenario/load.js";
import type { PolicySpec } from "../scenario/schema.js";
import { simulate } from "../simulate.js";
import type { LiveInfo } from "../types.js";
import { type Check, renderChecks, validateDirs } from "./validate.js";

export interface LiveValidateOptions {
  /** The scenario policy to simulate (default: the one the live folder names). */
  policy?: string;
  /** An existing `routesim run` folder holding that policy (default: simulate into `<live>/sim`). */
  simDir?: string;
  zLimit?: number;
  /** Scenario ms the gateway may add to latencies (default 50 wall ms × the time scale). */
  overheadMs?: number;
}

export interface LiveValidation {
  policy: string;
  liveLabel: string;
  timeScale: number;
  simDir: string;
  checks: Check[];
  /** The side-by-side table (also written to validation.md). */
  markdown: string;
  warnings: string[];
}

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new InputError(file, [{ path: "", message: `missing: ${what}` }]);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new InputError(file, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
  }
}

/** The table's title: scenario, policy and, when not 1, the time scale. */
export function validationTitle(loaded: LoadedScenario, policy: string, timeScale: number): string {
  return `${loaded.scenario.name} · ${policy} (${timeScale}×)`;
}

export function validateLive(
  loaded: LoadedScenario,
  liveDir: string,
  opts: LiveValidateOptions = {},
): LiveValidation {
  const live = readJson<LiveInfo>(
    join(liveDir, "live.json"),
    "not a live results folder (no live.json): write one with routesim drive",
  );
  const run = readJson<{ scenarioHash?: string; policies?: { name: string }[] }>(
    join(liveDir, "run.json"),
    "run.json of the live results",
  );
  const liveLabel = run.policies?.[0]?.name ?? "";
  const names = loaded.scenario.policies.map((p) => p.name);
  const policy = opts.policy ?? liveLabel;
  const spec: PolicySpec | undefined = loaded.scenario.policies.find((p) => p.name === policy);
  if (spec === undefined)
    throw new InputError(loaded.file, [
      {
        path: "policies",
        message: `no policy named "${policy}" to simulate (policies: ${names.join(", ")}); name one with --policy`,
      },
    ]);
  const warnings: string[] = [];
  if (run.scenarioHash !== undefined && run.scenarioHash !== loaded.hash)
    warnings.push(
      `${loaded.file} changed since the live run (scenario hash ${run.scenarioHash.slice(0, 12)}…, now ${loaded.hash.slice(0, 12)}…): the two may not be the same experiment`,
    );
  const simDir = opts.simDir ?? join(liveDir, "sim");
  if (opts.simDir === undefined) simulate(loaded, { outDir: simDir, policies: [policy] });
  else if (!existsSync(join(simDir, "requests.csv")))
    throw new InputError(simDir, [{ path: "", message: "no requests.csv: not a routesim run folder" }]);
  const checks = validateDirs(simDir, policy, liveDir, {
    zLimit: opts.zLimit,
    overheadMs: opts.overheadMs ?? 50 * live.timeScale,
  });
  const markdown = renderChecks(validationTitle(loaded, policy, live.timeScale), checks);
  writeFileAtomic(join(liveDir, "validation.md"), markdown);
  writeFileAtomic(
    join(liveDir, "validation.json"),
    `${JSON.stringify({ scenario: loaded.scenario.name, policy, liveLabel, timeScale: live.timeScale, agree: checks.every((c) => c.agree), checks }, null, 2)}\n`,
  );
  return { policy, liveLabel, timeScale: live.timeScale, simDir, checks, markdown, warnings };
}
