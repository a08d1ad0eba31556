/**
 * A policy module for `routesim run|compare|sweep|check --policy-module examples/own-policy/policy.ts`
 * (docs/own-policy.md). It exports `kinds`: kind name → factory. The imports are types only, so the
 * module needs no copy of routesim at run time (outside this repository: `from "routesim"`).
 *
 * `kind: pick-by-weight`: the first attempt goes to a provider drawn with `options.weights` (a
 * provider missing from the table weighs 0; without the option every provider weighs 1), then the
 * other endpoints of the model, cheapest first.
 */
import type { Decision, Endpoint, PolicyFactory, PolicyModule } from "../../src/index.js";

/** `options.weights` as { provider: weight ≥ 0 }; a plain Error here becomes an input error naming the entry. */
function readWeights(options: Record<string, unknown>): Map<string, number> | null {
  const w = options.weights;
  if (w === undefined) return null;
  if (w === null || typeof w !== "object" || Array.isArray(w))
    throw new Error("options.weights: expected { <provider>: <weight> }");
  const out = new Map<string, number>();
  for (const [provider, v] of Object.entries(w)) {
    if (typeof v !== "number" || !(v >= 0))
      throw new Error(`options.weights.${provider}: expected a weight ≥ 0`);
    out.set(provider, v);
  }
  return out;
}

const pickByWeight: PolicyFactory = (spec) => {
  const weights = readWeights(spec.options);
  const weight = (e: Endpoint) => (weights ? (weights.get(e.provider) ?? 0) : 1);
  const byPrice = (a: Endpoint, b: Endpoint) => a.price.prompt - b.price.prompt || a.id - b.id;
  return {
    name: spec.name,
    // Never reads view.health: the router then keeps no health books for it.
    readsHealth: false,
    route(req, view, rng): Decision {
      const list = view.endpointsOf(req.body.model ?? req.model);
      const total = list.reduce((s, e) => s + weight(e), 0);
      if (total === 0) return { kind: "reject", status: 404, code: "no_endpoints" };
      // One draw from the seeded stream routesim hands every policy: same seed, same choices.
      const drawn = list.filter((e) => weight(e) > 0);
      let x = rng.next() * total;
      const first = drawn.find((e) => (x -= weight(e)) < 0) ?? drawn[drawn.length - 1];
      const rest = list.filter((e) => e !== first).sort(byPrice);
      return { kind: "route", candidates: [first.id, ...rest.map((e) => e.id)] };
    },
  };
};

export const kinds: PolicyModule["kinds"] = { "pick-by-weight": pickByWeight };
