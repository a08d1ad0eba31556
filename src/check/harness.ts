/**
 * Runs one policy on one generated case, recording everything the invariants look at: the decision,
 * the attempts and the outcome of every request (run-level), or just the policy's decision against a
 * synthetic view of the catalog and its health (route-level).
 */
import type { z } from "zod";
import type { Decision, EndpointView, HealthView, Policy, RouterBehaviour } from "../policies/types.js";
import { buildCatalog, endpointsByModel } from "../providers/catalog.js";
import type { LiveAttempt } from "../providers/farm.js";
import type { RunObserver } from "../router/router.js";
import { scenarioFromObject } from "../scenario/load.js";
import type {
  Provider,
  RequestBody,
  RouterSettings,
  Scenario,
  ScenarioInput,
  Traffic,
} from "../scenario/schema.js";
import { buildWorld, requestBody } from "../simulate.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../types.js";

/** A generated case: a small scenario plus the request body the policy sends. */
export interface CheckCase {
  seed: number;
  providers: z.input<typeof Provider>[];
  traffic: z.input<typeof Traffic>;
  body: RequestBody;
  /** Route-level cases: one request's sizes and each endpoint's counted failures (ms before routing). */
  routing?: {
    promptTokens: number;
    completionTokens: number;
    failuresAgoMs: number[][];
    /** Each endpoint's counted outcomes in the uptime window (R90); absent → no history. */
    uptime?: UptimeCounts[];
  };
  /** Metamorphic invariants: the endpoint (index into providers) they change, and by what factor. */
  pick?: { endpoint: number; factor: number };
}

export interface BuiltSubject {
  readonly policy: Policy;
  readonly behaviour: RouterBehaviour;
}

/**
 * Instrumentation around a run, used to plant bugs in the mutation test without touching the router:
 * a layer between the router and whoever reads its results (a billing layer, say), and a tap on
 * provider attempts before the router sees them.
 */
export interface RunHooks {
  observer?: (inner: RunObserver) => RunObserver;
  attemptDone?: (a: LiveAttempt) => void;
}

/** What is checked: a policy (by factory), its request template and OpenRouter knobs. */
export interface CheckSubject {
  readonly name: string;
  /** Policy kind written into reproducer scenarios. */
  readonly kind: string;
  readonly template: RequestBody;
  readonly openrouter: Readonly<Record<string, unknown>>;
  readonly router: RouterSettings;
  /** Whether the OpenRouter spec invariants (filters, ordering, R60…) apply to this policy. */
  readonly openrouterSemantics: boolean;
  /** Builds a fresh policy for a scenario; `name` lets the CRN invariant rename it. */
  build(scenario: Scenario, catalog: readonly Endpoint[], body: RequestBody, name: string): BuiltSubject;
  readonly hooks?: RunHooks;
}

/** The scenario (as written) a case stands for, with the subject as its only policy. */
export function caseScenarioInput(c: CheckCase, subject: CheckSubject, name = "check-case"): ScenarioInput {
  const policy: Record<string, unknown> = { name: subject.name, kind: subject.kind, request: c.body };
  if (Object.keys(subject.openrouter).length > 0) policy.openrouter = subject.openrouter;
  policy.router = subject.router;
  return {
    name,
    seed: c.seed,
    traffic: c.traffic,
    providers: c.providers.map(tidy),
    policies: [policy],
  } as ScenarioInput;
}

/** Drops settings equal to the schema's defaults, so reproducers show only what matters. */
function tidy(p: z.input<typeof Provider>): z.input<typeof Provider> {
  const out: Record<string, unknown> = { ...p };
  const defaults: Record<string, unknown> = {
    tier: "default",
    status: 0,
    error_latency_ms: 200,
    error_rate: 0,
  };
  for (const [k, v] of Object.entries(out)) {
    if (v === null || v === undefined || defaults[k] === v) delete out[k];
    if (k === "outages" && Array.isArray(v) && v.length === 0) delete out[k];
    if (k === "midstream_error_rate" && v === 0) delete out[k];
  }
  if (out.error_rate === undefined) delete out.error_mix; // only used with background errors
  return out as z.input<typeof Provider>;
}

export function caseScenario(c: CheckCase, subject: CheckSubject): Scenario {
  return scenarioFromObject(caseScenarioInput(c, subject)).scenario;
}

export interface RequestTrace {
  readonly req: RoutedRequest;
  readonly decision: Decision;
  readonly attempts: readonly AttemptRecord[];
  readonly outcome: Outcome;
}

export interface RunRecord {
  readonly catalog: readonly Endpoint[];
  /** Requests that arrived. */
  readonly arrived: number;
  /** Outcomes in the order the observer received them. */
  readonly traces: readonly RequestTrace[];
  /** Every attempt in the order the observer received it. */
  readonly attempts: readonly AttemptRecord[];
  /** Providers bill what they generated on abandoned attempts (RouterBehaviour.billsAbandoned). */
  readonly billsAbandoned: boolean;
}

/** Simulates `subject` on a case scenario and records every request. */
export function runCase(
  subject: CheckSubject,
  scenario: Scenario,
  body: RequestBody,
  name = subject.name,
  hooks: RunHooks | undefined = subject.hooks,
): RunRecord {
  const catalog = buildCatalog(scenario.providers);
  const built = subject.build(scenario, catalog, body, name);
  const traces: RequestTrace[] = [];
  const attempts: AttemptRecord[] = [];
  const recorder: RunObserver = {
    attempt: (a) => attempts.push(a),
    outcome: (req, outcome, atts, decision) => traces.push({ req, decision, attempts: [...atts], outcome }),
  };
  const observer = hooks?.observer ? hooks.observer(recorder) : recorder;
  let arrived = 0;
  const loaded = { scenario, file: "<check>", baseDir: process.cwd(), hash: "" };
  const world = buildWorld(loaded, body, built, catalog, {
    observer: () => observer,
    attemptTap: hooks?.attemptDone,
    onArrival: (n) => {
      arrived = n;
    },
    queueCapacity: 1024,
  });
  world.sim.run();
  return { catalog, arrived, traces, attempts, billsAbandoned: built.behaviour.billsAbandoned === true };
}

/** Successes and counted errors (R91) of one endpoint in the uptime window. */
export interface UptimeCounts {
  successes: number;
  errors: number;
}

/**
 * A health view with fixed failure times (absolute ms) and window counts, for route-level cases.
 * `window` answers the uptime counts whatever window is asked (route-level cases model one window).
 */
class FixedHealth implements HealthView {
  constructor(
    private readonly failures: readonly (readonly number[])[],
    private readonly uptime: readonly UptimeCounts[] = [],
  ) {}
  lastFailureMs(e: number): number {
    return Math.max(Number.NEGATIVE_INFINITY, ...(this.failures[e] ?? []));
  }
  failuresSince(e: number, sinceMs: number): number {
    return (this.failures[e] ?? []).filter((t) => t >= sinceMs).length;
  }
  lastRateLimitedMs(): number {
    return Number.NEGATIVE_INFINITY;
  }
  window(e: number): { successes: number; errors: number; rateLimited: number } {
    const u = this.uptime[e];
    return { successes: u?.successes ?? 0, errors: u?.errors ?? 0, rateLimited: 0 };
  }
  inflight(): number {
    return 0;
  }
  ttftEwmaMs(): number {
    return Number.NaN;
  }
}

/** Routing happens at this simulated time in route-level cases (failures lie before it). */
export const ROUTE_NOW_MS = 3_600_000;

/** A read-only world for calling `policy.route` directly. */
export function syntheticView(
  catalog: readonly Endpoint[],
  failuresAgoMs: readonly number[][],
  uptime: readonly UptimeCounts[] = [],
): EndpointView {
  const byModel = endpointsByModel(catalog);
  return {
    now: ROUTE_NOW_MS,
    catalog,
    endpointsOf: (m) => byModel.get(m) ?? [],
    health: new FixedHealth(
      catalog.map((_, i) => (failuresAgoMs[i] ?? []).map((ago) => ROUTE_NOW_MS - ago)),
      uptime,
    ),
  };
}

/** The request a route-level case routes. */
export function routedRequest(c: CheckCase, id: number, scenario: Scenario): RoutedRequest {
  const r = c.routing ?? { promptTokens: 1000, completionTokens: 200, failuresAgoMs: [] };
  const trafficModel = scenario.traffic.model ?? scenario.providers[0].model;
  return {
    id,
    arrivalMs: ROUTE_NOW_MS,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    model: trafficModel,
    body: requestBody(c.body, trafficModel),
  };
}
