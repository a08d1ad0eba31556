/** OpenRouter routing (spec: docs/openrouter-routing.md), as small composable pieces. */
export {
  AUTO_IDS,
  type AutoContext,
  type AutoRanking,
  AutoRouter,
  type AutoRouterHook,
  type AutoSettings,
  autoSettings,
  modelQuality,
  type SwitchyardAlgorithm,
  switchyardAlgorithm,
} from "./auto.js";
export { defaultConfig, OpenRouterConfig, outageWindowMs, type SortBy } from "./config.js";
export {
  type BodyFacts,
  bodyFacts,
  contentModalities,
  filterEndpoints,
  type ProviderRef,
  refMatches,
  slugMatches,
} from "./filters.js";
export { defaultBreaker, defaultShare, LoadBalancer, type V3Plugins, type V3Stats } from "./lb.js";
export { candidateIds, globMatch, type ModelRoute, parseModel } from "./models.js";
export { type OpenRouterPlugins, type OpenRouterPolicy, openRouterPolicy } from "./policy.js";
export { meetsPreferences, preferredFirst } from "./preferences.js";
export { weightingPrice } from "./price.js";
export { PROVIDER_DISPLAY_NAMES, slugKey, slugOfDisplayName } from "./provider-names.js";
export { sortInto } from "./sort.js";
export { healthClass, isUnstable, uptimePercent } from "./stats.js";
export { StickyStore } from "./sticky.js";
