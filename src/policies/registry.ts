/**
 * Policy kinds by name. A scenario's policy entry names its kind (default `openrouter`); the kind's
 * factory validates its options and returns the policy plus how the router should execute it.
 */

import type { z } from "zod";
import { errorTypesOf, openRouterFinalError } from "../router/errors.js";
import { InputError } from "../scenario/errors.js";
import { zodProblems } from "../scenario/load.js";
import { requestBodyWarnings } from "../scenario/request-body.js";
import { DEFAULT_TIMEOUT_MS, type PolicySpec, type Scenario } from "../scenario/schema.js";
import type { Endpoint } from "../types.js";
import { OpenRouterConfig, openRouterPolicy } from "./openrouter.js";
import { randomPolicyKind } from "./random.js";
import type { Policy, RouterBehaviour } from "./types.js";

export interface PolicyContext {
  readonly catalog: readonly Endpoint[];
  readonly scenario: Scenario;
  /** Folder relative paths (config files) resolve against. */
  readonly baseDir: string;
  /** Scenario file name, for error messages. */
  readonly file: string;
  /** Path of this policy in the scenario, e.g. `policies[2]`. */
  readonly path: string;
}

export interface BuiltPolicy {
  readonly policy: Policy;
  readonly behaviour: RouterBehaviour;
  /** Settings routesim cannot simulate, listed in the report (never silently ignored). */
  readonly warnings: readonly string[];
  /** The gateway and version the policy reproduces (run.json, reports); absent = the kind's generic text. */
  readonly models?: string;
}

export type PolicyFactory = (spec: PolicySpec, ctx: PolicyContext) => BuiltPolicy;

const kinds = new Map<string, PolicyFactory>();

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
        message: `expected a function (spec, ctx) => BuiltPolicy, got ${factory === null ? "null" : typeof factory}`,
      },
    ]);
  kinds.set(kind, factory);
}

export function policyKinds(): string[] {
  return [...kinds.keys()].sort();
}

export function buildPolicy(spec: PolicySpec, ctx: PolicyContext): BuiltPolicy {
  const factory = kinds.get(spec.kind);
  if (!factory)
    throw new InputError(ctx.file, [
      {
        path: `${ctx.path}.kind`,
        message: `unknown policy kind "${spec.kind}"; expected one of ${policyKinds().join(", ")}`,
      },
    ]);
  return factory(spec, ctx);
}

/** Parses a kind's options with zod, reporting problems at `ctx.path.<key>`. */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  value: unknown,
  ctx: PolicyContext,
  key: string,
): z.infer<T> {
  const r = schema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const base = `${ctx.path}.${key}`;
  throw new InputError(
    ctx.file,
    zodProblems(r.error.issues).map((p) => ({
      path: p.path ? `${base}.${p.path}`.replace(".[", "[") : base,
      message: p.message,
    })),
  );
}

const STATIC_VARIANTS = new Set(["free", "extended", "thinking"]);
const DYNAMIC_VARIANTS = new Set(["nitro", "floor", "exacto", "online"]);

/** Rejects unknown `:variant` suffixes (R35) at load time with the field's path. */
export function checkModelId(id: string, ctx: PolicyContext, path: string): void {
  const colon = id.lastIndexOf(":");
  if (colon <= 0) return;
  const v = id.slice(colon + 1);
  if (DYNAMIC_VARIANTS.has(v)) return;
  if (STATIC_VARIANTS.has(v)) return; // a separate model id; unknown ones fail at routing with 400
  throw new InputError(ctx.file, [
    {
      path,
      message: `unknown model variant ":${v}"; expected one of :${[...DYNAMIC_VARIANTS, ...STATIC_VARIANTS].join(", :")}`,
    },
  ]);
}

/**
 * `router.timeout_ms` does not apply to a gateway kind with timers of its own. The schema fills in
 * the default, so only another value is known to be the user's.
 */
export function routerTimeoutWarning(spec: PolicySpec, gateway: string, instead: string): string[] {
  if (spec.router.timeout_ms === DEFAULT_TIMEOUT_MS) return [];
  return [
    `router.timeout_ms (${spec.router.timeout_ms} ms) does not apply to ${gateway} policies: ${instead}`,
  ];
}

/** `router.timeout_measures` is for generic balancers; a gateway kind measures as its code does. */
export function measuresWarning(spec: PolicySpec, how: string): string[] {
  if (spec.router.timeout_measures === undefined) return [];
  return [`router.timeout_measures ignored: ${how}`];
}

/** Default router behaviour for OpenRouter-style policies. */
export function openRouterBehaviour(spec: PolicySpec, cfg: OpenRouterConfig): RouterBehaviour {
  // R45: every pre-commit error tries the next endpoint unless its type is model-fatal; R47 timeout
  // (`providerIdleTimeoutMs` when set), R44 attempt cap, R60 final errors, R69/R70 billing switches.
  const fatal = new Set(cfg.modelFatalErrorTypes);
  const idle = (spec.openrouter as Record<string, unknown>).providerIdleTimeoutMs !== undefined;
  return {
    timeoutMs: idle ? cfg.providerIdleTimeoutMs : spec.router.timeout_ms,
    maxAttempts: cfg.maxAttempts ?? spec.router.max_attempts ?? Number.POSITIVE_INFINITY,
    onFailure: (status) =>
      fatal.size > 0 && errorTypesOf(status).some((t) => fatal.has(t)) ? "next_model" : "next",
    finalError: openRouterFinalError,
    byokFeeShare: cfg.byokFeeShare,
    billPartialOnErrorFinish: cfg.billPartialOnErrorFinish,
  };
}

registerPolicyKind("openrouter", (spec, ctx) => {
  const cfg = parseOptions(OpenRouterConfig, spec.openrouter, ctx, "openrouter");
  if (spec.request.model) checkModelId(spec.request.model, ctx, `${ctx.path}.request.model`);
  for (const [i, m] of (spec.request.models ?? []).entries())
    checkModelId(m, ctx, `${ctx.path}.request.models[${i}]`);
  return {
    policy: openRouterPolicy(spec.name, cfg),
    behaviour: openRouterBehaviour(spec, cfg),
    warnings: [
      ...requestBodyWarnings(spec.request, `${ctx.path}.request`),
      ...measuresWarning(spec, "OpenRouter's provider timeout (R47) measures the first token"),
    ],
  };
});

registerPolicyKind("random", randomPolicyKind);
