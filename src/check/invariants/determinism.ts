/**
 * House rules on randomness: a run is a function of scenario and seed, and policies compared in one
 * run share their draws (common random numbers), whatever their order or name.
 */
import type { Decision, EndpointView } from "../../policies/types.js";
import type { RequestBody } from "../../scenario/schema.js";
import { type CheckSubject, caseScenario, type RunRecord, runCase } from "../harness.js";
import { splitVariant } from "../oracle.js";
import { type Invariant, run, runArb } from "./shared.js";

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

const sameNumber = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));

export const determinism: Invariant = {
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

export const crn: Invariant = {
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

export const rename: Invariant = {
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
