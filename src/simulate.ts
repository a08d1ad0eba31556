/**
 * One simulation run: every policy of a scenario replays the same traffic against fresh mock
 * providers (same seeds, so the same arrivals, sizes and failure draws), and the results go to one
 * folder: attempts.csv, requests.csv, summary.json, run.json, report.md.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ATTEMPT_COLUMNS, PolicyMetrics, type PolicySummary, REQUEST_COLUMNS } from "./metrics/collector.js";
import { CsvWriter } from "./metrics/csv.js";
import { type RunInfo, SUMMARY_SCHEMA_VERSION, type Summary } from "./metrics/summary.js";
import { type PolicyModel, policyModel } from "./policies/describe.js";
import { type BuiltPolicy, buildPolicy } from "./policies/registry.js";
import { buildCatalog } from "./providers/catalog.js";
import { type LiveAttempt, ProviderFarm } from "./providers/farm.js";
import { renderMarkdown } from "./report/markdown.js";
import { openResultsFolder } from "./results/folder.js";
import { DecisionLog } from "./router/decisions.js";
import { HealthTracker } from "./router/health.js";
import { responseCacheFor } from "./router/response-cache.js";
import { Router, type RunObserver } from "./router/router.js";
import { InputError } from "./scenario/errors.js";
import { type LoadedScenario, sloOf } from "./scenario/load.js";
import type { PolicySpec, RequestBody } from "./scenario/schema.js";
import { scenarioWarnings } from "./scenario-warnings.js";
import { Simulator } from "./sim/kernel.js";
import { scheduleArrivals } from "./traffic/arrivals.js";
import { openTraffic } from "./traffic/index.js";
import { type BodyFor, makeRequest } from "./traffic/request.js";
import "./traffic/trace.js"; // registers the trace reader
import type { Decision } from "./policies/types.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest, TrafficRequest } from "./types.js";

export type { RunInfo, Summary };
export { SUMMARY_SCHEMA_VERSION };

export interface Progress {
  policy: string;
  policyIndex: number;
  policies: number;
  done: number;
  expected: number | null;
  simTimeMs: number;
}

export interface SimulateOptions {
  /** Output folder; null/undefined = compute the summary only. */
  outDir?: string | null;
  /** Replace an existing results folder (one routesim marked) at the end; default true (the CLI passes --force). */
  replace?: boolean;
  /** Skip the per-row CSVs (measures simulation, not disk). */
  summaryOnly?: boolean;
  /** Also write decisions.jsonl (one line per request per policy: candidates, why, attempts). */
  decisions?: boolean;
  /** Run only these policies (by name). */
  policies?: readonly string[];
  onProgress?: (p: Progress) => void;
  /** Wall clock for run.json (simulation code never reads one itself). */
  wallClock?: () => number;
  /** Command line to record in run.json. */
  command?: string;
  /** An extra observer per policy run (compare's metrics and timelines), called before the run. */
  observe?: (run: ObservedRun) => RunObserver;
}

/** What an extra observer may look at: the run's clock, providers and catalog. */
export interface ObservedRun {
  policy: string;
  policyIndex: number;
  sim: Simulator;
  farm: ProviderFarm;
  catalog: readonly Endpoint[];
}

/**
 * Sends every attempt and outcome to two observers, in order. A class, not an object of closures:
 * closures made per run are new call targets in every run, and the router's compiled code, which
 * inlines them, would be thrown away at the start of each later run in the process.
 */
class Tee implements RunObserver {
  readonly borrows: boolean;
  constructor(
    private readonly a: RunObserver,
    private readonly b: RunObserver,
  ) {
    this.borrows = a.borrows === true && b.borrows === true;
  }

  attempt(x: AttemptRecord): void {
    this.a.attempt(x);
    this.b.attempt(x);
  }

  outcome(req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[], d: Decision): void {
    this.a.outcome(req, o, attempts, d);
    this.b.outcome(req, o, attempts, d);
  }
}

export function tee(a: RunObserver, b: RunObserver): RunObserver {
  return new Tee(a, b);
}

export interface SimulationResult {
  summary: Summary;
  run: RunInfo;
  /** Final output folder, when written. */
  outDir: string | null;
}

export function routesimVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return "unknown";
  }
}

/** The body a request carries: the policy's template, or the template plus the traffic's model. */
export function requestBody(template: RequestBody, trafficModel: string): RequestBody {
  return template.model !== undefined || template.models !== undefined
    ? template
    : { ...template, model: trafficModel };
}

/** The body of each traffic model for a policy's template: one shared body object per model. */
export function bodyFactory(template: RequestBody, expectedModel = ""): BodyFor {
  return new BodyCache(template, expectedModel);
}

class BodyCache implements BodyFor {
  private readonly cache = new Map<string, RequestBody>();
  // Starts with the traffic's model, so single-model traffic never takes the look-up branch: taken
  // only at a run's first request, it would have no type feedback, and the next run in the process
  // would discard the compiled code there.
  private lastModel: string;
  private last: RequestBody;
  constructor(
    private readonly template: RequestBody,
    expectedModel: string,
  ) {
    this.lastModel = expectedModel;
    this.last = requestBody(template, expectedModel);
  }
  bodyFor(model: string): RequestBody {
    if (model === this.lastModel) return this.last;
    let body = this.cache.get(model);
    if (body === undefined) {
      body = requestBody(this.template, model);
      this.cache.set(model, body);
    }
    this.lastModel = model;
    this.last = body;
    return body;
  }
}

/**
 * Turns traffic requests into routed ones for a policy's template (a copy per request). Traffic
 * opened with `openTraffic(..., bodyFactory(template))` carries its body already, without the copy.
 */
export function bodyMerger(template: RequestBody): (r: TrafficRequest) => RoutedRequest {
  const bodyOf = bodyFactory(template);
  return (r) => {
    // Fields copied one by one (`{ ...r, body }` takes a slow V8 path, ~1 µs per request).
    return makeRequest(
      r.id,
      r.arrivalMs,
      r.promptTokens,
      r.completionTokens,
      r.model,
      r.session,
      r.priority,
      bodyOf.bodyFor(r.model),
      r.bodyKey,
    );
  };
}

function buildPolicies(
  loaded: LoadedScenario,
  selected: readonly PolicySpec[],
  catalog: readonly Endpoint[],
): BuiltPolicy[] {
  const s = loaded.scenario;
  return selected.map((spec) =>
    buildPolicy(spec, {
      catalog,
      scenario: s,
      baseDir: loaded.baseDir,
      file: loaded.file,
      path: `policies[${s.policies.indexOf(spec)}]`,
    }),
  );
}

export interface World {
  readonly sim: Simulator;
  readonly health: HealthTracker;
  readonly farm: ProviderFarm;
  readonly router: Router;
  readonly traffic: ReturnType<typeof openTraffic>;
}

export interface WorldHooks {
  /** The run's observer, given the world's kernel and farm (metrics, test probes). */
  readonly observer?: (sim: Simulator, farm: ProviderFarm) => RunObserver;
  /** After the n-th arrival was handed to the router. */
  readonly onArrival?: (n: number, nowMs: number) => void;
  /** false: the scenario's traffic is opened but not scheduled (serve --router brings its own). */
  readonly scheduleTraffic?: boolean;
  /** Sees each finished provider attempt before the router does (check's probes). */
  readonly attemptTap?: (a: LiveAttempt) => void;
  /** Kernel queue capacity to start with (it grows); default 4096. */
  readonly queueCapacity?: number;
}

const NO_OBSERVER: RunObserver = { borrows: true, attempt: () => {}, outcome: () => {} };

/**
 * The one place a simulated world is built: kernel, health, mock providers, router and the
 * scenario's traffic (with `request` as every request's body) scheduled to arrive. Run it with
 * `world.sim.run(untilMs?)`.
 */
export function buildWorld(
  loaded: LoadedScenario,
  request: RequestBody,
  b: Pick<BuiltPolicy, "policy" | "behaviour">,
  catalog: readonly Endpoint[],
  hooks: WorldHooks = {},
): World {
  const s = loaded.scenario;
  const sim = new Simulator(hooks.queueCapacity ?? 4096);
  const health = new HealthTracker(catalog.length, () => sim.now);
  const farm = new ProviderFarm(sim, s.providers, s.outage_groups, s.seed);
  const observer = hooks.observer?.(sim, farm) ?? NO_OBSERVER;
  const spec = s.policies.find((p) => p.name === b.policy.name);
  // Requests come with this policy's body attached (no per-request copy).
  const traffic = openTraffic(
    s.traffic,
    loaded.baseDir,
    s.seed,
    loaded.file,
    bodyFactory(request, s.traffic.model),
  );
  const router = new Router({
    sim,
    farm,
    catalog,
    health,
    policy: b.policy,
    behaviour: b.behaviour,
    observer,
    seed: s.seed,
    responseCache: spec ? responseCacheFor(spec) : null, // R106
    requestPool: traffic.pool ?? null,
  });
  // Finished attempts go to the router, through a tap when one is given.
  const tap = hooks.attemptTap;
  farm.listen(
    tap
      ? {
          attemptDone: (a) => {
            tap(a);
            router.attemptDone(a);
          },
        }
      : router,
  );
  const onArrival = hooks.onArrival;
  if (hooks.scheduleTraffic !== false)
    scheduleArrivals(sim, traffic, (req, n) => {
      router.arrive(req);
      onArrival?.(n, sim.now);
    });
  return { sim, health, farm, router, traffic };
}

/** What the named policies of a scenario model (gateway, version, timeout, billing), for run.json. */
export function describePolicies(loaded: LoadedScenario, names: readonly string[]): PolicyModel[] {
  const selected = loaded.scenario.policies.filter((p) => names.includes(p.name));
  const built = buildPolicies(loaded, selected, buildCatalog(loaded.scenario.providers));
  return built.map((b, i) => policyModel(b.policy.name, selected[i].kind, b.behaviour, b.models));
}

/** Runs every policy of the scenario; writes results when `outDir` is given. */
export function simulate(loaded: LoadedScenario, options: SimulateOptions = {}): SimulationResult {
  const s = loaded.scenario;
  const clock = options.wallClock;
  const t0 = clock?.();
  const catalog = buildCatalog(s.providers);
  const selected = options.policies
    ? s.policies.filter((p) => {
        return options.policies!.includes(p.name);
      })
    : s.policies;
  if (options.policies) {
    const unknown = options.policies.filter((n) => !s.policies.some((p) => p.name === n));
    if (unknown.length)
      throw new InputError(loaded.file, [
        { path: "policies", message: `no policy named ${unknown.map((u) => `"${u}"`).join(", ")}` },
      ]);
  }
  // Build (and so validate) every policy before writing anything.
  const built = buildPolicies(loaded, selected, catalog);
  // Opening the traffic once validates trace files up front.
  openTraffic(s.traffic, loaded.baseDir, s.seed, loaded.file);

  const outDir = options.outDir ?? null;
  const folder = outDir ? openResultsFolder(outDir, { replace: options.replace }) : null;
  const tmp = folder?.tmp ?? null;
  const rows = tmp !== null && !options.summaryOnly;
  const attemptsCsv = rows ? new CsvWriter(join(tmp!, "attempts.csv"), ATTEMPT_COLUMNS) : null;
  const requestsCsv = rows ? new CsvWriter(join(tmp!, "requests.csv"), REQUEST_COLUMNS) : null;
  const decisionLog =
    tmp !== null && options.decisions ? new DecisionLog(join(tmp, "decisions.jsonl"), catalog) : null;

  const summaries: PolicySummary[] = [];
  let events = 0;
  let trafficCount = 0;
  let skipped = 0;
  const warnings: string[] = scenarioWarnings(
    s,
    selected,
    built.map((b, i) => policyModel(b.policy.name, selected[i].kind, b.behaviour, b.models)),
  );
  try {
    built.forEach((b, pi) => {
      warnings.push(...b.warnings.map((w) => `${b.policy.name}: ${w}`));
      const metrics = new PolicyMetrics(b.policy.name, attemptsCsv, requestsCsv, catalog, sloOf(s));
      if (decisionLog) b.policy.enableExplain?.();
      let arrived = 0;
      const world: World = buildWorld(loaded, selected[pi].request, b, catalog, {
        observer: (sim, farm) => {
          const extra = options.observe?.({ policy: b.policy.name, policyIndex: pi, sim, farm, catalog });
          return extra ? tee(metrics, extra) : metrics;
        },
        onArrival: (n, now) => {
          arrived = n;
          if (options.onProgress && n % 5000 === 0)
            options.onProgress({
              policy: b.policy.name,
              policyIndex: pi,
              policies: built.length,
              done: n,
              expected: world.traffic.expected,
              simTimeMs: now,
            });
        },
      });
      const { sim, router } = world;
      if (decisionLog) router.alsoObserve(decisionLog.observer(b.policy.name));
      sim.run();
      if (router.completed !== arrived)
        throw new Error(
          `conservation violated: ${arrived} requests arrived, ${router.completed} outcomes (${b.policy.name})`,
        );
      events += sim.executed;
      trafficCount = arrived;
      skipped = world.traffic.skipped ?? 0;
      summaries.push(metrics.summary());
      options.onProgress?.({
        policy: b.policy.name,
        policyIndex: pi,
        policies: built.length,
        done: arrived,
        expected: arrived,
        simTimeMs: sim.now,
      });
    });
  } catch (e) {
    attemptsCsv?.close();
    requestsCsv?.close();
    decisionLog?.close();
    folder?.abort(); // never leave a half-written result
    throw e;
  }
  attemptsCsv?.close();
  requestsCsv?.close();
  decisionLog?.close();

  const summary: Summary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    scenario: s.name,
    seed: s.seed,
    requests: trafficCount,
    skippedRows: skipped,
    policies: summaries,
    warnings,
  };
  const wall = clock && t0 !== undefined ? clock() - t0 : null;
  const run: RunInfo = {
    scenario: s.name,
    scenarioFile: loaded.file,
    scenarioHash: loaded.hash,
    seed: s.seed,
    routesimVersion: routesimVersion(),
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    events,
    wallTimeMs: wall,
    eventsPerSec: wall ? Math.round(events / (wall / 1000)) : null,
    requestsPerSec: wall ? Math.round((trafficCount * built.length) / (wall / 1000)) : null,
    command: options.command ?? null,
    policies: built.map((b, i) => policyModel(b.policy.name, selected[i].kind, b.behaviour, b.models)),
  };
  if (folder && tmp) {
    try {
      writeFileSync(join(tmp, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
      writeFileSync(join(tmp, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
      writeFileSync(join(tmp, "report.md"), renderMarkdown(s, summary, run));
    } catch (e) {
      folder.abort();
      throw e;
    }
    folder.commit();
  }
  return { summary, run, outDir };
}
