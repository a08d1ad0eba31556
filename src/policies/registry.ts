/**
 * Policy kinds by name. A scenario's policy entry names its kind (default `openrouter`); the kind's
 * factory validates its options and returns the policy, optionally with how the router should
 * execute it (default: as OpenRouter's router does). Kinds of a user's policy module (`kinds`
 * export, see `registerPolicyModule`) remember their file, so worker threads can load it too.
 */

import { basename } from "node:path";
import { InputError } from "../errors.js";
import type { PolicySpec } from "../types.js";
import type { BuiltPolicy, KindContext, PolicyBuild, PolicyContext, PolicyFactory } from "./kind.js";
import { BUILT_IN_KINDS } from "./kinds.js";
import { openRouterBehaviour } from "./openrouter/kind.js";
import { OpenRouterConfig } from "./openrouter.js";
import { markOutsidePolicy } from "./records.js";
import type { Policy, RouterBehaviour } from "./types.js";

export type {
  BuiltPolicy,
  KindContext,
  PolicyBuild,
  PolicyContext,
  PolicyFactory,
  PolicyModule,
} from "./kind.js";
export { checkModelId, measuresWarning, parseOptions, routerTimeoutWarning } from "./kind.js";
export { openRouterBehaviour } from "./openrouter/kind.js";

const kinds = new Map<string, PolicyFactory>(Object.entries(BUILT_IN_KINDS));
/** Kinds registered from a policy module file (absolute path), and those files in load order. */
const moduleOfKind = new Map<string, string>();
const moduleFiles: string[] = [];

export function registerPolicyKind(kind: string, factory: PolicyFactory): void {
  // A bad registration would break every later run of that kind: refuse it here, typed.
  if (typeof kind !== "string" || !/^[A-Za-z0-9._-]+$/.test(kind))
    throw new InputError("<registerPolicyKind>", [
      {
        path: "kind",
        message: `expected a kind name of letters, digits, . _ -, got ${JSON.stringify(kind) ?? String(kind)}`,
      },
    ]);
  if (typeof factory !== "function")
    throw new InputError("<registerPolicyKind>", [
      {
        path: "factory",
        message: `expected a function (spec, ctx) => Policy, got ${factory === null ? "null" : typeof factory}`,
      },
    ]);
  kinds.set(kind, factory);
}

export function policyKinds(): string[] {
  return [...kinds.keys()].sort();
}

/**
 * Registers the kinds of a policy module (`exports`: its module namespace, from `import()`), which
 * must not clash with kinds already registered by another file. Loading the same file again is a
 * no-op. Returns the module's kind names. The module needs no import of routesim at run time.
 */
export function registerPolicyModule(file: string, exports: unknown): string[] {
  const ns = (exports ?? {}) as { kinds?: unknown; default?: { kinds?: unknown } };
  const table = ns.kinds ?? (typeof ns.default === "object" ? ns.default?.kinds : undefined);
  const expected =
    "expected the module to export `kinds`: { <kind>: (spec, ctx) => Policy } (or a default export with `kinds`)";
  if (table === null || typeof table !== "object" || Array.isArray(table)) {
    const has = Object.keys(ns).filter((k) => k !== "__esModule");
    const got = table === undefined ? `exports: ${has.join(", ") || "none"}` : `kinds is ${typeof table}`;
    throw new InputError(file, [{ path: "", message: `${expected}; got ${got}` }]);
  }
  const entries = Object.entries(table as Record<string, unknown>);
  if (entries.length === 0) throw new InputError(file, [{ path: "kinds", message: `${expected}; got none` }]);
  const problems = entries.flatMap(([kind, f]) => {
    const path = `kinds.${kind}`;
    if (typeof f !== "function")
      return [
        { path, message: `expected a function (spec, ctx) => Policy, got ${f === null ? "null" : typeof f}` },
      ];
    const owner = moduleOfKind.get(kind);
    if (kinds.has(kind) && owner !== file)
      return [
        {
          path,
          message: `kind "${kind}" is already ${owner ? `registered by ${owner}` : "a built-in kind"}; choose another name`,
        },
      ];
    return [];
  });
  if (problems.length) throw new InputError(file, problems);
  for (const [kind, f] of entries) {
    registerPolicyKind(kind, f as PolicyFactory);
    moduleOfKind.set(kind, file);
  }
  if (!moduleFiles.includes(file)) moduleFiles.push(file);
  return entries.map(([kind]) => kind);
}

/** Policy module files loaded so far (absolute paths), for worker threads to load the same. */
export function policyModuleFiles(): readonly string[] {
  return moduleFiles;
}

export function buildPolicy(spec: PolicySpec, ctx: PolicyContext): BuiltPolicy {
  const factory = kinds.get(spec.kind);
  if (!factory)
    throw new InputError(ctx.file, [
      {
        path: `${ctx.path}.kind`,
        message: `unknown policy kind "${spec.kind}"; expected one of ${policyKinds().join(", ")} (load your own with --policy-module or registerPolicyKind)`,
      },
    ]);
  const module = moduleOfKind.get(spec.kind);
  // A kind may build another (Envoy's inner balancer) through the context.
  const kctx: KindContext = { ...ctx, build: buildPolicy };
  if (module === undefined) {
    const b = completeBuild(factory(spec, kctx), spec, ctx);
    if (factory !== (BUILT_IN_KINDS as Record<string, PolicyFactory | undefined>)[spec.kind])
      markOutsidePolicy(b.policy);
    return b;
  }
  // A module cannot throw routesim's InputError (it need not import routesim): its errors name the entry.
  let made: Policy | PolicyBuild;
  try {
    made = factory(spec, kctx);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new InputError(ctx.file, [
      { path: ctx.path, message: `policy kind "${spec.kind}" (from ${module}): ${message}` },
    ]);
  }
  const b = completeBuild(made, spec, ctx);
  markOutsidePolicy(b.policy);
  return b;
}

/** A factory's answer as the router needs it: a bare `Policy` or a partial build made whole. */
function completeBuild(r: Policy | PolicyBuild, spec: PolicySpec, ctx: PolicyContext): BuiltPolicy {
  const built = r as Partial<PolicyBuild> | null;
  const policy = typeof (r as Partial<Policy> | null)?.route === "function" ? (r as Policy) : built?.policy;
  const from = moduleOfKind.has(spec.kind) ? ` (from ${moduleOfKind.get(spec.kind)})` : "";
  const bad = (message: string) =>
    new InputError(ctx.file, [
      { path: `${ctx.path}.kind`, message: `policy kind "${spec.kind}"${from}: ${message}` },
    ]);
  if (typeof policy?.route !== "function")
    throw bad(
      `its factory returned ${r === null ? "null" : typeof r}, expected a Policy { name, route(request, view, rng) } or { policy, behaviour?, warnings? }`,
    );
  const warnings = policy === r ? [] : (built?.warnings ?? []);
  if (!Array.isArray(warnings) || warnings.some((w) => typeof w !== "string"))
    throw bad("its factory's `warnings` must be an array of strings");
  const own = policy === r ? undefined : built?.behaviour;
  if (own !== undefined && (own === null || typeof own !== "object"))
    throw bad("its factory's `behaviour` must be an object (a partial RouterBehaviour)");
  // Built-in kinds return a whole behaviour (kept as is); a user's may leave any of it to the defaults.
  const whole =
    own && "timeoutMs" in own && "maxAttempts" in own && "onFailure" in own && "finalError" in own;
  const behaviour = whole
    ? (own as RouterBehaviour)
    : { ...openRouterBehaviour(spec, OpenRouterConfig.parse({})), ...own };
  const module = moduleOfKind.get(spec.kind);
  const models =
    policy !== r && built?.models !== undefined
      ? built.models
      : module && `your policy module ${basename(module)}`;
  return {
    policy: policy.name === spec.name ? policy : renamed(policy, spec.name),
    behaviour,
    warnings,
    ...(models !== undefined ? { models } : {}),
  };
}

/** The policy under the scenario entry's name (results are keyed by it), its methods bound to it. */
function renamed(p: Policy, name: string): Policy {
  const out: Policy = {
    name,
    route: p.route.bind(p),
    resolve: p.resolve?.bind(p),
    observe: p.observe?.bind(p),
    settle: p.settle?.bind(p),
    enableExplain: p.enableExplain?.bind(p),
    readsHealth: p.readsHealth,
  };
  return out;
}
