/** `kind: openrouter`: the policy factory and how OpenRouter's router executes its decisions. */
import type { PolicySpec } from "../../types.js";
import { checkModelId, measuresWarning, type PolicyFactory, parseOptions } from "../kind.js";
import type { RouterBehaviour } from "../types.js";
import { requestBodyWarnings } from "./body-warnings.js";
import { OpenRouterConfig } from "./config.js";
import { errorTypesOf, openRouterFinalError } from "./errors.js";
import { openRouterPolicy } from "./policy.js";

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

/** `kind: openrouter` (the default): OpenRouter routing (docs/openrouter-model.md), R44–R70 for the router. */
export const openRouterKind: PolicyFactory = (spec, ctx) => {
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
};
