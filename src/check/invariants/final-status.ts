/** The status a failed request ends with (R55, R60, R63). */
import { candidateModels, describeFinal, expectedFinal, splitVariant } from "../oracle.js";
import { type Invariant, run, runArb } from "./shared.js";

export const finalStatus: Invariant = {
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
