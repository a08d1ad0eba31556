/**
 * What every invariant family shares: the invariant's shape, the request bodies cases are forced
 * into, and the two ways to evaluate a case (route-level: one `policy.route` call on a synthetic
 * view; run-level: a small simulated scenario).
 */
import fc from "fast-check";
import type { Decision, EndpointView } from "../../policies/types.js";
import { buildCatalog } from "../../providers/catalog.js";
import { hashKey, Rng } from "../../rng/rng.js";
import type { RequestBody, Scenario } from "../../scenario/schema.js";
import type { Endpoint } from "../../types.js";
import { type CaseSpace, caseArb, GENERATED_MODELS } from "../arbitraries.js";
import {
  type CheckCase,
  type CheckSubject,
  caseScenario,
  type RunRecord,
  routedRequest,
  runCase,
  syntheticView,
} from "../harness.js";
import { isRouterSlug, type Knobs, splitVariant } from "../oracle.js";

export interface InvariantContext {
  readonly subject: CheckSubject;
  readonly space: CaseSpace;
  readonly knobs: Knobs;
}

export interface Invariant {
  readonly name: string;
  /** Spec rules it checks. */
  readonly rules: string;
  readonly summary: string;
  /** `core`: every policy; `openrouter`: policies that claim OpenRouter semantics. */
  readonly group: "core" | "openrouter";
  /** `report`: violations are counted and shown, never failed (the property can be false). */
  readonly mode: "assert" | "report";
  /** Statistical invariants run fewer, heavier cases. */
  readonly runsFactor?: number;
  /** Why it does not apply to this subject, or null. */
  notApplicable?(ctx: InvariantContext): string | null;
  arbitrary(ctx: InvariantContext): fc.Arbitrary<CheckCase>;
  /** A violation message, or null when the case satisfies the invariant. */
  check(c: CheckCase, ctx: InvariantContext): string | null;
}

// ---------------------------------------------------------------------------------------------
// Bodies: the subject's template, completed by generated preferences, or forced into one mode.
// ---------------------------------------------------------------------------------------------

/** Template ⊕ generated: the template's own settings win, generated ones fill the gaps. */
export function mergeBody(template: RequestBody, generated: RequestBody): RequestBody {
  const out: RequestBody = { ...generated, ...template };
  if (template.model !== undefined || template.models !== undefined) {
    out.model = template.model;
    out.models = template.models;
  }
  if (template.provider || generated.provider) out.provider = { ...generated.provider, ...template.provider };
  return strip(out);
}

export function strip<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
  return o;
}

/** One model in default load-balancing mode: no sort, order, preferences, variants or R19 parameters. */
export function lbBody(
  template: RequestBody,
  generated: RequestBody,
  models: readonly string[],
): RequestBody {
  // A router slug (openrouter/auto) would let the router pick the models: route a concrete one instead.
  const routed = template.model !== undefined && isRouterSlug(template.model);
  const own = routed ? { ...template, model: undefined, plugins: undefined } : template;
  const b = mergeBody({ ...own, models: undefined }, { ...generated, models: undefined });
  const model = splitVariant(b.model ?? models[0]).model;
  const filters: Record<string, unknown> = { ...b.provider };
  for (const k of ["sort", "order", "allow_fallbacks", "preferred_max_latency", "preferred_min_throughput"])
    delete filters[k];
  return strip({
    ...b,
    model,
    models: undefined,
    provider: Object.keys(filters).length ? filters : undefined,
    tools: undefined,
    tool_choice: undefined,
    response_format: undefined,
    verbosity: undefined,
    route: undefined,
    service_tier: undefined,
    session_id: undefined,
  });
}

export function modelsIn(ctx: InvariantContext): string[] {
  return ctx.space.providers ? [...new Set(ctx.space.providers.map((p) => p.model))] : [...GENERATED_MODELS];
}

// ---------------------------------------------------------------------------------------------
// Route-level helpers
// ---------------------------------------------------------------------------------------------

export interface Routed {
  scenario: Scenario;
  catalog: readonly Endpoint[];
  view: EndpointView;
  route: (id: number) => Decision;
  tokens: { prompt: number; completion: number };
}

export function routed(c: CheckCase, ctx: InvariantContext, providers = c.providers): Routed {
  const scenario = caseScenario({ ...c, providers }, ctx.subject);
  const catalog = buildCatalog(scenario.providers);
  const view = syntheticView(catalog, c.routing?.failuresAgoMs ?? [], c.routing?.uptime);
  const { policy } = ctx.subject.build(scenario, catalog, c.body, ctx.subject.name);
  const rng = new Rng(0);
  const key = hashKey([c.seed, "check-route"]);
  const req0 = routedRequest(c, 0, scenario);
  return {
    scenario,
    catalog,
    view,
    tokens: { prompt: req0.promptTokens, completion: req0.completionTokens },
    route: (id) => {
      rng.reseed(key, id);
      return policy.route({ ...req0, id }, view, rng);
    },
  };
}

export function tagOf(catalog: readonly Endpoint[], id: number): string {
  const e = catalog[id];
  return e ? `${e.tag} (${e.model})` : `#${id} (no such endpoint)`;
}

/** Candidate ids grouped by model, in decision order. */
export function byModel(d: Decision, catalog: readonly Endpoint[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (d.kind !== "route") return out;
  for (const id of d.candidates) {
    const m = catalog[id]?.model ?? "?";
    out.set(m, [...(out.get(m) ?? []), id]);
  }
  return out;
}

export function lbApplicable(ctx: InvariantContext): string | null {
  if (ctx.knobs.lbMode !== "v1" && ctx.knobs.lbMode !== "v2")
    return `lbMode ${ctx.knobs.lbMode} has no formula`;
  if (ctx.knobs.lbCandidateTopK !== null) return "lbCandidateTopK limits the weighted set";
  return null;
}

/** Cases paired with one generated value per endpoint (uptime counts, BYOK flags, cache prices). */
export function perEndpoint<T>(
  cases: fc.Arbitrary<CheckCase>,
  values: readonly T[],
): fc.Arbitrary<[CheckCase, T[]]> {
  return cases.chain((c) =>
    fc.tuple(
      fc.constant(c),
      fc.array(fc.constantFrom(...values), { minLength: c.providers.length, maxLength: c.providers.length }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Run-level helpers
// ---------------------------------------------------------------------------------------------

export function run(c: CheckCase, ctx: InvariantContext, name?: string): RunRecord {
  return runCase(ctx.subject, caseScenario(c, ctx.subject), c.body, name);
}

export const runArb = (ctx: InvariantContext, capacity = true) =>
  caseArb(ctx.space, {
    failures: true,
    capacity,
    chains: true,
    r19Params: true,
    prefs: ["only", "ignore", "order", "allow_fallbacks", "sort", "max_price", "quantizations", "zdr"],
  }).map((c) => ({ ...c, body: mergeBody(ctx.subject.template, c.body) }));
