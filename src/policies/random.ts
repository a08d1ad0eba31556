/**
 * `kind: random` — each request goes to one endpoint of its model chosen uniformly at random, with
 * no fallback. The reference ("perf") model of the benchmarks routes this way; it is also a useful
 * baseline. Decisions are cached per endpoint, so routing allocates nothing.
 */
import { z } from "zod";
import type { Rng } from "../rng/rng.js";
import type { RoutedRequest } from "../types.js";
import { type PolicyFactory, parseOptions } from "./kind.js";
import { openRouterFinalError } from "./openrouter/errors.js";
import type { Decision, EndpointView, Policy } from "./types.js";

const RandomOptions = z.strictObject({});

export function randomPolicy(name: string, catalogSize: number): Policy {
  return new RandomPolicy(name, catalogSize);
}

// A class, not an object literal with a `route` closure: every run (of `compare`, `sweep`) then
// calls the same function, and code compiled for one run's policy still fits the next run's.
class RandomPolicy implements Policy {
  readonly readsHealth = false;
  private readonly decisions: Decision[] = [];
  private readonly none: Decision = { kind: "reject", status: 404, code: "no_endpoints" };

  constructor(
    readonly name: string,
    catalogSize: number,
  ) {
    for (let i = 0; i < catalogSize; i++) this.decisions.push({ kind: "route", candidates: [i] });
  }

  route(req: RoutedRequest, view: EndpointView, rng: Rng): Decision {
    const list = view.endpointsOf(req.body.model ?? req.model);
    if (list.length === 0) return this.none;
    return this.decisions[list[rng.int(list.length)].id];
  }
}

/** Factory for `kind: random` (registered in registry.ts; no options). */
export const randomPolicyKind: PolicyFactory = (spec, ctx) => {
  parseOptions(RandomOptions, spec.options, ctx, "options");
  return {
    policy: randomPolicy(spec.name, ctx.catalog.length),
    behaviour: {
      timeoutMs: spec.router.timeout_ms,
      maxAttempts: 1,
      onFailure: () => "stop",
      finalError: openRouterFinalError,
    },
    warnings: [],
  };
};
