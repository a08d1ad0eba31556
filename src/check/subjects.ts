/** What `routesim check` checks: the policies of a scenario, or a user's own TypeScript policy. */
import { openRouterBehaviour } from "../policies/openrouter/kind.js";
import { OpenRouterConfig } from "../policies/openrouter.js";
import { buildPolicy } from "../policies/registry.js";
import type { Policy, RouterBehaviour } from "../policies/types.js";
import type { LoadedScenario } from "../scenario/load.js";
import { PolicySpec, type RequestBody } from "../scenario/schema.js";
import type { Endpoint } from "../types.js";
import type { CheckSubject, RunHooks } from "./harness.js";

/** A scenario policy entry as a check subject (built through the policy registry). */
export function specSubject(
  spec: PolicySpec,
  loaded: Pick<LoadedScenario, "baseDir" | "file">,
): CheckSubject {
  return {
    name: spec.name,
    kind: spec.kind,
    template: spec.request,
    openrouter: spec.openrouter,
    router: spec.router,
    // `openrouter` and variants of it (`openrouter-…`) promise OpenRouter's routing rules.
    openrouterSemantics: spec.kind === "openrouter" || spec.kind.startsWith("openrouter-"),
    build(scenario, catalog, body, name) {
      const b = buildPolicy(
        { ...spec, name, request: body },
        { catalog, scenario, baseDir: loaded.baseDir, file: loaded.file, path: "policies[0]" },
      );
      return { policy: b.policy, behaviour: b.behaviour };
    },
  };
}

export interface PolicySubjectOptions {
  /** How the router executes the policy; default: OpenRouter's (R60 final errors, unlimited attempts). */
  behaviour?: RouterBehaviour;
  /** Request template the policy's requests carry (generated preferences fill the rest). */
  template?: RequestBody;
  /** OpenRouter knobs the spec invariants should assume (e.g. `{ lbMode: "v1" }`). */
  openrouter?: Record<string, unknown>;
  /** Whether the OpenRouter spec invariants apply (default true). */
  openrouterSemantics?: boolean;
  /** Kind written into reproducer scenarios (register it with `registerPolicyKind` to run them). */
  kind?: string;
  /** Instrumentation (the mutation test plants bugs with it). */
  hooks?: RunHooks;
}

/** The default router behaviour of an OpenRouter-style policy. */
export function defaultBehaviour(): RouterBehaviour {
  return openRouterBehaviour(PolicySpec.parse({ name: "custom" }), OpenRouterConfig.parse({}));
}

/**
 * A TypeScript policy as a check subject. Pass a factory when the policy keeps state, so every run
 * starts fresh (a shared instance carries state from one run into the next, which the determinism
 * invariant reports).
 */
export function policySubject(
  policy: Policy | ((catalog: readonly Endpoint[]) => Policy),
  options: PolicySubjectOptions = {},
): CheckSubject {
  const make = typeof policy === "function" ? policy : () => policy;
  const sample = typeof policy === "function" ? policy([]) : policy; // for its name
  return {
    name: sample.name,
    kind: options.kind ?? sample.name,
    template: options.template ?? {},
    openrouter: options.openrouter ?? {},
    router: { timeout_ms: 60_000, max_attempts: null },
    openrouterSemantics: options.openrouterSemantics ?? true,
    hooks: options.hooks,
    build(_scenario, catalog, _body, name) {
      const p = make(catalog);
      const named: Policy =
        p.name === name
          ? p
          : { name, route: (req, view, rng) => p.route(req, view, rng), observe: p.observe?.bind(p) };
      return { policy: named, behaviour: options.behaviour ?? defaultBehaviour() };
    },
  };
}
