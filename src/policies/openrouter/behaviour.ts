/**
 * How the router executes OpenRouter decisions: per-attempt timeout (R47), attempt cap (R44),
 * failure classes (R45: every pre-commit error tries the next endpoint unless its type is listed
 * in `modelFatalErrorTypes`), final error mapping (R59–R61), BYOK fee (R70) and partial billing
 * (R69).
 */
import { errorTypesOf, openRouterFinalError } from "../../router/errors.js";
import type { PolicySpec } from "../../scenario/schema.js";
import type { RouterBehaviour } from "../types.js";
import type { OpenRouterConfig } from "./config.js";

export function openRouterBehaviour(spec: PolicySpec, cfg: OpenRouterConfig): RouterBehaviour {
  const fatal = new Set(cfg.modelFatalErrorTypes);
  const explicitIdle = (spec.openrouter as Record<string, unknown>).providerIdleTimeoutMs !== undefined;
  return {
    timeoutMs: explicitIdle ? cfg.providerIdleTimeoutMs : spec.router.timeout_ms,
    maxAttempts: cfg.maxAttempts ?? spec.router.max_attempts ?? Number.POSITIVE_INFINITY,
    onFailure: (status) => {
      if (fatal.size === 0) return "next";
      for (const t of errorTypesOf(status)) if (fatal.has(t)) return "next_model";
      return "next";
    },
    finalError: openRouterFinalError,
    byokFeeShare: cfg.byokFeeShare,
    billPartialOnErrorFinish: cfg.billPartialOnErrorFinish,
  };
}
