/**
 * The frame of the live gateway suites (test/live/portkey.test.ts, nginx.test.ts): where results
 * go (kept under ROUTESIM_LIVE_RESULTS with a validation.md, else a temp folder removed after),
 * the cases, and the one check every live policy gets against its simulation.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect } from "vitest";
import {
  type Check,
  readRequests,
  renderChecks,
  validateDirs,
  validateRows,
} from "../../src/live/validate.js";

export type Metrics = Map<string, Check>;

export interface LiveCase {
  scenario: string;
  /** Scenario time runs this many times faster than wall time. */
  timeScale: number;
  /** Policies replayed live, each with what must show in its live results (non-vacuous checks). */
  policies: Record<string, (m: Metrics) => void>;
  /** Also validated against the first policy's live results: must disagree on these metrics. */
  impostor?: { policy: string; disagreeOn: string[] };
}

export const live = (m: Metrics, metric: string): number => m.get(metric)?.live ?? Number.NaN;

/** The suite's results folder and its validation tables (written at the end when kept). */
export function liveResults(name: string, title: string): { out: string; tables: string[] } {
  const keep = process.env.ROUTESIM_LIVE_RESULTS;
  const out = keep ? resolve(keep) : mkdtempSync(join(tmpdir(), `routesim-live-${name}-`));
  const tables: string[] = [];
  afterAll(() => {
    if (keep) writeFileSync(join(out, "validation.md"), `# ${title}\n\n${tables.join("\n")}`);
    else rmSync(out, { recursive: true, force: true });
  });
  return { out, tables };
}

/**
 * A live policy's folder against the simulation in `dir/sim`: every metric agrees (the gateway's
 * own overhead, 50 wall ms, is allowed on quantiles), what the case says must show does, and the
 * impostor policy disagrees with the first policy's live results where the case says.
 */
export function expectLiveAgrees(
  c: LiveCase,
  dir: string,
  scenario: string,
  policy: string,
  liveDir: string,
  tables: string[],
): void {
  const checks = validateDirs(join(dir, "sim"), policy, liveDir, { overheadMs: 50 * c.timeScale });
  tables.push(renderChecks(`${scenario} · ${policy} (${c.timeScale}×)`, checks));
  expect(checks.filter((x) => !x.agree).map((x) => x.metric)).toEqual([]);
  c.policies[policy](new Map(checks.map((x) => [x.metric, x])));
  if (c.impostor && policy === Object.keys(c.policies)[0]) {
    const other = validateRows(readRequests(join(dir, "sim"), c.impostor.policy), readRequests(liveDir));
    expect(other.filter((x) => !x.agree).map((x) => x.metric)).toEqual(
      expect.arrayContaining(c.impostor.disagreeOn),
    );
  }
}
