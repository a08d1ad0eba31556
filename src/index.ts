/**
 * routesim's library API.
 *
 *   import { loadScenario, simulate } from "routesim";
 *   const { summary } = simulate(loadScenario("scenarios/flagship.yaml"));
 */

export {
  allPassed,
  type CheckInvariantsOptions,
  checkInvariants,
  formatTable,
  type InvariantResult,
  invariantNames,
} from "./check/runner.js";
export type { CompareSummary } from "./compare/aggregate.js";
export { type CompareOptions, type CompareResult, compare, renderReports } from "./compare/compare.js";
export type { PolicySummary, Quantiles } from "./metrics/collector.js";
export { ExactSum, QuantileSketch } from "./metrics/sketch.js";
export { OpenRouterConfig, openRouterPolicy } from "./policies/openrouter.js";
export {
  type BuiltPolicy,
  type PolicyContext,
  type PolicyFactory,
  registerPolicyKind,
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
export { compileDist, type DistSpec, type Sampler } from "./rng/distributions.js";
export { hashKey, Rng } from "./rng/rng.js";
export { lastAttemptError, openRouterFinalError } from "./router/errors.js";
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
export {
  type Progress,
  type RunInfo,
  type SimulateOptions,
  type SimulationResult,
  type Summary,
  simulate,
} from "./simulate.js";
export { meanCI, pairedDiff, pairedRelDiff, type Stat } from "./stats/ci.js";
export { tQuantile } from "./stats/t.js";
export type * from "./types.js";
