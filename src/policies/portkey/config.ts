/**
 * Portkey gateway config JSON → a compiled target tree (leaves mapped to scenario endpoints) plus
 * warnings for settings routesim does not simulate. Semantics and defaults: docs/gateways.md §2,
 * as the open-source gateway 1.15.2 reads them (not the hosted product's docs).
 */
import { z } from "zod";
import { InputError } from "../../errors.js";
import { MAX_ATTEMPTS } from "../../limits.js";
import { matchEndpoint, modelMismatch } from "../gateway/endpoints.js";
import { parseConfig } from "../gateway/files.js";
import type { PolicyContext } from "../kind.js";

// Built on first use (through Node's z.lazy): a run without a Portkey policy never needs them.
function parts() {
  const status = z.number().int().min(100).max(599);
  return {
    Retry: z.looseObject({
      attempts: z.number().int().nonnegative().max(MAX_ATTEMPTS), // routesim cap (issue #27)
      on_status_codes: z.array(status).optional(),
      use_retry_after_header: z.boolean().optional(),
    }),
    Strategy: z.looseObject({
      mode: z.enum(["loadbalance", "fallback", "single", "conditional"]),
      on_status_codes: z.array(status).optional(),
    }),
  };
}
type Parts = ReturnType<typeof parts>;

export interface RawNode {
  strategy?: z.infer<Parts["Strategy"]>;
  targets?: RawNode[];
  provider?: string;
  override_params?: Record<string, unknown>;
  weight?: number;
  retry?: z.infer<Parts["Retry"]>;
  request_timeout?: number;
  [k: string]: unknown;
}

const Node: z.ZodType<RawNode> = z.lazy(() => {
  const { Retry, Strategy } = parts();
  return z.looseObject({
    strategy: Strategy.optional(),
    targets: z.array(Node).min(1).optional(),
    provider: z.string().min(1).optional(),
    override_params: z.record(z.string(), z.unknown()).optional(),
    weight: z.number().finite().nonnegative().optional(),
    retry: Retry.optional(),
    // 0 is legal: the gateway tests it for truth, so it means "not set" (the parent's value applies).
    request_timeout: z.number().nonnegative().optional(),
  });
});

export const DEFAULT_RETRY_CODES = [429, 500, 502, 503, 504];

export interface RetrySpec {
  readonly attempts: number;
  readonly codes: ReadonlySet<number>;
  readonly useRetryAfter: boolean;
}

export type PortkeyNode =
  | {
      readonly kind: "leaf";
      readonly endpoint: number;
      readonly retry: RetrySpec;
      /** This target's request_timeout (own or inherited), ms; null = the gateway sets no timer. */
      readonly timeoutMs: number | null;
      readonly path: string;
    }
  | {
      readonly kind: "loadbalance";
      readonly targets: readonly PortkeyNode[];
      readonly weights: readonly number[];
    }
  | {
      readonly kind: "fallback";
      readonly targets: readonly PortkeyNode[];
      readonly onStatus: ReadonlySet<number> | null;
    };

const CAMEL: Record<string, string> = {
  onStatusCodes: "on_status_codes",
  overrideParams: "override_params",
  requestTimeout: "request_timeout",
  useRetryAfterHeader: "use_retry_after_header",
  useRetryAfterHeaders: "use_retry_after_headers",
  virtualKey: "virtual_key",
  apiKey: "api_key",
  customHost: "custom_host",
};

/** The gateway accepts camelCase too; override_params contents are kept as written. */
function snakeKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeKeys);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const key = CAMEL[k] ?? k;
    out[key] = key === "override_params" ? x : snakeKeys(x);
  }
  return out;
}

/** Keys routesim simulates (credentials and names change no routing, so they pass silently). */
const MODELLED = new Set([
  "strategy",
  "targets",
  "provider",
  "override_params",
  "weight",
  "retry",
  "request_timeout",
  "api_key",
  "name",
]);
const RETRY_MODELLED = new Set(["attempts", "on_status_codes", "use_retry_after_header"]);
const STRATEGY_MODELLED = new Set(["mode", "on_status_codes"]);

/** Why a known key is not simulated, where a plain "not simulated" would mislead. */
const NOT_SIMULATED: Record<string, string> = {
  "retry.use_retry_after_headers":
    "ignored: the hosted Portkey product reads it, but gateway 1.15.2 reads only retry.use_retry_after_header",
  cb_config: "not simulated: the circuit breaker is hosted-only (gateway 1.15.2 has none)",
  virtual_key: "not simulated: virtual keys are hosted-only (gateway 1.15.2 uses provider + api_key)",
  custom_host: "not simulated: requests go to the scenario endpoint mapped from provider",
};

/** The docs cap retry.attempts at 5; gateway 1.15.2 defines MAX_RETRIES = 5 but never applies it. */
const DOCUMENTED_MAX_RETRIES = 5;

export interface PortkeyConfig {
  readonly root: PortkeyNode;
  /**
   * The headline per-attempt timeout (ms) for reports; null = the gateway sets no timer. Each
   * leaf's own `timeoutMs` is what its attempts run on.
   */
  readonly timeoutMs: number | null;
}

export function loadPortkeyConfig(
  data: unknown,
  ctx: PolicyContext,
  file: string,
  base: string,
  defaultModel: string | undefined,
): { config: PortkeyConfig; warnings: string[] } {
  const raw = parseConfig(Node, snakeKeys(data), file, base);
  const problems: { path: string; message: string }[] = [];
  const notes = new Map<string, string[]>();
  const note = (k: string, where: string) => notes.set(k, [...(notes.get(k) ?? []), where || "(root)"]);
  const at = (p: string) => (base ? (p ? `${base}.${p}` : base) : p);
  const leafTimeouts: { path: string; ms: number | null }[] = [];
  const manyRetries = new Map<number, string[]>();

  const compile = (
    n: RawNode,
    path: string,
    inherited: { retry?: RawNode["retry"]; params: Record<string, unknown>; timeout?: number },
  ): PortkeyNode | null => {
    for (const k of Object.keys(n)) if (!MODELLED.has(k)) note(k, path);
    for (const k of Object.keys(n.retry ?? {})) if (!RETRY_MODELLED.has(k)) note(`retry.${k}`, path);
    for (const k of Object.keys(n.strategy ?? {})) if (!STRATEGY_MODELLED.has(k)) note(`strategy.${k}`, path);
    if (n.retry && n.retry.attempts > DOCUMENTED_MAX_RETRIES)
      manyRetries.set(n.retry.attempts, [...(manyRetries.get(n.retry.attempts) ?? []), path || "(root)"]);
    const retry = n.retry ?? inherited.retry;
    const params = { ...inherited.params, ...(n.override_params ?? {}) };
    const timeout = n.request_timeout || inherited.timeout;
    const inh = { retry, params, timeout };
    if (n.strategy || n.targets) {
      if (!n.strategy || !n.targets) {
        problems.push({ path: at(path), message: "expected both strategy and targets" });
        return null;
      }
      const mode = n.strategy.mode;
      if (mode === "conditional") {
        problems.push({
          path: at(`${path ? `${path}.` : ""}strategy.mode`),
          message: "conditional routing is not supported by routesim (it routes on request metadata)",
        });
        return null;
      }
      const kids = n.targets.map((t, i) => compile(t, `${path ? `${path}.` : ""}targets[${i}]`, inh));
      if (kids.some((k) => k === null)) return null;
      const targets = kids as PortkeyNode[];
      if (mode === "single") return targets[0];
      if (mode === "loadbalance")
        return { kind: "loadbalance", targets, weights: n.targets.map((t) => t.weight ?? 1) };
      return {
        kind: "fallback",
        targets,
        onStatus: n.strategy.on_status_codes ? new Set(n.strategy.on_status_codes) : null,
      };
    }
    if (!n.provider) {
      problems.push({
        path: at(path),
        message:
          typeof n.virtual_key === "string"
            ? "virtual_key is hosted-only and names no provider; set provider (and override_params.model)"
            : "expected provider (a leaf) or strategy + targets (a group)",
      });
      return null;
    }
    const model = typeof params.model === "string" ? params.model : defaultModel;
    const m = matchEndpoint(ctx.catalog, n.provider, model);
    if (!m.ok) {
      problems.push({
        path: at(path),
        message: `target (provider "${n.provider}", model "${model ?? "(none)"}") cannot be mapped to a scenario endpoint: ${m.message}`,
      });
      return null;
    }
    const mismatch = modelMismatch(m.endpoint, model);
    if (mismatch) mismatches.push(`Portkey target ${path || "(root)"} ${mismatch}`);
    leafTimeouts.push({ path: path || "(root)", ms: timeout ?? null });
    const attempts = retry?.attempts ?? 0;
    return {
      kind: "leaf",
      endpoint: m.endpoint.id,
      path: at(path),
      timeoutMs: timeout ?? null,
      retry: {
        attempts,
        // As normalizeRetryConfig: without attempts nothing is retried, so no status is either.
        codes: new Set(attempts > 0 ? (retry?.on_status_codes ?? DEFAULT_RETRY_CODES) : []),
        useRetryAfter: retry?.use_retry_after_header ?? false,
      },
    };
  };

  const mismatches: string[] = [];
  const root = compile(raw, "", { params: {} });
  if (problems.length || !root) throw new InputError(file, problems);
  const warnings = [...notes].map(
    ([k, where]) =>
      `Portkey setting ${k} ${NOT_SIMULATED[k] ?? "not simulated"} (${[...new Set(where)].join(", ")})`,
  );
  for (const [n, where] of manyRetries)
    warnings.push(
      `Portkey retry.attempts ${n} is above the documented maximum of ${DOCUMENTED_MAX_RETRIES}; gateway 1.15.2 does not enforce it, so ${n} retries are simulated (${where.join(", ")})`,
    );
  warnings.push(...mismatches);
  const timeoutMs = policyTimeout(raw.request_timeout || undefined, leafTimeouts, warnings);
  return { config: { root, timeoutMs }, warnings };
}

/**
 * The policy's headline timeout (reports): the leaves' common value, else the root's, else the
 * shortest one set. Targets without any value get a warning: no timer is legal but risky.
 */
function policyTimeout(
  rootMs: number | undefined,
  leaves: readonly { path: string; ms: number | null }[],
  warnings: string[],
): number | null {
  const values = [...new Set(leaves.map((l) => l.ms))];
  if (values.length === 1 && values[0] === null) {
    warnings.push(
      "Portkey request_timeout is not set and gateway 1.15.2 has no default: no timeout set: a hung provider holds the request until the client gives up (10 min, the OpenAI SDK default)",
    );
    return null;
  }
  if (values.length === 1) return values[0];
  const untimed = leaves.filter((l) => l.ms === null).map((l) => l.path);
  if (untimed.length)
    warnings.push(
      `Portkey request_timeout is not set for ${untimed.join(", ")} and gateway 1.15.2 has no default: no timeout set there, a hung provider holds the request until the client gives up`,
    );
  // Each target's attempts run on its own timer (plan steps carry it); this is only the summary.
  const set = values.filter((v): v is number => v !== null);
  return rootMs ?? Math.min(...set);
}
