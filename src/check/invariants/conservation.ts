/** Conservation of requests and attempts: one outcome each, each endpoint once, nothing after commit. */
import { DEFERRED } from "../../policies/types.js";
import { type Invariant, run, runArb, tagOf } from "./shared.js";

export const conservation: Invariant = {
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

export const once: Invariant = {
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

export const commit: Invariant = {
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
