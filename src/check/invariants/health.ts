/** Health in default load balancing: recent outages (R93) and uptime classes (R25, R90, R92) demote. */
import { caseArb } from "../arbitraries.js";
import { uptimeClass } from "../oracle.js";
import {
  byModel,
  type Invariant,
  lbApplicable,
  lbBody,
  modelsIn,
  perEndpoint,
  routed,
  tagOf,
} from "./shared.js";

export const outage: Invariant = {
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

export const uptime: Invariant = {
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
