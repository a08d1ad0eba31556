/** Which endpoints a request may reach: hard filters (R10–R20), `order` and `allow_fallbacks` (R29, R30). */
import fc from "fast-check";
import { caseArb, orderArb } from "../arbitraries.js";
import {
  candidateModels,
  eligibleOf,
  exclusion,
  isRouterSlug,
  slugMatches,
  splitVariant,
} from "../oracle.js";
import { byModel, type Invariant, lbBody, mergeBody, modelsIn, routed, strip, tagOf } from "./shared.js";

export const filters: Invariant = {
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

export const fallbacks: Invariant = {
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
