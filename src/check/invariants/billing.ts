/** What attempts and served requests cost, against the price cards. */
import type { AttemptRecord } from "../../types.js";
import { chargeUsd } from "../oracle.js";
import { type Invariant, run, runArb } from "./shared.js";

export const billing: Invariant = {
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
