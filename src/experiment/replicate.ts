/**
 * One replication of a comparison: every selected policy of the scenario, run with one derived
 * seed, measured by the run collector plus compare's extra observers. Pure: the same job gives the
 * same result on the main thread or in a worker.
 */

import { TIMELINE_BUCKET_MS, type Timeline, TimelineObserver } from "../metrics/timeline.js";
import { hashKey } from "../rng/rng.js";
import { type LoadedScenario, loadScenario, scenarioFromObject } from "../scenario/load.js";
import { simulate, tee } from "../simulate.js";
import { ExtraMetrics } from "./metrics.js";

/** Where a job's scenario comes from: a file, or an already-edited object (sweep grid points). */
export type ScenarioSource =
  | { kind: "file"; path: string }
  | { kind: "object"; input: unknown; baseDir: string; label: string };

export interface ReplicationJob {
  source: ScenarioSource;
  replication: number;
  seed: number;
  requests?: number;
  policies?: readonly string[];
  /**
   * Also write this replication's run folder here (attempts.csv and requests.csv among it), as
   * `routesim run` would. The result is the same with or without.
   */
  rowsDir?: string;
}

export interface PolicyReplication {
  policy: string;
  /** Flat named metric values (see ExtraMetrics.values). NaN = not observed. */
  values: Record<string, number>;
  /** Latency (ms) at CDF_QUANTILES. */
  latencyCdf: number[];
  timeline: Timeline;
}

export interface ReplicationResult {
  replication: number;
  seed: number;
  requests: number;
  policies: PolicyReplication[];
  warnings: string[];
}

/** Seed of replication r, derived from the root seed (31-bit, valid as a scenario seed). */
export function replicationSeed(root: number, r: number): number {
  return hashKey([root, "replication", r])[0] >>> 1;
}

export function loadSource(
  src: ScenarioSource,
  overrides: { seed?: number; requests?: number },
): LoadedScenario {
  if (src.kind === "file") return loadScenario(src.path, overrides);
  return scenarioFromObject(src.input, overrides, src.baseDir);
}

export function runReplication(job: ReplicationJob): ReplicationResult {
  const loaded = loadSource(job.source, { seed: job.seed, requests: job.requests });
  const runs: { extra: ExtraMetrics; finish: () => Timeline }[] = [];
  const { summary } = simulate(loaded, {
    outDir: job.rowsDir ?? null,
    policies: job.policies,
    observe: ({ farm, catalog }) => {
      const extra = new ExtraMetrics(catalog, loaded.scenario.providers);
      const timeline = new TimelineObserver(catalog, TIMELINE_BUCKET_MS, farm.outageSources);
      // The series ends with the run's last attempt or request, not with the clock (see lastActivityMs).
      runs.push({ extra, finish: () => timeline.finish(timeline.lastActivityMs, farm.outageSources) });
      return tee(extra, timeline);
    },
  });
  return {
    replication: job.replication,
    seed: job.seed,
    requests: summary.requests,
    warnings: summary.warnings,
    policies: summary.policies.map((p, i) => {
      const timeline = runs[i].finish();
      return {
        policy: p.name,
        values: runs[i].extra.values(p, timeline),
        latencyCdf: runs[i].extra.latencyCdf(),
        timeline,
      };
    }),
  };
}
