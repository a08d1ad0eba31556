/**
 * What a policy kind implements: its factory's arguments and results, and the options parser
 * every kind uses. On its own (not in the registry) so kinds import it without a cycle.
 */
import type { z } from "zod";
import { InputError } from "../scenario/errors.js";
import { zodProblems } from "../scenario/load.js";
import type { PolicySpec, Scenario } from "../scenario/schema.js";
import type { Endpoint } from "../types.js";
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
export type PolicyFactory = (spec: PolicySpec, ctx: PolicyContext) => Policy | PolicyBuild;

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
