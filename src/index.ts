/**
 * routesim's library API.
 *
 *   import { loadScenario, simulate } from "routesim";
 *   const { summary } = simulate(loadScenario("scenarios/flagship.yaml"));
 */

import { z } from "zod";
import { type CompareOptions, type CompareResult, compare as compareRaw } from "./experiment/compare.js";
import { compileDist as compileDistRaw, type DistSpec, type Sampler } from "./rng/distributions.js";
import { InputError } from "./scenario/errors.js";
import { type LoadedScenario, zodProblems } from "./scenario/load.js";
import { Dist } from "./scenario/schema.js";
import { type SimulateOptions, type SimulationResult, simulate as simulateRaw } from "./simulate.js";

export {
  allPassed,
  type CheckInvariantsOptions,
  checkInvariants,
  formatTable,
  type InvariantResult,
  invariantNames,
} from "./check/runner.js";
export { loadPolicyModules } from "./cli/policy-module.js";
export { type CompareOptions, type CompareResult, renderReports } from "./experiment/compare.js";
export type { PolicySummary, Quantiles } from "./metrics/collector.js";
export { ExactSum, QuantileSketch } from "./metrics/sketch.js";
export { lastAttemptError } from "./policies/errors.js";
export { openRouterFinalError } from "./policies/openrouter/errors.js";
export { OpenRouterConfig, openRouterPolicy } from "./policies/openrouter.js";
export {
  type BuiltPolicy,
  type PolicyBuild,
  type PolicyContext,
  type PolicyFactory,
  type PolicyModule,
  policyKinds,
  registerPolicyKind,
  registerPolicyModule,
} from "./policies/registry.js";
export type {
  Decision,
  EndpointView,
  FailureAction,
  FinalError,
  HealthView,
  Policy,
  RouterBehaviour,
} from "./policies/types.js";
export { weightedOrder } from "./policies/weighted.js";
export type { CompareSummary } from "./results/compare-summary.js";
export type { DistSpec, Sampler } from "./rng/distributions.js";
export { hashKey, Rng } from "./rng/rng.js";
export { InputError } from "./scenario/errors.js";
export {
  type LoadedScenario,
  loadScenario,
  type ScenarioOverrides,
  scenarioFromObject,
} from "./scenario/load.js";
export type {
  PolicySpec,
  Provider,
  ProviderPrefs,
  RequestBody,
  Scenario,
  ScenarioInput,
} from "./scenario/schema.js";
export { type Handler, Simulator } from "./sim/kernel.js";
export type { Progress, RunInfo, SimulateOptions, SimulationResult, Summary } from "./simulate.js";
export { meanCI, pairedDiff, pairedRelDiff, type Stat } from "./stats/ci.js";
export { tQuantile } from "./stats/t.js";
export type * from "./types.js";

// Entry points that take plain values check them like the CLI does (same schemas, same InputError):
// a library caller's typo must not become a hang, a RangeError or a TypeError deep inside.

/** Compiles a distribution spec (validated like the scenario's distributions). */
export function compileDist(spec: DistSpec): Sampler {
  const r = Dist.safeParse(spec, { reportInput: true });
  if (!r.success) throw new InputError("<compileDist>", zodProblems(r.error.issues, ["spec"], Dist));
  return compileDistRaw(r.data);
}

/** Runs every (or the selected) policy of a loaded scenario; see `loadScenario`. */
export function simulate(loaded: LoadedScenario, options: SimulateOptions = {}): SimulationResult {
  const l = loaded as Partial<LoadedScenario> | null | undefined;
  if (
    l === null ||
    typeof l !== "object" ||
    typeof l.file !== "string" ||
    typeof l.baseDir !== "string" ||
    l.scenario === null ||
    typeof l.scenario !== "object"
  )
    throw new InputError("<simulate>", [
      { path: "loaded", message: "expected a LoadedScenario (from loadScenario or scenarioFromObject)" },
    ]);
  checkOptions("<simulate>", options, SimulateChecks);
  return simulateRaw(loaded, options);
}

/** Replicated comparison; options are checked before any work. */
export function compare(options: CompareOptions): Promise<CompareResult> {
  try {
    checkOptions("<compare>", options, CompareChecks);
  } catch (e) {
    return Promise.reject(e);
  }
  return compareRaw(options);
}

const names = z.array(z.string().min(1)).optional();
const SimulateChecks = z.looseObject({ policies: names, outDir: z.string().nullable().optional() });
const CompareChecks = z.looseObject({
  source: z.discriminatedUnion("kind", [
    z.looseObject({ kind: z.literal("file"), path: z.string().min(1) }),
    z.looseObject({ kind: z.literal("object"), input: z.unknown(), baseDir: z.string(), label: z.string() }),
  ]),
  replications: z.number(),
  jobs: z.number(),
  seed: z.number().optional(),
  requests: z.number().optional(),
  policies: names,
  baseline: z.string().optional(),
  outDir: z.string().nullable().optional(),
});

function checkOptions(file: string, options: unknown, schema: z.ZodType): void {
  const r = schema.safeParse(options, { reportInput: true });
  if (!r.success) throw new InputError(file, zodProblems(r.error.issues, ["options"]));
}
