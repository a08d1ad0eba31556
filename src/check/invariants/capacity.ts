/** Metamorphic, report-only: more healthy capacity should not serve fewer requests. */
import { caseArb } from "../arbitraries.js";
import type { RunRecord } from "../harness.js";
import { type Invariant, mergeBody, run } from "./shared.js";

export const capacity: Invariant = {
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
