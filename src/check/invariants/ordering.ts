/**
 * The order of the candidates: `:floor` and `:nitro` (R36, R37), soft preferences (R31) and
 * cross-model pooling (R32) — pure functions of one decision.
 */
import fc from "fast-check";
import type { Decision } from "../../policies/types.js";
import { buildCatalog } from "../../providers/catalog.js";
import type { ProviderPrefs, RequestBody } from "../../scenario/schema.js";
import type { Endpoint } from "../../types.js";
import { caseArb } from "../arbitraries.js";
import { type CheckCase, caseScenario } from "../harness.js";
import {
  candidateModels,
  eligibleOf,
  lbPrice,
  meetsPreferred,
  partitionOf,
  type SortBy,
  sortKey,
  splitVariant,
} from "../oracle.js";
import {
  byModel,
  type Invariant,
  type InvariantContext,
  lbBody,
  modelsIn,
  routed,
  strip,
  tagOf,
} from "./shared.js";

/** Numbers in messages: 6 significant digits, no float noise. */
const short = (x: number) => String(Number(x.toPrecision(6)));

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

export const floor: Invariant = variantInvariant("floor");

export const nitro: Invariant = variantInvariant("nitro");

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

export const preferred: Invariant = {
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

export const partition: Invariant = {
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
