/**
 * What a built policy models, for run.json and the reports: which gateway (and version) it
 * reproduces, what its per-attempt timer measures, and whether providers bill abandoned attempts.
 */
import type { RouterBehaviour, TimeoutScope } from "./types.js";

export interface PolicyModel {
  readonly name: string;
  readonly kind: string;
  /** The gateway and version whose behaviour the policy reproduces. */
  readonly models: string;
  readonly timeout: {
    /** Per-attempt limit; null = the gateway sets no timer. */
    readonly ms: number | null;
    readonly streaming: TimeoutScope;
    readonly nonStreaming: TimeoutScope;
  };
  /** Providers bill what they generated on attempts the gateway abandoned. */
  readonly billsAbandoned: boolean;
}

const GENERIC: Record<string, string> = {
  openrouter: "OpenRouter routing as specified in docs/openrouter-routing.md",
  random: "uniform random choice (a baseline)",
};

export function policyModel(
  name: string,
  kind: string,
  behaviour: RouterBehaviour,
  models: string | undefined,
): PolicyModel {
  const scope = behaviour.timeoutScope ?? { streaming: "first_token", nonStreaming: "first_token" };
  return {
    name,
    kind,
    models: models ?? GENERIC[kind] ?? `routesim's ${kind} balancer (no particular gateway)`,
    timeout: {
      ms: Number.isFinite(behaviour.timeoutMs) ? behaviour.timeoutMs : null,
      streaming: scope.streaming,
      nonStreaming: scope.nonStreaming,
    },
    billsAbandoned: behaviour.billsAbandoned === true,
  };
}

const MEASURES: Record<TimeoutScope, string> = {
  first_token: "to the first token",
  headers: "to the response headers",
  response: "to the end of the response",
};

/** "60 s to the first token (streaming) / to the end of the response (non-streaming)", or "none". */
export function timeoutText(m: PolicyModel): string {
  const t = m.timeout;
  if (t.ms === null) return "none (no timer)";
  const v = t.ms % 1000 === 0 ? `${t.ms / 1000} s` : `${t.ms} ms`;
  if (t.streaming === t.nonStreaming) return `${v} ${MEASURES[t.streaming]}`;
  return `${v} ${MEASURES[t.streaming]} (streaming) / ${MEASURES[t.nonStreaming]} (non-streaming)`;
}
