/** Bring-your-own-key endpoints (R33, R34): where keys go in the candidate list. */
import type { Endpoint } from "../../types.js";
import { caseArb } from "../arbitraries.js";
import { byokPlacement, candidateModels, eligibleOf, splitVariant } from "../oracle.js";
import { byModel, type Invariant, mergeBody, perEndpoint, routed, strip, tagOf } from "./shared.js";

const BYOK_FLAGS = [
  undefined,
  undefined,
  { section: "prioritized" as const, always_use: false },
  { section: "fallback" as const, always_use: false },
  { section: "prioritized" as const, always_use: true },
];

export const byok: Invariant = {
  name: "byok",
  rules: "R33, R34",
  summary:
    "BYOK keys: prioritized keys first and fallback-section keys last within their model, each in key order; an always-use key removes its provider's shared endpoints, and only those",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) => (ctx.knobs.useByok ? null : "useByok is off"),
  arbitrary: (ctx) =>
    perEndpoint(
      caseArb(ctx.space, {
        route: true,
        plain: true,
        chains: true,
        minEndpoints: 2,
        prefs: ["ignore", "quantizations", "sort", "order"],
      }),
      BYOK_FLAGS,
    ).map(([c, flags]) => {
      const b = c.body;
      // Sticky sessions (R34) and allow_fallbacks truncation (R30) are left out; partition "model".
      const provider = strip({ ...b.provider, allow_fallbacks: undefined });
      const body = strip({
        ...mergeBody(ctx.subject.template, { ...b, provider }),
        session_id: undefined,
        route: undefined,
        service_tier: undefined,
      });
      if (body.provider) {
        const p = { ...body.provider } as Record<string, unknown>;
        for (const k of ["allow_fallbacks", "preferred_min_throughput", "preferred_max_latency"]) delete p[k];
        if (typeof p.sort === "object") p.sort = (p.sort as { by?: string }).by;
        body.provider = strip(p);
      }
      const providers = c.providers.map((p, i) => (flags[i] ? { ...p, byok: flags[i] } : p));
      return { ...c, providers, body };
    }),
  check(c, ctx) {
    const r = routed(c, ctx);
    const d = r.route(0);
    if (d.kind !== "route") return null;
    const body = r.scenario.policies[0].request;
    const segments = byModel(d, r.catalog);
    const list = (xs: readonly Endpoint[] | readonly number[]) =>
      `[${xs.map((x) => (typeof x === "number" ? tagOf(r.catalog, x) : x.tag)).join(", ")}]`;
    for (const entry of candidateModels(body)) {
      const { model, variant } = splitVariant(entry);
      const seg = segments.get(model) ?? [];
      const eligible = eligibleOf(r.view.endpointsOf(model), body, variant, r.tokens);
      const want = byokPlacement(eligible, ctx.knobs);
      const got = seg.map((id) => r.catalog[id]);
      const ids = (xs: readonly Endpoint[]) => xs.map((e) => e.id).join(",");
      if (ids(got.slice(0, want.head.length)) !== ids(want.head))
        return `${model}: prioritized keys ${list(want.head)} must come first, in key order; got ${list(seg)}`;
      if (want.tail.length > 0 && ids(got.slice(-want.tail.length)) !== ids(want.tail))
        return `${model}: fallback-section keys ${list(want.tail)} must come last, in key order; got ${list(seg)}`;
      const removed = got.filter((e) => want.removed.includes(e));
      if (removed.length > 0)
        return `${model}: always-use key ${list(want.head.filter((e) => e.byok?.alwaysUse))} but shared ${list(removed)} still tried: ${list(seg)}`;
      const missing = want.shared.filter((e) => !got.includes(e));
      if (missing.length > 0) return `${model}: eligible shared ${list(missing)} missing from ${list(seg)}`;
    }
    return null;
  },
};
