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
    /** A deadline on the whole request, retries included, to the end of the response; null = none. */
    readonly requestMs: number | null;
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
      requestMs:
        behaviour.requestTimeoutMs !== undefined && Number.isFinite(behaviour.requestTimeoutMs)
          ? behaviour.requestTimeoutMs
          : null,
    },
    billsAbandoned: behaviour.billsAbandoned === true,
  };
}

const MEASURES: Record<TimeoutScope, string> = {
  first_token: "to the first token",
  headers: "to the response headers",
  response: "to the end of the response",
};

const duration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

/**
 * "60 s to the first token (streaming) / to the end of the response (non-streaming)", "none (no
 * timer)", plus the whole-request deadline when there is one.
 */
export function timeoutText(m: PolicyModel): string {
  const t = m.timeout;
  const v = t.ms === null ? "" : duration(t.ms);
  const attempt =
    t.ms === null
      ? t.requestMs === null
        ? "none (no timer)"
        : "no per-attempt timer"
      : t.streaming === t.nonStreaming
        ? `${v} ${MEASURES[t.streaming]}`
        : `${v} ${MEASURES[t.streaming]} (streaming) / ${MEASURES[t.nonStreaming]} (non-streaming)`;
  if (t.requestMs === null) return attempt;
  return `${attempt}; whole request, retries included: ${duration(t.requestMs)} ${MEASURES.response}`;
}
