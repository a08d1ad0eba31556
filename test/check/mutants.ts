/**
 * Planted bugs: copies of the OpenRouter policy and router behaviour with one known defect each,
 * built by wrapping the Policy / RouterBehaviour or the observer results flow through — never by
 * editing src/policies or src/router. Each names the invariants that must catch it.
 */
import type { CheckSubject } from "../../src/check/harness.js";
import { specSubject } from "../../src/check/subjects.js";
import { lastAttemptError } from "../../src/policies/errors.js";
import { meetsPreferences, OpenRouterConfig, openRouterPolicy } from "../../src/policies/openrouter.js";
import type { EndpointView, Policy } from "../../src/policies/types.js";
import { attemptCostUsd } from "../../src/providers/catalog.js";
import { Rng } from "../../src/rng/rng.js";
import type { RunObserver } from "../../src/router/router.js";
import { PolicySpec, type RequestBody } from "../../src/scenario/schema.js";
import type { AttemptRecord, Endpoint } from "../../src/types.js";

export const original: CheckSubject = specSubject(PolicySpec.parse({ name: "openrouter" }), {
  baseDir: ".",
  file: "<generated>",
});

export interface Mutant {
  name: string;
  bug: string;
  /** Invariants that must report it. */
  caughtBy: string[];
  subject: CheckSubject;
}

type PolicyWrap = (p: Policy, catalog: readonly Endpoint[], name: string) => Policy;

/** The policy with an Auto Router whose default model set is the generated models (R75). */
export const withAuto: CheckSubject = specSubject(
  PolicySpec.parse({
    name: "openrouter-auto",
    openrouter: { autoRouter: { defaultModels: ["acme/m1", "acme/m2"] } },
  }),
  { baseDir: ".", file: "<generated>" },
);

function wrapPolicy(wrap: PolicyWrap, base: CheckSubject = original): CheckSubject {
  return {
    ...base,
    build(s, catalog, body, name) {
      const b = base.build(s, catalog, body, name);
      return { policy: wrap(b.policy, catalog, name), behaviour: b.behaviour };
    },
  };
}

/** The OpenRouter policy built with other knobs than the ones the invariants assume. */
function withConfig(overrides: Parameters<typeof OpenRouterConfig.parse>[0]): CheckSubject {
  return wrapPolicy((_p, _c, name) => openRouterPolicy(name, OpenRouterConfig.parse(overrides)));
}

function withBody(f: (b: RequestBody) => RequestBody, base: CheckSubject = original): CheckSubject {
  return wrapPolicy(
    (p) => ({ ...p, route: (req, view, rng) => p.route({ ...req, body: f(req.body) }, view, rng) }),
    base,
  );
}

const withAutoBody = (f: (b: RequestBody) => RequestBody) => withBody(f, withAuto);

function withView(f: (v: EndpointView) => EndpointView): CheckSubject {
  return wrapPolicy((p) => ({ ...p, route: (req, view, rng) => p.route(req, f(view), rng) }));
}

/** The same catalog with endpoints replaced (ids kept), e.g. to hide prices or tiers. */
function remap(view: EndpointView, f: (e: Endpoint) => Endpoint): EndpointView {
  const catalog = view.catalog.map(f);
  return {
    now: view.now,
    catalog,
    health: view.health,
    endpointsOf: (m) => view.endpointsOf(m).map((e) => catalog[e.id]),
  };
}

function withObserver(wrap: (inner: RunObserver) => RunObserver): CheckSubject {
  return { ...original, hooks: { observer: wrap } };
}

function rebill(a: AttemptRecord, cost: number): AttemptRecord {
  return { ...a, costUsd: cost };
}

const DEFAULTS = OpenRouterConfig.parse({});

let leaked = 0;

export const MUTANTS: Mutant[] = [
  {
    name: "order-off-by-one",
    bug: "walks provider.order from its second entry (the first goes last)",
    caughtBy: ["fallbacks"],
    subject: withBody((b) => {
      const order = b.provider?.order;
      if (!order || order.length < 2) return b;
      return { ...b, provider: { ...b.provider, order: [...order.slice(1), order[0]] } };
    }),
  },
  {
    name: "ignores-ignore",
    bug: "drops provider.ignore",
    caughtBy: ["filters"],
    subject: withBody((b) => ({ ...b, provider: { ...b.provider, ignore: undefined } })),
  },
  {
    name: "ignores-max-price",
    bug: "drops provider.max_price",
    caughtBy: ["filters"],
    subject: withBody((b) => ({ ...b, provider: { ...b.provider, max_price: undefined } })),
  },
  {
    name: "admits-tiers",
    bug: "treats flex/priority endpoints as default tier (no opt-in needed)",
    caughtBy: ["filters"],
    subject: withView((v) => remap(v, (e) => ({ ...e, tier: "default" }))),
  },
  {
    name: "ignores-allow-fallbacks",
    bug: "drops provider.allow_fallbacks",
    caughtBy: ["fallbacks"],
    subject: withBody((b) => ({ ...b, provider: { ...b.provider, allow_fallbacks: undefined } })),
  },
  {
    name: "linear-weights",
    bug: "weights 1/price (v1) with the v2 outage window, while claiming v2",
    caughtBy: ["weights"],
    subject: withConfig({ lbMode: "v1", outageWindowMs: 30_000 }),
  },
  {
    name: "prefers-expensive",
    bug: "sees every price inverted (1/p), so dearer endpoints win",
    caughtBy: ["weights", "price-monotone", "floor"],
    subject: withView((v) =>
      remap(v, (e) => ({
        ...e,
        price: { ...e.price, prompt: 1 / (e.price.prompt || 1), completion: 1 / (e.price.completion || 1) },
      })),
    ),
  },
  {
    name: "health-blind",
    bug: "ignores recent failures, so an unstable endpoint can go first",
    caughtBy: ["outage"],
    subject: withView((v) => ({
      ...v,
      // Object.create keeps the view's other methods (they live on its prototype).
      health: Object.assign(Object.create(v.health), {
        failuresSince: () => 0,
        lastFailureMs: () => Number.NEGATIVE_INFINITY,
      }),
    })),
  },
  {
    name: "floor-ignored",
    bug: "strips :floor (load balances instead of cheapest first)",
    caughtBy: ["floor"],
    subject: withBody((b) => ({ ...b, model: b.model?.replace(/:floor$/, "") })),
  },
  {
    name: "nitro-by-latency",
    bug: ":nitro sorts by latency instead of throughput",
    caughtBy: ["nitro"],
    subject: withBody((b) =>
      b.model?.endsWith(":nitro")
        ? { ...b, model: b.model.replace(/:nitro$/, ""), provider: { ...b.provider, sort: "latency" } }
        : b,
    ),
  },
  {
    name: "byok-unplaced",
    bug: "routes BYOK keys like shared endpoints (no prioritized/fallback placement)",
    caughtBy: ["byok"],
    subject: withView((v) => remap(v, (e) => ({ ...e, byok: undefined }))),
  },
  {
    name: "fallback-keys-first",
    bug: "puts fallback-section keys with the prioritized ones",
    caughtBy: ["byok"],
    subject: withView((v) =>
      remap(v, (e) => (e.byok ? { ...e, byok: { ...e.byok, section: "prioritized" } } : e)),
    ),
  },
  {
    name: "always-use-ignored",
    bug: "keeps the shared endpoints of an always-use key's provider",
    caughtBy: ["byok"],
    subject: withView((v) => remap(v, (e) => (e.byok ? { ...e, byok: { ...e.byok, alwaysUse: false } } : e))),
  },
  {
    name: "always-use-removes-all",
    bug: "an always-use key removes every shared endpoint, not only its provider's",
    caughtBy: ["byok"],
    subject: withConfig({ byokAlwaysUseScope: "allShared" }),
  },
  {
    name: "sticky-ignored",
    bug: "drops session_id (no provider stickiness)",
    caughtBy: ["sticky"],
    subject: withBody((b) => ({ ...b, session_id: undefined })),
  },
  {
    name: "sticky-no-repin",
    bug: "keeps the old sticky endpoint after a fallback success elsewhere",
    caughtBy: ["sticky"],
    subject: withConfig({ stickyRepinOnFallbackSuccess: false }),
  },
  {
    name: "auto-ignores-excluded",
    bug: "the Auto Router ignores excluded_models",
    caughtBy: ["auto"],
    subject: withAutoBody((b) => ({
      ...b,
      plugins: b.plugins?.map((x) => ({ ...x, excluded_models: undefined })),
    })),
  },
  {
    name: "auto-ignores-allowed",
    bug: "the Auto Router ignores allowed_models",
    caughtBy: ["auto"],
    subject: withAutoBody((b) => ({
      ...b,
      plugins: b.plugins?.map((x) => ({ ...x, allowed_models: undefined })),
    })),
  },
  {
    name: "auto-no-404",
    bug: "when the globs admit nothing, routes the default set instead of 404",
    caughtBy: ["auto"],
    subject: wrapPolicy(
      (p) => ({
        ...p,
        route(req, view, rng) {
          const d = p.route(req, view, rng);
          return d.kind === "reject" && d.status === 404
            ? p.route({ ...req, body: { ...req.body, plugins: undefined } }, view, rng)
            : d;
        },
      }),
      withAuto,
    ),
  },
  {
    name: "auto-beta-reads-auto",
    bug: "openrouter/auto-beta reads the auto-router plugin's settings",
    caughtBy: ["auto"],
    subject: withAutoBody((b) =>
      b.model === "openrouter/auto-beta"
        ? { ...b, plugins: b.plugins?.map((x) => ({ ...x, id: "auto-beta-router" })) }
        : b,
    ),
  },
  {
    name: "uptime-blind",
    bug: "sees no uptime history (every endpoint normal)",
    caughtBy: ["uptime"],
    subject: withView((v) => ({
      ...v,
      health: Object.assign(Object.create(v.health), {
        window: () => ({ successes: 0, errors: 0, rateLimited: 0 }),
      }),
    })),
  },
  {
    name: "uptime-no-minimum",
    bug: "judges uptime below 100 counted requests (minRequests 0)",
    caughtBy: ["uptime"],
    subject: withConfig({ uptimeTiers: { minRequests: 0 } }),
  },
  {
    name: "degraded-as-down",
    bug: "puts degraded endpoints (80–95 %) in the down tier",
    caughtBy: ["uptime"],
    subject: withConfig({ uptimeTiers: { downBelow: 95 } }),
  },
  {
    name: "preferred-ignored",
    bug: "drops preferred_min_throughput / preferred_max_latency",
    caughtBy: ["preferred"],
    subject: withBody((b) => ({
      ...b,
      provider: { ...b.provider, preferred_min_throughput: undefined, preferred_max_latency: undefined },
    })),
  },
  {
    name: "preferred-as-filter",
    bug: "treats preferred_* as a hard filter (drops the endpoints that miss a cutoff)",
    caughtBy: ["preferred"],
    subject: wrapPolicy((p) => ({
      ...p,
      route(req, view, rng) {
        const d = p.route(req, view, rng);
        const prefs = req.body.provider ?? {};
        if (d.kind !== "route") return d;
        const kept = d.candidates.filter((id) => meetsPreferences(view.catalog[id], prefs, view, DEFAULTS));
        return kept.length > 0 ? { ...d, candidates: kept } : d;
      },
    })),
  },
  {
    name: "preferred-per-model",
    bug: "applies preferred_* within each model while claiming the global scope",
    caughtBy: ["preferred"],
    subject: withConfig({ preferredScope: "perModel" }),
  },
  {
    name: "partition-ignored",
    bug: 'reads sort {by, partition: "none"} as a plain sort (per-model lists)',
    caughtBy: ["partition"],
    subject: withBody((b) => {
      const s = b.provider?.sort;
      return typeof s === "object" ? { ...b, provider: { ...b.provider, sort: s.by } } : b;
    }),
  },
  {
    name: "route-alias-ignored",
    bug: 'drops the legacy top-level route: "sort" (≡ partition "none")',
    caughtBy: ["partition"],
    subject: withBody((b) => ({ ...b, route: undefined })),
  },
  {
    name: "route-beats-partition",
    bug: 'lets route: "fallback" override provider.sort.partition',
    caughtBy: ["partition"],
    subject: withBody((b) => {
      const s = b.provider?.sort;
      return b.route === "fallback" && typeof s === "object"
        ? { ...b, provider: { ...b.provider, sort: s.by } }
        : b;
    }),
  },
  {
    name: "duplicate-candidates",
    bug: "appends the first candidate again (retries an endpoint already tried)",
    caughtBy: ["once"],
    subject: wrapPolicy((p) => ({
      ...p,
      route(req, view, rng) {
        const d = p.route(req, view, rng);
        return d.kind === "route" && d.candidates.length > 0
          ? { ...d, candidates: [...d.candidates, d.candidates[0]] }
          : d;
      },
    })),
  },
  {
    name: "bills-failed-attempts",
    bug: "charges failed attempts at the endpoint's price",
    caughtBy: ["billing", "conservation"],
    subject: withObserver((inner) => {
      const bill = (a: AttemptRecord) =>
        a.status === 200
          ? a
          : rebill(a, attemptCostUsd(a.endpoint, a.promptTokens, Math.max(1, a.completionTokens)));
      return {
        attempt: (a) => inner.attempt(bill(a)),
        outcome: (req, o, atts, d) => inner.outcome(req, o, atts.map(bill), d),
      };
    }),
  },
  {
    name: "bills-first-endpoint",
    bug: "bills a served request at the first attempted endpoint's price",
    caughtBy: ["billing"],
    subject: withObserver((inner) => ({
      attempt: (a) => inner.attempt(a),
      outcome(req, o, atts, d) {
        if (o.kind !== "served" || atts.length < 2) return inner.outcome(req, o, atts, d);
        const last = atts[atts.length - 1];
        const cost = attemptCostUsd(atts[0].endpoint, last.promptTokens, last.completionTokens);
        inner.outcome(req, { ...o, costUsd: cost }, [...atts.slice(0, -1), rebill(last, cost)], d);
      },
    })),
  },
  {
    name: "double-outcome",
    bug: "reports a failed request's outcome twice (a retry layer that re-emits)",
    caughtBy: ["conservation"],
    subject: withObserver((inner) => ({
      attempt: (a) => inner.attempt(a),
      outcome(req, o, atts, d) {
        inner.outcome(req, o, atts, d);
        if (o.kind === "failed") inner.outcome(req, o, atts, d);
      },
    })),
  },
  {
    name: "retry-after-token",
    bug: "treats a mid-stream failure as a pre-commit one (falls back after tokens were streamed)",
    caughtBy: ["commit"],
    subject: {
      ...original,
      hooks: {
        attemptDone: (a) => {
          if (a.error === "mid_stream") a.error = "error";
        },
      },
    },
  },
  {
    name: "last-error-status",
    bug: "final status = last attempt's error (no R60 aggregation)",
    caughtBy: ["final-status"],
    subject: {
      ...original,
      build(s, catalog, body, name) {
        const b = original.build(s, catalog, body, name);
        return { policy: b.policy, behaviour: { ...b.behaviour, finalError: lastAttemptError } };
      },
    },
  },
  {
    name: "429-as-transient",
    bug: "maps all-429 failures to 503 (rate limits counted as transient)",
    caughtBy: ["final-status"],
    subject: {
      ...original,
      build(s, catalog, body, name) {
        const b = original.build(s, catalog, body, name);
        const finalError = (atts: readonly AttemptRecord[], id: number) => {
          const fe = b.behaviour.finalError(atts, id);
          return fe.status === 429 ? { status: 503, code: "temporarily_unavailable" } : fe;
        };
        return { policy: b.policy, behaviour: { ...b.behaviour, finalError } };
      },
    },
  },
  {
    name: "name-keyed-draws",
    bug: "draws from a stream keyed by the policy's name (renaming changes routing)",
    caughtBy: ["rename"],
    subject: wrapPolicy((p, _c, name) => ({
      ...p,
      route: (req, view) => p.route(req, view, new Rng(name, req.id)),
    })),
  },
  {
    name: "leaky-state",
    bug: "rotates candidates by a module-level counter that survives between runs",
    caughtBy: ["determinism"],
    subject: wrapPolicy((p) => ({
      ...p,
      route(req, view, rng) {
        const d = p.route(req, view, rng);
        if (d.kind !== "route" || d.candidates.length < 2) return d;
        const k = leaked++ % d.candidates.length;
        return { ...d, candidates: [...d.candidates.slice(k), ...d.candidates.slice(0, k)] };
      },
    })),
  },
];
