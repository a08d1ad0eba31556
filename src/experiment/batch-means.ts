/**
 * Run folders (one replication: `routesim run`, or a live `routesim drive`) read back as a
 * comparison, so `report`, `diff` and `compare --from` give them confidence intervals too.
 *
 * One run has no replications to spread over, so the intervals come from batch means (Law &
 * Kelton, ch. 9): the run's requests, in arrival order, are cut into B consecutive batches of
 * equal size, every metric is measured per batch, and the B batch values take the place of
 * replications. Batches of two runs of the same traffic hold the same requests, so differences
 * pair by batch. Whole-run figures that a batch cannot give (recovery after an outage, load
 * during incidents, the latency CDF, the timeline) are measured once over the whole run.
 */
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { ATTEMPT_COLUMNS, PolicyMetrics, REQUEST_COLUMNS } from "../metrics/collector.js";
import { CsvBroken, csvRecords } from "../metrics/csv.js";
import { TIMELINE_BUCKET_MS, type Timeline, TimelineObserver } from "../metrics/timeline.js";
import type { PolicyModel } from "../policies/describe.js";
import { buildCatalog } from "../providers/catalog.js";
import { ProviderFarm } from "../providers/farm.js";
import { type ChartRenderer, renderHere } from "../report/charts.js";
import { renderCompareHtml } from "../report/html.js";
import { renderMarkdown } from "../report/markdown.js";
import { intervalsMarkdown, liveMarkdown } from "../report/run-markdown.js";
import {
  COMPARE_SCHEMA_VERSION,
  type CompareData,
  type CompareMeta,
  type ResultSource,
  readCompareData,
} from "../results/compare-folder.js";
import { summarize } from "../results/compare-summary.js";
import { isRunFolder, type RunFolder, readRunFolder } from "../results/run-folder.js";
import { InputError } from "../scenario/errors.js";
import { type LoadedScenario, sloOf } from "../scenario/load.js";
import { Simulator } from "../sim/kernel.js";
import { CONFIDENCE } from "../stats/ci.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../types.js";
import { ExtraMetrics } from "./metrics.js";
import type { ReplicationResult } from "./replicate.js";
import { TablesFolder } from "./tables.js";
import { UNKNOWN_DECISION } from "./why.js";

/** Default batches: 20 at most, at least 30 requests each (fewer, smaller runs get fewer). */
export function defaultBatches(requests: number): number {
  return Math.max(1, Math.min(20, Math.floor(requests / 30)));
}

export const MAX_BATCHES = 1000;

const num = (s: string): number => (s === "" ? Number.NaN : Number(s));

/** The observers of one policy's batch (or of its whole run). */
class Measure {
  readonly metrics: PolicyMetrics;
  readonly extra: ExtraMetrics;
  constructor(name: string, catalog: readonly Endpoint[], loaded: LoadedScenario) {
    this.metrics = new PolicyMetrics(name, null, null, catalog, sloOf(loaded.scenario));
    this.extra = new ExtraMetrics(catalog, loaded.scenario.providers);
  }
}

/** Everything measured of one policy of one run folder. */
interface PolicyRun {
  name: string;
  source: ResultSource;
  model: PolicyModel | undefined;
  batches: Measure[];
  whole: Measure;
  timeline: Timeline;
  requests: number;
}

/**
 * Replays one policy's rows from a run folder into batch and whole-run observers. The requests
 * come in the order of their ids (arrival order); the batch of request i of n is ⌊i·B/n⌋.
 */
function measurePolicy(f: RunFolder, name: string, batches: number, label: string): PolicyRun {
  const catalog = buildCatalog(f.loaded.scenario.providers);
  const byKey = new Map(catalog.map((e) => [`${e.tag}\u0000${e.model}`, e]));
  const endpoint = (file: string, line: number, tag: string, model: string): Endpoint => {
    const e = byKey.get(`${tag}\u0000${model}`);
    if (!e)
      throw new InputError(file, [
        {
          path: `line ${line}`,
          message: `provider "${tag}" with model "${model}" is not an endpoint of scenario ${f.loaded.scenario.name}`,
        },
      ]);
    return e;
  };
  const rows = (file: string, head: readonly string[]) => {
    const it = csvRecords(file);
    const first = it.next();
    const cols = first.done ? [] : first.value.fields;
    const missing = head.filter((h) => !cols.includes(h));
    if (missing.length)
      throw new InputError(file, [{ path: "line 1", message: `missing column(s) ${missing.join(", ")}` }]);
    // Column index by name (older folders may lack the newer columns, e.g. cache_hit: -1).
    const c: Record<string, number> = Object.fromEntries(cols.map((h, i) => [h, i]));
    const col = (h: string): number => c[h] ?? -1;
    return { it, col };
  };
  const guard = <T>(file: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof CsvBroken)
        throw new InputError(file, [{ path: `line ${e.line}`, message: e.message }]);
      throw e;
    }
  };

  // Pass 1: the policy's request ids in order (they fix the batches).
  const reqFile = join(f.dir, "requests.csv");
  const ids: number[] = [];
  guard(reqFile, () => {
    const { it, col } = rows(reqFile, ["policy", "request_id"]);
    const [p, id] = [col("policy"), col("request_id")];
    for (const r of it) if (r.fields[p] === name) ids.push(Number(r.fields[id]));
  });
  const sortedIds = Float64Array.from(ids).sort();
  const n = sortedIds.length;
  const rank = (id: number): number => {
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sortedIds[mid] < id) lo = mid + 1;
      else if (sortedIds[mid] > id) hi = mid - 1;
      else return mid;
    }
    return -1;
  };
  const batchOf = (i: number): number => Math.floor((i * batches) / Math.max(1, n));
  const ms = Array.from({ length: batches }, () => new Measure(label, catalog, f.loaded));
  const whole = new Measure(label, catalog, f.loaded);
  const farm = new ProviderFarm(
    new Simulator(),
    f.loaded.scenario.providers,
    f.loaded.scenario.outage_groups ?? [],
    f.loaded.scenario.seed,
  );
  const timeline = new TimelineObserver(catalog, TIMELINE_BUCKET_MS, farm.outageSources);
  // The cost of each request's last attempt (the serving one): what a served request did not waste.
  const lastCost = new Float64Array(n);
  const lastK = new Int32Array(n);

  // Pass 2: attempts.
  const attFile = join(f.dir, "attempts.csv");
  guard(attFile, () => {
    const { it, col } = rows(attFile, ATTEMPT_COLUMNS);
    const at = ATTEMPT_COLUMNS.map(col);
    for (const { fields: x, line } of it) {
      if (x[at[0]] !== name) continue;
      const id = Number(x[at[1]]);
      const i = rank(id);
      if (i < 0)
        throw new InputError(attFile, [
          { path: `line ${line}`, message: `request ${x[at[1]]} has no row in requests.csv` },
        ]);
      const a: AttemptRecord = {
        policy: label,
        requestId: id,
        attempt: Number(x[at[2]]),
        endpoint: endpoint(attFile, line, x[at[3]], x[at[4]]),
        startMs: num(x[at[5]]),
        endMs: num(x[at[6]]),
        ttftMs: num(x[at[7]]),
        status: Number(x[at[8]]) as AttemptRecord["status"],
        error: x[at[9]] as AttemptRecord["error"],
        promptTokens: Number(x[at[10]]),
        completionTokens: Number(x[at[11]]),
        costUsd: num(x[at[12]]) || 0,
      };
      if (a.attempt >= lastK[i]) {
        lastK[i] = a.attempt;
        lastCost[i] = a.costUsd;
      }
      for (const m of [ms[batchOf(i)], whole]) {
        m.metrics.attempt(a);
        m.extra.attempt(a);
      }
      timeline.attempt(a);
    }
  });

  // Pass 3: requests (the observers only count, so file order is fine).
  guard(reqFile, () => {
    const want = REQUEST_COLUMNS.filter((c) => c !== "cache_hit" && c !== "model_requested");
    const { it, col } = rows(reqFile, want);
    const at = want.map(col);
    const cacheCol = col("cache_hit");
    for (const { fields: x, line } of it) {
      if (x[at[0]] !== name) continue;
      const id = Number(x[at[1]]);
      const i = rank(id);
      const attempts = Number(x[at[5]]);
      const status = Number(x[at[6]]);
      const costUsd = num(x[at[10]]) || 0;
      const latencyMs = num(x[at[8]]);
      const ttftMs = num(x[at[9]]);
      const o: Outcome =
        status === 200 && x[at[4]] !== ""
          ? {
              kind: "served",
              endpoint: endpoint(reqFile, line, x[at[4]], x[at[3]]),
              attempts,
              costUsd,
              latencyMs,
              ttftMs,
              ...(cacheCol >= 0 && x[cacheCol] === "1" ? { cacheHit: true as const } : {}),
            }
          : { kind: "failed", status, code: x[at[7]], attempts, latencyMs, ttftMs, costUsd };
      // Only the last attempt's cost is read (PolicyMetrics' wasted spend of a served request).
      const last = attempts > 0 ? [{ costUsd: lastCost[i] } as AttemptRecord] : [];
      const req = { id, arrivalMs: num(x[at[2]]) } as RoutedRequest;
      for (const m of [ms[batchOf(i)], whole]) {
        m.metrics.outcome(req, o, last, UNKNOWN_DECISION);
        m.extra.outcome(req, o, last, UNKNOWN_DECISION);
      }
      timeline.outcome(req, o, last, UNKNOWN_DECISION);
    }
  });
  const live = f.live;
  return {
    name,
    source: {
      policy: label,
      name,
      dir: f.dir,
      kind: live ? "live" : "simulated",
      ...(live ? { gateway: live.gateway, timeScale: live.timeScale } : {}),
      requests: n,
    },
    model: f.run.policies?.find((p) => p.name === name),
    batches: ms,
    whole,
    timeline: timeline.finish(timeline.lastActivityMs, farm.outageSources),
    requests: n,
  };
}

/** Whole-run metrics: one value per run, given with batch 0 only (no interval). */
const WHOLE_RUN = /^(recoveryMs|incidentAttemptRate\.|incidentUtilisation\.|capacityPerS\.)/;

function emptyTimeline(bucketMs: number): Timeline {
  return {
    bucketMs,
    endMs: 0,
    requests: [],
    failed: [],
    served: {},
    attempts: {},
    outages: [],
    recoveries: [],
  };
}

/** Policy names made unique across folders: `name (live)`, `name (sim)`, then the folder's name. */
function labels(folders: readonly RunFolder[]): { folder: RunFolder; name: string; label: string }[] {
  const all = folders.flatMap((folder) => folder.summary.policies.map((p) => ({ folder, name: p.name })));
  const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;
  const names = all.map((x) => x.name);
  const step1 = all.map((x) =>
    count(names, x.name) > 1 ? `${x.name} (${x.folder.live ? "live" : "sim"})` : x.name,
  );
  const step2 = all.map((x, i) =>
    count(step1, step1[i]) > 1 ? `${step1[i]} (${basename(x.folder.dir)})` : step1[i],
  );
  return all.map((x, i) => ({
    ...x,
    label: count(step2, step2[i]) > 1 ? `${step2[i]} #${i + 1}` : step2[i],
  }));
}

export interface BatchOptions {
  /** Batches per run (default: defaultBatches of the smallest run). */
  batches?: number;
  baseline?: string;
  /** Only these policies (names as labelled). */
  policies?: readonly string[];
}

/**
 * One or more run folders as one comparison: every policy of every folder, B batches each.
 * Runs of different scenarios can be put side by side, but their batches hold different requests:
 * a warning says so (paired differences then mean little).
 */
export function batchCompare(
  folders: readonly RunFolder[],
  o: BatchOptions = {},
): { data: CompareData; warnings: string[] } {
  if (folders.length === 0) throw new Error("batchCompare needs at least one run folder");
  const first = folders[0];
  const named = labels(folders);
  const chosen = o.policies?.length ? named.filter((x) => o.policies!.includes(x.label)) : named;
  if (o.policies?.length) {
    const unknown = o.policies.filter((p) => !named.some((x) => x.label === p));
    if (unknown.length)
      throw new InputError("<command line>", [
        {
          path: "--policies",
          message: `no policy named ${unknown.map((u) => `"${u}"`).join(", ")} (have ${named.map((x) => x.label).join(", ")})`,
        },
      ]);
  }
  const smallest = Math.min(...chosen.map((x) => x.folder.summary.requests));
  const batches = o.batches ?? defaultBatches(smallest);
  if (!(Number.isInteger(batches) && batches >= 1 && batches <= MAX_BATCHES))
    throw new InputError("<command line>", [
      { path: "--batches", message: `expected a whole number from 1 to ${MAX_BATCHES}, got ${batches}` },
    ]);
  const warnings: string[] = [];
  for (const f of folders) {
    if (f.loaded.hash !== first.loaded.hash)
      warnings.push(
        `${basename(f.dir)} ran another scenario than ${basename(first.dir)} (${f.loaded.scenario.name} vs ${first.loaded.scenario.name}): its batches hold other requests, so paired differences mean little`,
      );
    for (const w of f.summary.warnings ?? []) if (!warnings.includes(w)) warnings.push(w);
  }
  const runs = chosen.map((x) => measurePolicy(x.folder, x.name, batches, x.label));
  const counts = new Set(runs.map((r) => r.requests));
  if (counts.size > 1)
    warnings.push(
      `the runs hold different numbers of requests (${runs.map((r) => `${r.source.policy}: ${r.requests}`).join(", ")}): batch k of each covers other requests`,
    );
  if (smallest < 2 * batches)
    warnings.push(`${smallest} requests make fewer than 2 per batch: the intervals mean little`);
  const tables = new TablesFolder();
  for (let b = 0; b < batches; b++) {
    const r: ReplicationResult = {
      replication: b,
      seed: first.summary.seed,
      requests: 0,
      warnings: [],
      policies: runs.map((p) => {
        const m = p.batches[b];
        const timeline = b === 0 ? p.timeline : emptyTimeline(p.timeline.bucketMs);
        const values = m.extra.values(m.metrics.summary(), emptyTimeline(p.timeline.bucketMs));
        for (const k of Object.keys(values)) if (WHOLE_RUN.test(k)) delete values[k];
        if (b === 0) {
          const all = p.whole.extra.values(p.whole.metrics.summary(), p.timeline);
          for (const [k, v] of Object.entries(all)) if (WHOLE_RUN.test(k)) values[k] = v;
        }
        return {
          policy: p.source.policy,
          values,
          latencyCdf: b === 0 ? p.whole.extra.latencyCdf() : p.whole.extra.latencyCdf().map(() => Number.NaN),
          timeline,
        };
      }),
    };
    tables.add(r);
  }
  const { bucketS, ...rest } = tables.tables();
  const s = first.loaded.scenario;
  const policies = runs.map((r) => r.source.policy);
  const baseline = o.baseline ?? policies[0];
  if (!policies.includes(baseline))
    throw new InputError("<command line>", [
      { path: "--baseline", message: `"${baseline}" is not among the policies (${policies.join(", ")})` },
    ]);
  const meta: CompareMeta = {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    kind: "compare",
    scenario: s.name,
    description: s.description ?? "",
    scenarioFile: first.run.scenarioFile,
    scenarioHash: first.loaded.hash,
    seed: first.summary.seed,
    seeds: Array.from({ length: batches }, () => first.summary.seed),
    replications: batches,
    requests: Math.round(smallest / batches),
    requestsFlag: null,
    policies,
    baseline,
    confidence: CONFIDENCE,
    targetRelHalfWidth: 0.05,
    endpoints: buildCatalog(s.providers).map((e) => ({
      tag: e.label,
      model: e.model,
      prompt: e.price.prompt,
      completion: e.price.completion,
    })),
    bucketS,
    models: runs.flatMap((r) => (r.model ? [{ ...r.model, name: r.source.policy }] : [])),
    routesimVersion: first.run.routesimVersion,
    batchMeans: { batches, requests: smallest, sources: runs.map((r) => r.source) },
    ...(warnings.length ? { warnings } : {}),
    ...(s.slo ? { slo: sloOf(s)! } : {}),
  };
  return { data: { meta, ...rest }, warnings };
}

/** Any results folder as a comparison: a compare (or merged) folder as saved, a run folder by batch means. */
export function readResults(
  dir: string,
  o: { scenario?: string; batches?: number } = {},
): { data: CompareData; warnings: string[] } {
  const abs = resolve(dir);
  if (existsSync(join(abs, "compare.json")) || !isRunFolder(abs))
    return { data: readCompareData(abs), warnings: [] };
  return batchCompare([readRunFolder(abs, o.scenario)], { batches: o.batches });
}

/** report.md of a run folder: the run's tables, the live replay if any, and batch-means intervals. */
export function runMarkdown(f: RunFolder, batches?: number): { markdown: string; data: CompareData } {
  const { data } = batchCompare([f], { batches });
  const parts = [renderMarkdown(f.loaded.scenario, f.summary, f.run)];
  if (f.live) parts.push(liveMarkdown(f.live));
  parts.push(intervalsMarkdown(data, summarize(data)));
  return { markdown: parts.join("\n"), data };
}

/** Rebuilds report.md and writes report.html (charts) of a run folder from its saved files. */
export async function renderRunReports(
  dir: string,
  o: { scenario?: string; batches?: number } = {},
  render: ChartRenderer = renderHere,
): Promise<void> {
  const f = readRunFolder(dir, o.scenario);
  const { markdown, data } = runMarkdown(f, o.batches);
  const html = await renderCompareHtml(data, summarize(data), render);
  // Each file is written beside itself and renamed: a reader never sees half a report.
  for (const [name, text] of [
    ["report.md", markdown],
    ["report.html", html],
  ] as const) {
    const tmp = join(f.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, join(f.dir, name));
  }
}
