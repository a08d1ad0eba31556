/**
 * The routing invariants. Each one says which spec rules it checks, how its cases are generated and
 * how one case is judged. They look only at public contracts — a policy's `Decision`s against an
 * `EndpointView`, and the attempts and outcomes a run reports — so they hold for any implementation
 * of the rules, including user policies.
 *
 * Two levels: route-level invariants call `policy.route` directly on a synthetic view (fast; the
 * health state is generated), run-level ones simulate a small scenario with the real router and mock
 * providers.
 */
import fc from "fast-check";
import { DEFERRED, type Decision, type EndpointView } from "../policies/types.js";
import { buildCatalog } from "../providers/catalog.js";
import { hashKey, Rng } from "../rng/rng.js";
import type { ProviderPrefs, RequestBody, Scenario } from "../scenario/schema.js";
import type { AttemptRecord, Endpoint } from "../types.js";
import { type CaseSpace, caseArb, GENERATED_MODELS, orderArb } from "./arbitraries.js";
import {
  type CheckCase,
  type CheckSubject,
  caseScenario,
  type RunRecord,
  routedRequest,
  runCase,
  syntheticView,
} from "./harness.js";
import {
  autoAllows,
  autoRestrictions,
  byokPlacement,
  candidateModels,
  chargeUsd,
  describeFinal,
  eligibleOf,
  exclusion,
  expectedFinal,
  isRouterSlug,
  type Knobs,
  lbPrice,
  lbWeight,
  meetsPreferred,
  partitionOf,
  type ServedAt,
  type SortBy,
  slugMatches,
  sortKey,
  splitVariant,
  stickyEndpoint,
  uptimeClass,
} from "./oracle.js";
import { chiSquareTest } from "./stats.js";

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

function strip<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as Record<string, unknown>)[k];
  return o;
}

/** One model in default load-balancing mode: no sort, order, preferences, variants or R19 parameters. */
function lbBody(template: RequestBody, generated: RequestBody, models: readonly string[]): RequestBody {
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

function modelsIn(ctx: InvariantContext): string[] {
  return ctx.space.providers ? [...new Set(ctx.space.providers.map((p) => p.model))] : [...GENERATED_MODELS];
}

// ---------------------------------------------------------------------------------------------
// Route-level helpers
// ---------------------------------------------------------------------------------------------

interface Routed {
  scenario: Scenario;
  catalog: readonly Endpoint[];
  view: EndpointView;
  route: (id: number) => Decision;
  tokens: { prompt: number; completion: number };
}

function routed(c: CheckCase, ctx: InvariantContext, providers = c.providers): Routed {
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

function tagOf(catalog: readonly Endpoint[], id: number): string {
  const e = catalog[id];
  return e ? `${e.tag} (${e.model})` : `#${id} (no such endpoint)`;
}

/** Candidate ids grouped by model, in decision order. */
function byModel(d: Decision, catalog: readonly Endpoint[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (d.kind !== "route") return out;
  for (const id of d.candidates) {
    const m = catalog[id]?.model ?? "?";
    out.set(m, [...(out.get(m) ?? []), id]);
  }
  return out;
}

/** Draws per statistical case, and the per-case false-alarm rate of the χ² test. */
const DRAWS = 2000;
const ALPHA = 1e-6;

function firstShares(r: Routed, ids: readonly number[]): { counts: number[]; stray: number | null } {
  const counts = ids.map(() => 0);
  for (let k = 0; k < DRAWS; k++) {
    const d = r.route(k);
    if (d.kind !== "route" || d.candidates.length === 0) return { counts, stray: -1 };
    const i = ids.indexOf(d.candidates[0]);
    if (i < 0) return { counts, stray: d.candidates[0] };
    counts[i]++;
  }
  return { counts, stray: null };
}

function lbApplicable(ctx: InvariantContext): string | null {
  if (ctx.knobs.lbMode !== "v1" && ctx.knobs.lbMode !== "v2")
    return `lbMode ${ctx.knobs.lbMode} has no formula`;
  if (ctx.knobs.lbCandidateTopK !== null) return "lbCandidateTopK limits the weighted set";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Run-level helpers
// ---------------------------------------------------------------------------------------------

function run(c: CheckCase, ctx: InvariantContext, name?: string): RunRecord {
  return runCase(ctx.subject, caseScenario(c, ctx.subject), c.body, name);
}

const runArb = (ctx: InvariantContext, capacity = true) =>
  caseArb(ctx.space, {
    failures: true,
    capacity,
    chains: true,
    r19Params: true,
    prefs: ["only", "ignore", "order", "allow_fallbacks", "sort", "max_price", "quantizations", "zdr"],
  }).map((c) => ({ ...c, body: mergeBody(ctx.subject.template, c.body) }));

/** Everything observable about a run except the policy's name, for equality checks. */
export function fingerprint(r: RunRecord): string[] {
  return r.traces.map((t) => {
    const o = t.outcome;
    const head =
      o.kind === "served"
        ? `${t.req.id} served ${o.endpoint.tag} ${o.costUsd} ${o.latencyMs} ${o.ttftMs}`
        : `${t.req.id} failed ${o.status} ${o.code} ${o.latencyMs}`;
    const atts = t.attempts.map(
      (a) =>
        `${a.endpoint.tag}:${a.status}:${a.error}:${a.startMs}:${a.endMs}:${a.completionTokens}:${a.costUsd}`,
    );
    return `${head} @${t.req.arrivalMs} ${t.req.promptTokens}/${t.req.completionTokens} [${atts.join(" ")}]`;
  });
}

function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) return `outcome #${i}: "${a[i] ?? "(none)"}" vs "${b[i] ?? "(none)"}"`;
  return null;
}

/** Numbers in messages: 6 significant digits, no float noise. */
const short = (x: number) => String(Number(x.toPrecision(6)));

const sameNumber = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));

// ---------------------------------------------------------------------------------------------
// The invariants
// ---------------------------------------------------------------------------------------------

const conservation: Invariant = {
  name: "conservation",
  rules: "R44, R49, R66",
  summary: "one terminal outcome per request; attempts follow the decision; attempts and costs add up",
  group: "core",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    const r = run(c, ctx);
    const seen = new Map<number, number>();
    for (const t of r.traces) seen.set(t.req.id, (seen.get(t.req.id) ?? 0) + 1);
    if (r.traces.length !== r.arrived) return `${r.arrived} requests arrived but ${r.traces.length} outcomes`;
    for (const [id, n] of seen) if (n !== 1) return `request ${id} has ${n} outcomes`;
    let attemptCost = 0;
    let attempts = 0;
    for (const t of r.traces) {
      const { outcome: o, attempts: as, decision: d } = t;
      attempts += as.length;
      if (o.attempts !== as.length)
        return `request ${t.req.id}: outcome says ${o.attempts} attempts, ${as.length} made`;
      for (const [i, a] of as.entries()) {
        if (a.requestId !== t.req.id || a.attempt !== i + 1)
          return `request ${t.req.id}: attempt ${i + 1} is numbered ${a.attempt} for request ${a.requestId}`;
        attemptCost += a.costUsd;
      }
      if (d.kind === "reject" && as.length > 0) return `request ${t.req.id}: rejected but attempted`;
      if (d.kind === "route") {
        let pos = 0;
        for (const a of as) {
          // A deferred step is chosen when it runs: any endpoint fits it.
          while (
            pos < d.candidates.length &&
            d.candidates[pos] !== a.endpoint.id &&
            d.candidates[pos] !== DEFERRED
          )
            pos++;
          if (pos === d.candidates.length)
            return `request ${t.req.id}: attempted ${a.endpoint.tag} out of the decision's order [${d.candidates.map((id) => tagOf(r.catalog, id)).join(", ")}]`;
          pos++;
        }
      }
      const ok = as.filter((a) => a.status === 200);
      if (o.kind === "served") {
        const last = as[as.length - 1];
        if (last?.status !== 200 || last.endpoint !== o.endpoint || ok.length !== 1)
          return `request ${t.req.id}: served by ${o.endpoint.tag} but its attempts are ${as.map((a) => `${a.endpoint.tag}:${a.status}`).join(", ")}`;
        const sum = as.reduce((s, a) => s + a.costUsd, 0);
        if (Math.abs(sum - o.costUsd) > 1e-12)
          return `request ${t.req.id}: cost ${o.costUsd} but attempts cost ${sum}`;
      } else if (ok.length > 0)
        return `request ${t.req.id}: failed although attempt ${ok[0].attempt} succeeded`;
    }
    if (attempts !== r.attempts.length)
      return `${r.attempts.length} attempts reported, ${attempts} in outcomes`;
    const streamed = r.attempts.reduce((s, a) => s + a.costUsd, 0);
    if (Math.abs(attemptCost - streamed) > 1e-9)
      return `attempts reported cost $${streamed}, the attempts of the outcomes $${attemptCost}`;
    return null;
  },
};

const filters: Invariant = {
  name: "filters",
  rules: "R10–R18, R20",
  summary:
    "never routes to an endpoint excluded by only/ignore/max_price/quantizations/data_collection/zdr/require_parameters/context length (or a tier not opted into)",
  group: "openrouter",
  mode: "assert",
  arbitrary: (ctx) =>
    caseArb(ctx.space, {
      route: true,
      tiers: true,
      chains: true,
      r19Params: true,
      prefs: [
        "only",
        "ignore",
        "max_price",
        "quantizations",
        "data_collection",
        "zdr",
        "require_parameters",
        "order",
        "sort",
        "allow_fallbacks",
      ],
    }).map((c) => ({ ...c, body: mergeBody(ctx.subject.template, c.body) })),
  check(c, ctx) {
    const r = routed(c, ctx);
    const d = r.route(0);
    if (d.kind !== "route") return null;
    const entries = candidateModels(r.scenario.policies[0].request).map(splitVariant);
    for (const id of d.candidates) {
      const e = r.catalog[id];
      if (!e) return `candidate ${id} is not an endpoint`;
      // With a router slug the router picks the models (R74); the filters still apply to them (R54, R72).
      const routers = entries.some((m) => isRouterSlug(m.model)) ? [{ model: e.model, variant: null }] : [];
      const mine = [...entries.filter((m) => m.model === e.model), ...routers];
      if (mine.length === 0) return `routed to ${tagOf(r.catalog, id)}, a model the request did not ask for`;
      const why = mine.map((m) => exclusion(e, r.scenario.policies[0].request, m.variant, r.tokens));
      if (why.every((w) => w !== null)) return `routed to ${tagOf(r.catalog, id)}, which ${why[0]} excludes`;
    }
    return null;
  },
};

const fallbacks: Invariant = {
  name: "fallbacks",
  rules: "R29, R30",
  summary: "allow_fallbacks:false → at most one endpoint per model (without order); order respected exactly",
  group: "openrouter",
  mode: "assert",
  arbitrary: (ctx) =>
    fc
      .oneof(
        caseArb(ctx.space, { route: true, plain: true, minEndpoints: 2, prefs: ["ignore", "quantizations"] }),
        caseArb(ctx.space, { route: true, plain: true, chains: true, prefs: ["ignore"] }),
      )
      // The order names the case's own endpoints (and a stranger): mostly, entries match something.
      .chain((c) => fc.tuple(fc.constant(c), orderArb(c.providers), fc.boolean()))
      .map(([c, order, allowFallbacks]) => {
        const models = [...new Set(candidateModels(c.body).map((m) => splitVariant(m).model))];
        const b = lbBody(ctx.subject.template, { ...c.body, model: models[0] }, modelsIn(ctx));
        const provider = strip({ ...b.provider, order, allow_fallbacks: allowFallbacks });
        return { ...c, body: strip({ ...b, models: models.length > 1 ? models : undefined, provider }) };
      }),
  check(c, ctx) {
    const r = routed(c, ctx);
    const d = r.route(0);
    const body = r.scenario.policies[0].request;
    const prefs = body.provider ?? {};
    const segments = byModel(d, r.catalog);
    for (const m of candidateModels(body)) {
      const seg = segments.get(m) ?? [];
      if (!prefs.order) {
        if (prefs.allow_fallbacks === false && seg.length > 1)
          return `allow_fallbacks:false but ${seg.length} endpoints of ${m}: ${seg.map((id) => tagOf(r.catalog, id)).join(", ")}`;
        continue;
      }
      const eligible = eligibleOf(r.view.endpointsOf(m), body, null, r.tokens);
      // Tier endpoints named by a full slug (R12c) are admitted by fuller implementations only, so
      // they may or may not appear; every default-tier endpoint an entry matches must.
      const placed = new Set<number>();
      let pos = 0;
      for (const slug of prefs.order) {
        const group = eligible.filter((e) => slugMatches(e, slug) && !placed.has(e.id));
        for (const e of group) placed.add(e.id);
        const required = group.filter((e) => e.tier === "default");
        let n = 0;
        while (pos + n < seg.length && group.some((e) => e.id === seg[pos + n])) n++;
        const got = seg.slice(pos, pos + n);
        if (required.some((e) => !got.includes(e.id)))
          return `order [${prefs.order.join(", ")}]: expected ${required.map((e) => e.tag).join("/")} for "${slug}" at position ${pos + 1}, got [${seg.map((id) => tagOf(r.catalog, id)).join(", ")}]`;
        pos += n;
      }
      if (prefs.allow_fallbacks === false && seg.length > pos)
        return `order [${prefs.order.join(", ")}] with allow_fallbacks:false, but also tried ${seg
          .slice(pos)
          .map((id) => tagOf(r.catalog, id))
          .join(", ")}`;
    }
    return null;
  },
};

function variantInvariant(variant: "floor" | "nitro"): Invariant {
  const floor = variant === "floor";
  return {
    name: variant,
    rules: floor ? "R37, R28" : "R36, R28",
    summary: floor
      ? ":floor → first attempt among the cheapest eligible endpoints"
      : ":nitro → first attempt among the fastest eligible endpoints (throughput)",
    group: "openrouter",
    mode: "assert",
    arbitrary: (ctx) =>
      caseArb(ctx.space, {
        route: true,
        plain: true,
        prefs: ["ignore", "quantizations", "max_price", "zdr"],
      }).map((c) => {
        const b = lbBody(ctx.subject.template, c.body, modelsIn(ctx));
        return { ...c, body: { ...b, model: `${b.model}:${variant}` } };
      }),
    check(c, ctx) {
      const r = routed(c, ctx);
      const body = r.scenario.policies[0].request;
      const { model } = splitVariant(body.model!);
      const eligible = eligibleOf(r.view.endpointsOf(model), body, variant, r.tokens);
      if (eligible.length === 0) return null;
      const d = r.route(0);
      if (d.kind !== "route" || d.candidates.length === 0)
        return `${eligible.length} eligible endpoints but no route`;
      const first = r.catalog[d.candidates[0]];
      if (!eligible.includes(first))
        return `first attempt ${tagOf(r.catalog, d.candidates[0])} is not eligible`;
      const key = (e: Endpoint) =>
        floor
          ? lbPrice(e, ctx.knobs)
          : -(e.advertised.throughput[ctx.knobs.sortStat] ?? Number.NEGATIVE_INFINITY);
      const best = Math.min(...eligible.map(key));
      if (key(first) > best + 1e-12) {
        const winner = eligible.find((e) => key(e) === best)!;
        return floor
          ? `first attempt ${first.tag} costs ${short(lbPrice(first, ctx.knobs))} $/M, ${winner.tag} costs ${short(best)}`
          : `first attempt ${first.tag} does ${short(-key(first))} tok/s, ${winner.tag} does ${short(-best)}`;
      }
      return null;
    },
  };
}

const weights: Invariant = {
  name: "weights",
  rules: "R24, R24a, R24b, R26",
  summary: `default load balancing: first-attempt frequencies match 1/price² (v1: 1/price) — χ² test, ${DRAWS} draws, α=${ALPHA}`,
  group: "openrouter",
  mode: "assert",
  runsFactor: 0.2,
  notApplicable: lbApplicable,
  arbitrary: (ctx) =>
    caseArb(ctx.space, { route: true, plain: true, minEndpoints: 2, prefs: ["ignore", "quantizations"] }).map(
      (c) => ({
        ...c,
        body: lbBody(ctx.subject.template, c.body, modelsIn(ctx)),
        routing: { ...c.routing!, failuresAgoMs: [] },
      }),
    ),
  check(c, ctx) {
    const r = routed(c, ctx);
    const body = r.scenario.policies[0].request;
    const eligible = eligibleOf(r.view.endpointsOf(body.model!), body, null, r.tokens);
    if (eligible.length < 2) return null;
    let w = eligible.map((e) => lbWeight(e, ctx.knobs));
    if (w.some((x) => x === Number.POSITIVE_INFINITY))
      w = w.map((x) => (x === Number.POSITIVE_INFINITY ? 1 : 0));
    const total = w.reduce((s, x) => s + x, 0);
    const probs = w.map((x) => x / total);
    const { counts, stray } = firstShares(
      r,
      eligible.map((e) => e.id),
    );
    if (stray !== null)
      return stray < 0
        ? "no route for an eligible model"
        : `first attempt on ineligible ${tagOf(r.catalog, stray)}`;
    const t = chiSquareTest(counts, probs, ALPHA);
    if (t.statistic <= t.critical) return null;
    const cells = eligible
      .map((e, i) => `${e.tag} ${counts[i]} vs ${(probs[i] * DRAWS).toFixed(1)}`)
      .join(", ");
    return `first-attempt counts (observed vs expected) ${cells}: χ²=${t.statistic.toFixed(1)} > ${t.critical.toFixed(1)} (df ${t.df})`;
  },
};

const priceMonotone: Invariant = {
  name: "price-monotone",
  rules: "R24 (metamorphic)",
  summary: "lowering one endpoint's price never lowers its first-attempt share (beyond 5 standard errors)",
  group: "openrouter",
  mode: "assert",
  runsFactor: 0.2,
  notApplicable: lbApplicable,
  arbitrary: (ctx) =>
    caseArb(ctx.space, { route: true, plain: true, minEndpoints: 2, pick: true, prefs: ["ignore"] }).map(
      (c) => ({
        ...c,
        body: lbBody(ctx.subject.template, c.body, modelsIn(ctx)),
        routing: { ...c.routing!, failuresAgoMs: [] },
      }),
    ),
  check(c, ctx) {
    const { endpoint: k, factor } = c.pick!;
    const cheaper = c.providers.map((p, i) =>
      i === k
        ? {
            ...p,
            price: { ...p.price, prompt: p.price.prompt * factor, completion: p.price.completion * factor },
          }
        : p,
    );
    const before = routed(c, ctx);
    const after = routed(c, ctx, cheaper);
    const share = (r: Routed) => {
      let n = 0;
      for (let i = 0; i < DRAWS; i++) {
        const d = r.route(i);
        if (d.kind === "route" && d.candidates[0] === k) n++;
      }
      return n / DRAWS;
    };
    const p1 = share(before);
    const p2 = share(after);
    const tol = 5 * Math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / DRAWS) + 1 / DRAWS;
    if (p2 >= p1 - tol) return null;
    return `${c.providers[k].name}: price × ${factor} moved its first-attempt share from ${p1.toFixed(3)} to ${p2.toFixed(3)}`;
  },
};

const outage: Invariant = {
  name: "outage",
  rules: "R24 step 1, R93",
  summary:
    "an endpoint with a recent outage (inside the window) is never tried before a healthy eligible one",
  group: "openrouter",
  mode: "assert",
  notApplicable: lbApplicable,
  arbitrary: (ctx) =>
    caseArb(ctx.space, { route: true, plain: true, prefs: ["ignore", "quantizations"] }).map((c) => ({
      ...c,
      body: lbBody(ctx.subject.template, c.body, modelsIn(ctx)),
    })),
  check(c, ctx) {
    const r = routed(c, ctx);
    const d = r.route(0);
    const since = r.view.now - ctx.knobs.outageWindowMs;
    const unstable = (id: number) => r.view.health.failuresSince(id, since) >= ctx.knobs.outageMinFailures;
    for (const [, seg] of byModel(d, r.catalog)) {
      const firstBad = seg.findIndex(unstable);
      if (firstBad < 0) continue;
      const healthyAfter = seg.slice(firstBad).find((id) => !unstable(id));
      if (healthyAfter !== undefined)
        return `${tagOf(r.catalog, seg[firstBad])} (failed within ${ctx.knobs.outageWindowMs} ms) is tried before healthy ${tagOf(r.catalog, healthyAfter)}`;
    }
    return null;
  },
};

const once: Invariant = {
  name: "once",
  rules: "R44",
  summary: "each endpoint is tried at most once per request",
  group: "openrouter",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    for (const t of run(c, ctx).traces) {
      const ids = t.attempts.map((a) => a.endpoint.id);
      const dup = ids.find((id, i) => ids.indexOf(id) !== i);
      if (dup !== undefined)
        return `request ${t.req.id} tried ${t.attempts.find((a) => a.endpoint.id === dup)!.endpoint.tag} twice`;
    }
    return null;
  },
};

const billing: Invariant = {
  name: "billing",
  rules: "R66–R70",
  summary:
    "failed attempts cost nothing (a gateway calling providers directly pays what they generated before it let go); a served request is billed once, at the serving endpoint's (model's) price",
  group: "core",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    const r = run(c, ctx);
    // A gateway that calls providers directly pays for what they generated before it let go: a cut
    // stream always, a timeout only once the prompt was processed (a cost of 0 is then legal too).
    const billable = (a: AttemptRecord) =>
      a.status === 200 ||
      (a.error === "mid_stream" && (r.billsAbandoned || ctx.knobs.billPartialOnErrorFinish)) ||
      (r.billsAbandoned && a.error === "timeout" && a.costUsd !== 0);
    // Both the attempt stream and the attempts each outcome carries (what request rows are built from).
    for (const a of [...r.attempts, ...r.traces.flatMap((t) => t.attempts)]) {
      if (!billable(a) && a.costUsd !== 0)
        return `request ${a.requestId}: failed attempt ${a.attempt} on ${a.endpoint.tag} (status ${a.status}) cost $${a.costUsd}`;
      if (!billable(a)) continue;
      const expected = chargeUsd(
        a.endpoint,
        a.promptTokens,
        a.cachedTokens ?? 0,
        a.completionTokens,
        ctx.knobs,
      );
      if (Math.abs(a.costUsd - expected) > 1e-12 * Math.max(1, expected))
        return `request ${a.requestId}: attempt ${a.attempt} on ${a.endpoint.tag} (${a.endpoint.model}) billed $${a.costUsd}, its price card gives $${expected}`;
    }
    for (const t of r.traces) {
      const o = t.outcome;
      if (o.kind !== "served") continue;
      const last = t.attempts[t.attempts.length - 1];
      let earlier = 0;
      for (const a of t.attempts) if (a !== last) earlier += a.costUsd;
      const expected =
        earlier +
        chargeUsd(o.endpoint, last.promptTokens, last.cachedTokens ?? 0, last.completionTokens, ctx.knobs);
      if (Math.abs(o.costUsd - expected) > 1e-12 * Math.max(1, expected))
        return `request ${t.req.id}: served by ${o.endpoint.tag} (${o.endpoint.model}) and billed $${o.costUsd}, its price card gives $${expected}`;
    }
    return null;
  },
};

const commit: Invariant = {
  name: "commit",
  rules: "R46, R53",
  summary: "no attempt after the first streamed token: a mid-stream failure ends the request",
  group: "core",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    for (const t of run(c, ctx).traces) {
      const i = t.attempts.findIndex((a) => Number.isFinite(a.ttftMs));
      if (i >= 0 && i < t.attempts.length - 1)
        return `request ${t.req.id}: attempt ${i + 1} on ${t.attempts[i].endpoint.tag} streamed a token, yet ${t.attempts[i + 1].endpoint.tag} was tried next`;
    }
    return null;
  },
};

const finalStatus: Invariant = {
  name: "final-status",
  rules: "R55, R60, R63",
  summary:
    "failed request's status: all 429 → 429, all transient → 503, all upstream 404 → 404, else the last error",
  group: "openrouter",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    const r = run(c, ctx);
    for (const t of r.traces) {
      const o = t.outcome;
      const as = t.attempts;
      if (o.kind !== "failed" || as.length === 0 || t.decision.kind !== "route") continue;
      if (as.some((a) => Number.isFinite(a.ttftMs))) continue; // committed failures are R46's
      // R60 judges the request's last candidate model (R51), even one without eligible endpoints; judge
      // only when every attempt was on it (F is then all of them, and no R59 filter code applies).
      const models = candidateModels(t.req.body);
      const lastModel = splitVariant(models[models.length - 1] ?? "").model;
      if (as.some((a) => a.endpoint.model !== lastModel)) continue;
      const want = expectedFinal(as);
      if (o.status !== want.status || (want.code !== null && o.code !== want.code))
        return `request ${t.req.id}: attempts ${as.map((a) => (a.error === "timeout" ? "timeout" : a.status)).join(", ")} → ${o.status} ${o.code}, expected ${describeFinal(want)}`;
    }
    return null;
  },
};

const determinism: Invariant = {
  name: "determinism",
  rules: "house rule",
  summary: "same scenario and seed → identical outcome sequence",
  group: "core",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    const diff = firstDifference(fingerprint(run(c, ctx)), fingerprint(run(c, ctx)));
    return diff && `two runs differ at ${diff}`;
  },
};

/** A reference policy for CRN: every endpoint of the requested model, in catalog order. */
function catalogOrder(view: EndpointView, body: RequestBody): Decision {
  const ids = view.endpointsOf(splitVariant(body.model ?? "").model).map((e) => e.id);
  return { kind: "route", candidates: ids };
}

const crn: Invariant = {
  name: "crn",
  rules: "house rule",
  summary:
    "reordering policies changes nothing; every policy meets the same traffic, and a request's first try of an endpoint the same failure draw",
  group: "core",
  mode: "assert",
  arbitrary: (ctx) =>
    runArb(ctx, false).map((c) => ({
      ...c,
      providers: c.providers.map((p) => ({ ...p, concurrency: null, queue_limit: null, rate_limit: null })),
    })),
  check(c, ctx) {
    const scenario = caseScenario(c, ctx.subject);
    const mine = runCase(ctx.subject, scenario, c.body);
    const base = fingerprint(mine);
    const reference: CheckSubject = {
      ...ctx.subject,
      name: "catalog-order",
      build: (s, cat, body, name) => ({
        policy: { name, route: (req, view) => catalogOrder(view, req.body) },
        behaviour: ctx.subject.build(s, cat, body, name).behaviour,
      }),
    };
    const ref = runCase(reference, scenario, c.body);
    const diff = firstDifference(base, fingerprint(runCase(ctx.subject, scenario, c.body)));
    if (diff) return `running another policy first changed its results at ${diff}`;
    const traffic = (r: RunRecord) =>
      r.traces
        .map((t) => `${t.req.id}@${t.req.arrivalMs}:${t.req.promptTokens}/${t.req.completionTokens}`)
        .sort()
        .join(" ");
    if (traffic(mine) !== traffic(ref)) return "two policies saw different traffic";
    const firstTries = new Map(
      ref.attempts.filter((a) => a.attempt === 1).map((a) => [`${a.requestId}|${a.endpoint.id}`, a]),
    );
    for (const a of mine.attempts) {
      const b = a.attempt === 1 ? firstTries.get(`${a.requestId}|${a.endpoint.id}`) : undefined;
      if (!b || b.startMs !== a.startMs) continue;
      if (
        a.status !== b.status ||
        a.error !== b.error ||
        !sameNumber(a.ttftMs, b.ttftMs) ||
        a.endMs !== b.endMs ||
        a.completionTokens !== b.completionTokens
      )
        return `request ${a.requestId} on ${a.endpoint.tag}: ${a.status}/${a.error} at ${a.endMs} under this policy, ${b.status}/${b.error} at ${b.endMs} under another`;
    }
    return null;
  },
};

const rename: Invariant = {
  name: "rename",
  rules: "house rule (CRN)",
  summary:
    "a policy's results do not depend on its name, so identically configured policies draw identically",
  group: "core",
  mode: "assert",
  arbitrary: (ctx) => runArb(ctx),
  check(c, ctx) {
    const scenario = caseScenario(c, ctx.subject);
    const base = fingerprint(runCase(ctx.subject, scenario, c.body));
    const renamed = fingerprint(runCase(ctx.subject, scenario, c.body, `${ctx.subject.name}-renamed`));
    const diff = firstDifference(base, renamed);
    return diff && `renaming the policy changed its results (its draws depend on its name) at ${diff}`;
  },
};

const capacity: Invariant = {
  name: "capacity",
  rules: "metamorphic",
  summary:
    "adding a healthy endpoint does not lower the success rate (fixed seed; queueing can make it false)",
  group: "core",
  mode: "report",
  arbitrary: (ctx) =>
    caseArb(ctx.space, {
      failures: true,
      capacity: true,
      pick: true,
      prefs: ["ignore", "sort", "order", "allow_fallbacks"],
    }).map((c) => ({ ...c, body: mergeBody(ctx.subject.template, c.body) })),
  check(c, ctx) {
    const src = c.providers[c.pick!.endpoint];
    const spare = {
      ...src,
      name: `${src.name.replace("/", "-")}-spare`,
      error_rate: 0,
      midstream_error_rate: 0,
      outages: [],
      concurrency: null,
      queue_limit: null,
      rate_limit: null,
    };
    const ok = (r: RunRecord) => r.traces.filter((t) => t.outcome.kind === "served").length;
    const before = ok(run(c, ctx));
    const after = ok(run({ ...c, providers: [...c.providers, spare] }, ctx));
    return after >= before
      ? null
      : `adding healthy ${spare.name} lowered successes from ${before} to ${after} of ${c.traffic.requests}`;
  },
};

// ---------------------------------------------------------------------------------------------
// Soft preferences (R31) and cross-model pooling (R32): pure functions of one decision.
// ---------------------------------------------------------------------------------------------

/** Cases paired with one generated value per endpoint (uptime counts, BYOK flags, cache prices). */
function perEndpoint<T>(
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

const SORTS: readonly SortBy[] = ["price", "throughput", "latency"];

/**
 * A request in sort or default mode over `models` (variants, order, sticky sessions, tiers and R19
 * parameters left out: they legitimately reorder), with the given provider preferences added.
 */
function orderingBody(
  ctx: InvariantContext,
  c: CheckCase,
  models: readonly string[],
  extra: ProviderPrefs,
  route?: "fallback" | "sort",
): RequestBody {
  const b = lbBody(ctx.subject.template, { ...c.body, model: models[0] }, modelsIn(ctx));
  const provider = strip({ ...b.provider, ...extra });
  return strip({ ...b, models: models.length > 1 ? [...models] : undefined, provider, route });
}

function chainOf(body: RequestBody): string[] {
  return [...new Set(candidateModels(body).map((m) => splitVariant(m).model))];
}

function describePrefs(p: ProviderPrefs): string {
  const parts: string[] = [];
  if (p.preferred_min_throughput !== undefined)
    parts.push(`preferred_min_throughput ${JSON.stringify(p.preferred_min_throughput)}`);
  if (p.preferred_max_latency !== undefined)
    parts.push(`preferred_max_latency ${JSON.stringify(p.preferred_max_latency)}`);
  return parts.join(", ");
}

const preferred: Invariant = {
  name: "preferred",
  rules: "R31, R34",
  summary:
    "preferred_min_throughput/preferred_max_latency: endpoints meeting every cutoff come before the others (whole list, or per model with preferredScope perModel); nothing is removed",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) =>
    ctx.knobs.statsSource === "advertised"
      ? null
      : `statsSource ${ctx.knobs.statsSource} reads observed figures`,
  arbitrary: (ctx) =>
    fc
      .tuple(
        caseArb(ctx.space, { route: true, plain: true, chains: true, prefs: ["ignore"] }),
        fc.record({
          on: fc.constantFrom("throughput", "latency", "both"),
          i: fc.nat({ max: 5 }),
          j: fc.nat({ max: 5 }),
          form: fc.constantFrom("number", "p50", "p50+p90"),
          sort: fc.option(fc.constantFrom(...SORTS), { nil: undefined }),
        }),
      )
      .map(([c, g]) => {
        // Cutoffs at the case's own figures, so the preferred group is mostly neither empty nor everything.
        const catalog = buildCatalog(caseScenario(c, ctx.subject).providers);
        const tp = catalog[g.i % catalog.length].advertised.throughput.p50 ?? 100;
        const lat = catalog[g.j % catalog.length].advertised.latencyS.p50 ?? 1;
        const cut = (x: number) =>
          g.form === "number" ? x : g.form === "p50" ? { p50: x } : { p50: x, p90: x };
        const extra: ProviderPrefs = { sort: g.sort };
        if (g.on !== "latency") extra.preferred_min_throughput = cut(tp);
        if (g.on !== "throughput") extra.preferred_max_latency = cut(lat);
        return { ...c, body: orderingBody(ctx, c, chainOf(c.body), extra) };
      }),
  check(c, ctx) {
    const r = routed(c, ctx);
    const d = r.route(0);
    if (d.kind !== "route") return null;
    const prefs = r.scenario.policies[0].request.provider ?? {};
    const list = (ids: readonly number[]) => ids.map((id) => tagOf(r.catalog, id)).join(", ");
    const segments =
      ctx.knobs.preferredScope === "global" ? [d.candidates] : [...byModel(d, r.catalog).values()];
    for (const seg of segments) {
      const miss = seg.findIndex((id) => !meetsPreferred(r.catalog[id], prefs));
      const late = miss < 0 ? -1 : seg.findIndex((id, i) => i > miss && meetsPreferred(r.catalog[id], prefs));
      if (late >= 0)
        return `${tagOf(r.catalog, seg[late])} meets ${describePrefs(prefs)} but comes after ${tagOf(r.catalog, seg[miss])}, which does not: [${list(seg)}]`;
    }
    // Soft: the same request without the preferences is routed to the same endpoints.
    const plain = {
      ...c.body.provider,
      preferred_min_throughput: undefined,
      preferred_max_latency: undefined,
    };
    const d0 = routed({ ...c, body: strip({ ...c.body, provider: strip(plain) }) }, ctx).route(0);
    const ids = (x: Decision) =>
      x.kind === "route" ? [...x.candidates].sort((a, b) => a - b).join(",") : x.kind;
    if (ids(d) !== ids(d0))
      return `${describePrefs(prefs)} changed which endpoints are tried: [${list(d.candidates)}] vs [${d0.kind === "route" ? list(d0.candidates) : `reject ${d0.status}`}] without`;
    return null;
  },
};

const partition: Invariant = {
  name: "partition",
  rules: "R32, R28, R57",
  summary:
    'sort {by, partition:"none"} (or legacy route:"sort") over a models chain: every candidate of every model in one sorted order, the best eligible endpoint of any model first',
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) =>
    modelsIn(ctx).length < 2
      ? "one model only: nothing to pool"
      : ctx.knobs.sortConsidersHealth
        ? "sortConsidersHealth demotes unstable endpoints inside the sort"
        : null,
  arbitrary: (ctx) =>
    fc
      .tuple(
        caseArb(ctx.space, { route: true, plain: true, chains: true, prefs: ["ignore"] }),
        fc.constantFrom(...SORTS),
        fc.constantFrom("partition", "legacy", "partition-wins"),
      )
      .map(([c, by, form]) => {
        const chain = chainOf(c.body);
        const models = [...chain, ...modelsIn(ctx).filter((m) => !chain.includes(m))].slice(0, 3);
        if (form === "legacy") return { ...c, body: orderingBody(ctx, c, models, { sort: by }, "sort") };
        const sort = { by, partition: "none" as const };
        return {
          ...c,
          body: orderingBody(ctx, c, models, { sort }, form === "partition-wins" ? "fallback" : undefined),
        };
      }),
  check(c, ctx) {
    const r = routed(c, ctx);
    const body = r.scenario.policies[0].request;
    const { by, pooled } = partitionOf(body);
    if (!pooled || by === null) return null;
    const d = r.route(0);
    const eligible = candidateModels(body).flatMap((m) =>
      eligibleOf(r.view.endpointsOf(m), body, null, r.tokens),
    );
    if (eligible.length === 0) return null;
    if (d.kind !== "route" || d.candidates.length === 0)
      return `${eligible.length} eligible endpoints but no route`;
    const key = (id: number) => sortKey(r.catalog[id], by, ctx.knobs);
    const show = (id: number) => `${tagOf(r.catalog, id)} [${by} key ${short(key(id))}]`;
    for (let i = 1; i < d.candidates.length; i++)
      if (key(d.candidates[i]) < key(d.candidates[i - 1]) - 1e-12)
        return `sorted by ${by} across models, but ${show(d.candidates[i])} comes after ${show(d.candidates[i - 1])}`;
    const best = eligible.reduce((a, e) => (sortKey(e, by, ctx.knobs) < sortKey(a, by, ctx.knobs) ? e : a));
    if (key(d.candidates[0]) > sortKey(best, by, ctx.knobs) + 1e-12)
      return `first attempt ${show(d.candidates[0])}, but ${show(best.id)} is eligible and better`;
    return null;
  },
};

/** Window counts around the R25/R92 thresholds (95 % and 80 % exactly, and below 100 requests). */
const UPTIME_COUNTS = [
  { successes: 0, errors: 0 },
  { successes: 98, errors: 2 },
  { successes: 95, errors: 5 },
  { successes: 90, errors: 10 },
  { successes: 80, errors: 20 },
  { successes: 70, errors: 30 },
  { successes: 0, errors: 120 },
  { successes: 40, errors: 50 },
];

const uptime: Invariant = {
  name: "uptime",
  rules: "R25, R90, R92, R24 step 1",
  summary:
    "default load balancing: normal-stable endpoints before degraded (80–95 % uptime) before down (< 80 %) or unstable ones; fewer than 100 counted requests count as normal",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) => {
    if (!ctx.knobs.uptimeTiers.enabled) return "uptimeTiers disabled";
    return lbApplicable(ctx);
  },
  arbitrary: (ctx) =>
    perEndpoint(
      caseArb(ctx.space, { route: true, plain: true, minEndpoints: 2, prefs: ["ignore"] }),
      UPTIME_COUNTS,
    ).map(([c, counts]) => ({
      ...c,
      body: lbBody(ctx.subject.template, c.body, modelsIn(ctx)),
      routing: { ...c.routing!, uptime: counts },
    })),
  check(c, ctx) {
    const r = routed(c, ctx);
    const counts = c.routing?.uptime ?? [];
    const unstable = (id: number) =>
      (c.routing?.failuresAgoMs[id] ?? []).filter((ago) => ago <= ctx.knobs.outageWindowMs).length >=
      ctx.knobs.outageMinFailures;
    const klass = (id: number) =>
      unstable(id) ? 2 : uptimeClass(counts[id] ?? { successes: 0, errors: 0 }, ctx.knobs);
    const names = ["normal", "degraded", "down"];
    const show = (id: number) => {
      const u = counts[id];
      const why = unstable(id) ? "unstable (recent failures)" : names[klass(id)];
      return `${tagOf(r.catalog, id)} [${why}${u ? `, ${u.successes} ok / ${u.errors} errors` : ""}]`;
    };
    // A few draws: the weighted sampling inside each class must never cross a class boundary.
    for (let k = 0; k < 8; k++) {
      const d = r.route(k);
      for (const seg of byModel(d, r.catalog).values())
        for (let i = 1; i < seg.length; i++)
          if (klass(seg[i]) < klass(seg[i - 1]))
            return `${show(seg[i])} comes after ${show(seg[i - 1])}: [${seg.map((id) => tagOf(r.catalog, id)).join(", ")}]`;
    }
    return null;
  },
};

const BYOK_FLAGS = [
  undefined,
  undefined,
  { section: "prioritized" as const, always_use: false },
  { section: "fallback" as const, always_use: false },
  { section: "prioritized" as const, always_use: true },
];

const byok: Invariant = {
  name: "byok",
  rules: "R33, R34",
  summary:
    "BYOK keys: prioritized keys first and fallback-section keys last within their model, each in key order; an always-use key removes its provider's shared endpoints, and only those",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) => (ctx.knobs.useByok ? null : "useByok is off"),
  arbitrary: (ctx) =>
    perEndpoint(
      caseArb(ctx.space, {
        route: true,
        plain: true,
        chains: true,
        minEndpoints: 2,
        prefs: ["ignore", "quantizations", "sort", "order"],
      }),
      BYOK_FLAGS,
    ).map(([c, flags]) => {
      const b = c.body;
      // Sticky sessions (R34) and allow_fallbacks truncation (R30) are left out; partition "model".
      const provider = strip({ ...b.provider, allow_fallbacks: undefined });
      const body = strip({
        ...mergeBody(ctx.subject.template, { ...b, provider }),
        session_id: undefined,
        route: undefined,
        service_tier: undefined,
      });
      if (body.provider) {
        const p = { ...body.provider } as Record<string, unknown>;
        for (const k of ["allow_fallbacks", "preferred_min_throughput", "preferred_max_latency"]) delete p[k];
        if (typeof p.sort === "object") p.sort = (p.sort as { by?: string }).by;
        body.provider = strip(p);
      }
      const providers = c.providers.map((p, i) => (flags[i] ? { ...p, byok: flags[i] } : p));
      return { ...c, providers, body };
    }),
  check(c, ctx) {
    const r = routed(c, ctx);
    const d = r.route(0);
    if (d.kind !== "route") return null;
    const body = r.scenario.policies[0].request;
    const segments = byModel(d, r.catalog);
    const list = (xs: readonly Endpoint[] | readonly number[]) =>
      `[${xs.map((x) => (typeof x === "number" ? tagOf(r.catalog, x) : x.tag)).join(", ")}]`;
    for (const entry of candidateModels(body)) {
      const { model, variant } = splitVariant(entry);
      const seg = segments.get(model) ?? [];
      const eligible = eligibleOf(r.view.endpointsOf(model), body, variant, r.tokens);
      const want = byokPlacement(eligible, ctx.knobs);
      const got = seg.map((id) => r.catalog[id]);
      const ids = (xs: readonly Endpoint[]) => xs.map((e) => e.id).join(",");
      if (ids(got.slice(0, want.head.length)) !== ids(want.head))
        return `${model}: prioritized keys ${list(want.head)} must come first, in key order; got ${list(seg)}`;
      if (want.tail.length > 0 && ids(got.slice(-want.tail.length)) !== ids(want.tail))
        return `${model}: fallback-section keys ${list(want.tail)} must come last, in key order; got ${list(seg)}`;
      const removed = got.filter((e) => want.removed.includes(e));
      if (removed.length > 0)
        return `${model}: always-use key ${list(want.head.filter((e) => e.byok?.alwaysUse))} but shared ${list(removed)} still tried: ${list(seg)}`;
      const missing = want.shared.filter((e) => !got.includes(e));
      if (missing.length > 0) return `${model}: eligible shared ${list(missing)} missing from ${list(seg)}`;
    }
    return null;
  },
};

const CACHE_PRICES = ["keep", "discounted", "discounted", "none", "list"] as const;

const sticky: Invariant = {
  name: "sticky",
  rules: "R82–R88",
  summary:
    "with a session_id, the endpoint that last served the conversation on a model (cache-discounted, within stickyTtlMs, still eligible) is that model's first candidate",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) =>
    ctx.knobs.stickyRepinOnFallbackSuccess
      ? null
      : "stickyRepinOnFallbackSuccess off (record kept on fallback)",
  arbitrary: (ctx) =>
    perEndpoint(
      // Several endpoints of one model (stickiness has something to choose from), failures for re-pins.
      fc.oneof(
        ...[false, true].map((failures) =>
          caseArb(ctx.space, {
            failures,
            plain: true,
            chains: true,
            minEndpoints: 3,
            prefs: ["ignore", "sort", "quantizations", "zdr", "allow_fallbacks"],
          }),
        ),
      ),
      CACHE_PRICES,
    ).map(([c, cache]) => {
      const providers = c.providers.map((p, i) => {
        if (cache[i] === "keep" || !p.price) return p;
        const price = { ...p.price } as Record<string, unknown>;
        if (cache[i] === "none") delete price.cache_read;
        else price.cache_read = cache[i] === "list" ? p.price.prompt : p.price.prompt * 0.1;
        return { ...p, price } as typeof p;
      });
      const merged = mergeBody(ctx.subject.template, c.body);
      const prefs = { ...merged.provider } as Record<string, unknown>;
      // R86: `order` disables stickiness; preferences and pooling reorder the merged list (R31, R32).
      for (const k of ["order", "preferred_min_throughput", "preferred_max_latency"]) delete prefs[k];
      if (typeof prefs.sort === "object") prefs.sort = (prefs.sort as { by?: string }).by;
      const body = strip({
        ...merged,
        provider: Object.keys(prefs).length ? strip(prefs) : undefined,
        route: undefined,
        session_id: "conversation-1",
      });
      return { ...c, providers, body };
    }),
  check(c, ctx) {
    const r = run(c, ctx);
    const served: ServedAt[] = r.traces.flatMap((t) =>
      t.outcome.kind === "served"
        ? [{ endpoint: t.outcome.endpoint, atMs: t.req.arrivalMs + t.outcome.latencyMs }]
        : [],
    );
    for (const t of r.traces) {
      const d = t.decision;
      const body = t.req.body;
      if (d.kind !== "route" || body.session_id === undefined || body.provider?.order !== undefined) continue;
      if (candidateModels(body).some(isRouterSlug)) continue; // the Auto Router keeps its own records
      const sorted =
        body.provider?.sort !== undefined || candidateModels(body).some((m) => splitVariant(m).variant);
      if (sorted && !ctx.knobs.stickyWithSort) continue;
      const segments = byModel(d, r.catalog);
      for (const entry of candidateModels(body)) {
        const { model, variant } = splitVariant(entry);
        const pinned = stickyEndpoint(served, model, t.req.arrivalMs, ctx.knobs);
        if (pinned === null || pinned === "ambiguous" || pinned.byok) continue;
        const tokens = { prompt: t.req.promptTokens, completion: t.req.completionTokens };
        if (exclusion(pinned, body, variant, tokens) !== null) continue; // R88: record ignored
        const seg = segments.get(model) ?? [];
        const head = seg.filter((id) => r.catalog[id]?.byok?.section === "prioritized").length;
        if (seg[head] !== pinned.id)
          return `request ${t.req.id} at ${t.req.arrivalMs} ms: ${pinned.tag} last served the conversation on ${model} but the candidates are [${seg.map((id) => tagOf(r.catalog, id)).join(", ")}]`;
      }
    }
    return null;
  },
};

/** Glob patterns over the case's models: exact ids, vendor prefixes, suffixes, everything, nothing. */
function globsOf(models: readonly string[]): string[] {
  const out = new Set<string>();
  for (const m of models) {
    out.add(m);
    out.add(`${m.split("/")[0]}/*`);
    out.add(`*${m.slice(-1)}`);
  }
  return [...out, "*", "*/m*", "nobody/*"];
}

const auto: Invariant = {
  name: "auto",
  rules: "R74, R75, R77",
  summary:
    "openrouter/auto: only models the plugin's allowed_models/excluded_models globs admit are routed to; 404 when they admit no model; with only the default model set (R75), a request they admit some model for is routed",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) =>
    ctx.knobs.autoRouter.rankedModels.length + ctx.knobs.autoRouter.defaultModels.length === 0
      ? "no Auto Router models configured (autoRouter.tasks / defaultModels)"
      : null,
  arbitrary: (ctx) => {
    const models = [
      ...new Set([
        ...modelsIn(ctx),
        ...ctx.knobs.autoRouter.defaultModels,
        ...ctx.knobs.autoRouter.rankedModels,
      ]),
    ];
    const globs = globsOf(models);
    return fc
      .tuple(
        caseArb(ctx.space, { route: true, plain: true, chains: true }),
        fc.option(fc.subarray(globs, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        fc.option(fc.subarray(globs, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        fc.constantFrom("openrouter/auto", "openrouter/auto", "openrouter/auto-beta"),
        fc.constantFrom("matching", "matching", "matching", "other"),
      )
      .map(([c, allowed, excluded, slug, which]) => {
        const b = lbBody(ctx.subject.template, c.body, modelsIn(ctx));
        // Settings under the other router's plugin id are accepted and ignored (R77).
        const id =
          (slug === "openrouter/auto-beta") === (which === "matching") ? "auto-beta-router" : "auto-router";
        const plugin = strip({ id, allowed_models: allowed, excluded_models: excluded });
        return { ...c, body: strip({ ...b, model: slug, models: undefined, plugins: [plugin] }) };
      });
  },
  check(c, ctx) {
    const r = routed(c, ctx);
    const body = r.scenario.policies[0].request;
    const rules = autoRestrictions(body);
    const d = r.route(0);
    const hosted = (m: string) => r.view.endpointsOf(m).length > 0;
    const admitted = [...new Set(r.catalog.map((e) => e.model))].filter((m) => autoAllows(m, rules));
    const settings = `allowed_models ${JSON.stringify(rules.allowed)}, excluded_models ${JSON.stringify(rules.excluded)}`;
    if (admitted.length === 0)
      return d.kind === "reject" && d.status === 404
        ? null
        : `${settings} admit no model, expected 404, got ${d.kind === "route" ? `a route to [${d.candidates.map((id) => tagOf(r.catalog, id)).join(", ")}]` : `${d.status} ${d.code}`}`;
    if (d.kind === "route") {
      for (const id of d.candidates) {
        const m = r.catalog[id]?.model;
        if (m === undefined || !autoAllows(m, rules))
          return `${settings}, but routed to ${tagOf(r.catalog, id)}`;
      }
      return null;
    }
    // R75: with no task rankings the default set is the ranking; plain endpoints leave every model eligible.
    const a = ctx.knobs.autoRouter;
    if (a.mode === "taskRanking" && a.rankedModels.length === 0) {
      const usable = a.defaultModels.filter((m) => hosted(m) && autoAllows(m, rules));
      if (usable.length > 0)
        return `${settings} admit ${usable.join(", ")} from the default set, but ${d.status} ${d.code}`;
    }
    return null;
  },
};

/** Every invariant, in the order reports list them. */
export const INVARIANTS: readonly Invariant[] = [
  conservation,
  filters,
  fallbacks,
  once,
  billing,
  commit,
  variantInvariant("floor"),
  variantInvariant("nitro"),
  weights,
  priceMonotone,
  outage,
  uptime,
  byok,
  sticky,
  auto,
  preferred,
  partition,
  finalStatus,
  determinism,
  crn,
  rename,
  capacity,
];
