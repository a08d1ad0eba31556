/** Session stickiness (R82–R88): a conversation returns to the endpoint that cached it. */
import fc from "fast-check";
import { caseArb } from "../arbitraries.js";
import {
  candidateModels,
  exclusion,
  isRouterSlug,
  type ServedAt,
  splitVariant,
  stickyEndpoint,
} from "../oracle.js";
import { byModel, type Invariant, mergeBody, perEndpoint, run, strip, tagOf } from "./shared.js";

const CACHE_PRICES = ["keep", "discounted", "discounted", "none", "list"] as const;

export const sticky: Invariant = {
  name: "sticky",
  rules: "R82–R88",
  summary:
    "with a session_id, the endpoint that last served the conversation on a model (cache-discounted, within stickyTtlMs, still eligible) is that model's first candidate",
  group: "openrouter",
  mode: "assert",
  notApplicable: (ctx) =>
    ctx.knobs.stickyRepinOnFallbackSuccess
      ? null
      : "stickyRepinOnFallbackSuccess off (record kept on fallback)",
  arbitrary: (ctx) =>
    perEndpoint(
      // Several endpoints of one model (stickiness has something to choose from), failures for re-pins.
      fc.oneof(
        ...[false, true].map((failures) =>
          caseArb(ctx.space, {
            failures,
            plain: true,
            chains: true,
            minEndpoints: 3,
            prefs: ["ignore", "sort", "quantizations", "zdr", "allow_fallbacks"],
          }),
        ),
      ),
      CACHE_PRICES,
    ).map(([c, cache]) => {
      const providers = c.providers.map((p, i) => {
        if (cache[i] === "keep" || !p.price) return p;
        const price = { ...p.price } as Record<string, unknown>;
        if (cache[i] === "none") delete price.cache_read;
        else price.cache_read = cache[i] === "list" ? p.price.prompt : p.price.prompt * 0.1;
        return { ...p, price } as typeof p;
      });
      const merged = mergeBody(ctx.subject.template, c.body);
      const prefs = { ...merged.provider } as Record<string, unknown>;
      // R86: `order` disables stickiness; preferences and pooling reorder the merged list (R31, R32).
      for (const k of ["order", "preferred_min_throughput", "preferred_max_latency"]) delete prefs[k];
      if (typeof prefs.sort === "object") prefs.sort = (prefs.sort as { by?: string }).by;
      const body = strip({
        ...merged,
        provider: Object.keys(prefs).length ? strip(prefs) : undefined,
        route: undefined,
        session_id: "conversation-1",
      });
      return { ...c, providers, body };
    }),
  check(c, ctx) {
    const r = run(c, ctx);
    const served: ServedAt[] = r.traces.flatMap((t) =>
      t.outcome.kind === "served"
        ? [{ endpoint: t.outcome.endpoint, atMs: t.req.arrivalMs + t.outcome.latencyMs }]
        : [],
    );
    for (const t of r.traces) {
      const d = t.decision;
      const body = t.req.body;
      if (d.kind !== "route" || body.session_id === undefined || body.provider?.order !== undefined) continue;
      if (candidateModels(body).some(isRouterSlug)) continue; // the Auto Router keeps its own records
      const sorted =
        body.provider?.sort !== undefined || candidateModels(body).some((m) => splitVariant(m).variant);
      if (sorted && !ctx.knobs.stickyWithSort) continue;
      const segments = byModel(d, r.catalog);
      for (const entry of candidateModels(body)) {
        const { model, variant } = splitVariant(entry);
        const pinned = stickyEndpoint(served, model, t.req.arrivalMs, ctx.knobs);
        if (pinned === null || pinned === "ambiguous" || pinned.byok) continue;
        const tokens = { prompt: t.req.promptTokens, completion: t.req.completionTokens };
        if (exclusion(pinned, body, variant, tokens) !== null) continue; // R88: record ignored
        const seg = segments.get(model) ?? [];
        const head = seg.filter((id) => r.catalog[id]?.byok?.section === "prioritized").length;
        if (seg[head] !== pinned.id)
          return `request ${t.req.id} at ${t.req.arrivalMs} ms: ${pinned.tag} last served the conversation on ${model} but the candidates are [${seg.map((id) => tagOf(r.catalog, id)).join(", ")}]`;
      }
    }
    return null;
  },
};
