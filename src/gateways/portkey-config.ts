/**
 * Portkey gateway config JSON → a compiled target tree (leaves mapped to scenario endpoints) plus
 * warnings for settings routesim does not simulate. Semantics and defaults: docs/gateways.md §2.
 */
import { z } from "zod";
import type { PolicyContext } from "../policies/registry.js";
import { InputError } from "../scenario/errors.js";
import { matchEndpoint } from "./endpoints.js";
import { parseConfig } from "./files.js";

const status = z.number().int().min(100).max(599);

const Retry = z.looseObject({
  attempts: z.number().int().nonnegative(),
  on_status_codes: z.array(status).optional(),
  use_retry_after_header: z.boolean().optional(),
  use_retry_after_headers: z.boolean().optional(),
});

const Strategy = z.looseObject({
  mode: z.enum(["loadbalance", "fallback", "single", "conditional"]),
  on_status_codes: z.array(status).optional(),
});

export interface RawNode {
  strategy?: z.infer<typeof Strategy>;
  targets?: RawNode[];
  provider?: string;
  override_params?: Record<string, unknown>;
  weight?: number;
  retry?: z.infer<typeof Retry>;
  request_timeout?: number;
  [k: string]: unknown;
}

const Node: z.ZodType<RawNode> = z.lazy(() =>
  z.looseObject({
    strategy: Strategy.optional(),
    targets: z.array(Node).min(1).optional(),
    provider: z.string().min(1).optional(),
    override_params: z.record(z.string(), z.unknown()).optional(),
    weight: z.number().finite().nonnegative().optional(),
    retry: Retry.optional(),
    request_timeout: z.number().positive().optional(),
  }),
);

export const DEFAULT_RETRY_CODES = [429, 500, 502, 503, 504];

export interface RetrySpec {
  readonly attempts: number;
  readonly codes: ReadonlySet<number>;
  readonly useRetryAfter: boolean;
}

export type PortkeyNode =
  | { readonly kind: "leaf"; readonly endpoint: number; readonly retry: RetrySpec; readonly path: string }
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

const MODELLED = new Set([
  "strategy",
  "targets",
  "provider",
  "override_params",
  "weight",
  "retry",
  "request_timeout",
  "api_key",
  "custom_host",
  "name",
]);

export interface PortkeyConfig {
  readonly root: PortkeyNode;
  /** request_timeout of the root (ms), if any. */
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
  const timeouts = new Set<number>();

  const compile = (
    n: RawNode,
    path: string,
    inherited: { retry?: RawNode["retry"]; params: Record<string, unknown>; timeout?: number },
  ): PortkeyNode | null => {
    for (const k of Object.keys(n)) if (!MODELLED.has(k)) note(k, path);
    if (n.retry)
      for (const k of Object.keys(n.retry))
        if (!["attempts", "on_status_codes", "use_retry_after_header", "use_retry_after_headers"].includes(k))
          note(`retry.${k}`, path);
    const retry = n.retry ?? inherited.retry;
    const params = { ...inherited.params, ...(n.override_params ?? {}) };
    const timeout = n.request_timeout ?? inherited.timeout;
    if (timeout !== undefined) timeouts.add(timeout);
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
    return {
      kind: "leaf",
      endpoint: m.endpoint.id,
      path: at(path),
      retry: {
        attempts: retry?.attempts ?? 0,
        codes: new Set(retry?.on_status_codes ?? DEFAULT_RETRY_CODES),
        useRetryAfter: retry?.use_retry_after_header ?? retry?.use_retry_after_headers ?? false,
      },
    };
  };

  const root = compile(raw, "", { params: {} });
  if (problems.length || !root) throw new InputError(file, problems);
  const warnings = [...notes].map(
    ([k, where]) => `Portkey setting ${k} not simulated (${[...new Set(where)].join(", ")})`,
  );
  if (timeouts.size > 1)
    warnings.push(
      `Portkey request_timeout differs between targets (${[...timeouts].join(", ")} ms); every attempt uses ${raw.request_timeout ?? Math.min(...timeouts)} ms`,
    );
  return {
    config: { root, timeoutMs: raw.request_timeout ?? (timeouts.size ? Math.min(...timeouts) : null) },
    warnings,
  };
}
