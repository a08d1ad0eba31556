/** Default load balancing's weighted draw (R24, R26): statistical, many draws per case. */
import { caseArb } from "../arbitraries.js";
import { eligibleOf, lbWeight } from "../oracle.js";
import { chiSquareTest } from "../stats.js";
import { type Invariant, lbApplicable, lbBody, modelsIn, type Routed, routed, tagOf } from "./shared.js";

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

export const weights: Invariant = {
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

export const priceMonotone: Invariant = {
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
