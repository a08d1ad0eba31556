/**
 * What a policy kind implements: its factory's arguments and results, and the helpers every kind
 * uses (options parser, warnings). Kinds import this, never the registry, which lists them.
 */
import type { z } from "zod";
import { InputError } from "../errors.js";
import { DEFAULT_TIMEOUT_MS } from "../limits.js";
import type { Endpoint, PolicySpec, Scenario } from "../types.js";
import { zodProblems } from "../zod-problems.js";
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

/**
 * What a factory may return besides a `Policy`: the policy with (part of) how the router executes
 * it; what `behaviour` leaves out is OpenRouter's (`openRouterBehaviour` with default knobs).
 */
export interface PolicyBuild {
  readonly policy: Policy;
  readonly behaviour?: Partial<RouterBehaviour>;
  readonly warnings?: readonly string[];
  readonly models?: string;
}

/**
 * Builds a policy for one scenario entry: `spec` is the entry (`spec.name`, `spec.options`, …),
 * `ctx` the catalog and scenario. A plain `Policy` is executed like OpenRouter's router would
 * (fallback through every candidate, `spec.router` timeout and attempt cap).
 */
export type PolicyFactory = (spec: PolicySpec, ctx: KindContext) => Policy | PolicyBuild;

/** What a factory is given besides the scenario: a way to build another kind (Envoy's inner balancer). */
export interface KindContext extends PolicyContext {
  readonly build: (spec: PolicySpec, ctx: PolicyContext) => BuiltPolicy;
}

/** A policy module's exports: `export const kinds = { mykind: factory }` (or a default export with `kinds`). */
export interface PolicyModule {
  readonly kinds: Readonly<Record<string, PolicyFactory>>;
}

/** Parses a kind's options with zod, reporting problems at `ctx.path.<key>`. */
export function parseOptions<T extends z.ZodType>(
  schema: T,
  value: unknown,
  ctx: PolicyContext,
  key: string,
): z.infer<T> {
  // jitless: parsed once per run, where compiling zod's fast path costs more than it saves.
  const r = schema.safeParse(value, { reportInput: true, jitless: true });
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
