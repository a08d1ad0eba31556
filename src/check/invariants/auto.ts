/** The Auto Router (`openrouter/auto`, R74–R77): its plugin's model globs. */
import fc from "fast-check";
import { caseArb } from "../arbitraries.js";
import { autoAllows, autoRestrictions } from "../oracle.js";
import { type Invariant, lbBody, modelsIn, routed, strip, tagOf } from "./shared.js";

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

export const auto: Invariant = {
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
