/**
 * LiteLLM proxy `config.yaml` → a validated, endpoint-mapped router configuration plus warnings for
 * every setting routesim does not simulate. Semantics and defaults: docs/gateways.md §1.
 */
import { z } from "zod";
import { InputError } from "../../errors.js";
import { MAX_ATTEMPTS } from "../../limits.js";
import { matchEndpoint, modelMismatch } from "../gateway/endpoints.js";
import { parseConfig } from "../gateway/files.js";
import type { PolicyContext } from "../kind.js";

/** The LiteLLM release whose Router routesim reproduces (named in version-dependent warnings). */
export const LITELLM_VERSION = "LiteLLM router.py f292d1ae";

export const STRATEGIES = [
  "simple-shuffle",
  "least-busy",
  "usage-based-routing",
  "usage-based-routing-v2",
  "latency-based-routing",
  "cost-based-routing",
] as const;
export type Strategy = (typeof STRATEGIES)[number];

const CREDENTIALS = new Set([
  "api_key",
  "api_base",
  "api_version",
  "organization",
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_region_name",
  "vertex_project",
  "vertex_location",
  "vertex_credentials",
]);

// Built on first use: a run without a LiteLLM policy never needs them.
function buildSchemas() {
  const nonNeg = z.number().finite().nonnegative();
  const count = z.number().int().nonnegative();

  const LitellmParams = z.looseObject({
    model: z.string().min(1),
    weight: nonNeg.optional(),
    rpm: nonNeg.optional(),
    tpm: nonNeg.optional(),
    order: z.number().int().optional(),
    timeout: nonNeg.optional(),
    request_timeout: nonNeg.optional(),
    cooldown_time: nonNeg.optional(),
  });

  const Deployment = z.looseObject({
    model_name: z.string().min(1),
    litellm_params: LitellmParams,
    model_info: z.looseObject({ id: z.union([z.string(), z.number()]).optional() }).optional(),
    rpm: nonNeg.optional(),
    tpm: nonNeg.optional(),
  });

  const FallbackList = z.array(z.record(z.string(), z.array(z.string().min(1))));

  const PerError = z.strictObject({
    BadRequestErrorRetries: count.optional(),
    AuthenticationErrorRetries: count.optional(),
    TimeoutErrorRetries: count.optional(),
    RateLimitErrorRetries: count.optional(),
    ContentPolicyViolationErrorRetries: count.optional(),
    InternalServerErrorRetries: count.optional(),
  });
  const PerErrorFails = z.strictObject({
    BadRequestErrorAllowedFails: count.optional(),
    AuthenticationErrorAllowedFails: count.optional(),
    TimeoutErrorAllowedFails: count.optional(),
    RateLimitErrorAllowedFails: count.optional(),
    ContentPolicyViolationErrorAllowedFails: count.optional(),
    InternalServerErrorAllowedFails: count.optional(),
  });

  const RouterSettings = z.looseObject({
    routing_strategy: z.enum(STRATEGIES).default("simple-shuffle"),
    num_retries: count.max(MAX_ATTEMPTS).optional(),
    timeout: nonNeg.optional(),
    retry_after: nonNeg.default(0),
    allowed_fails: count.optional(),
    allowed_fails_policy: PerErrorFails.optional(),
    cooldown_time: nonNeg.optional(),
    disable_cooldowns: z.boolean().default(false),
    retry_policy: PerError.optional(),
    fallbacks: FallbackList.optional(),
    context_window_fallbacks: FallbackList.optional(),
    content_policy_fallbacks: FallbackList.optional(),
    routing_strategy_args: z
      .looseObject({
        ttl: nonNeg.optional(),
        lowest_latency_buffer: nonNeg.optional(),
        max_latency_list_size: z.number().int().positive().optional(),
      })
      .optional(),
    max_fallbacks: count.default(5),
    enable_pre_call_checks: z.boolean().default(false),
  });

  const LitellmSettings = z.looseObject({
    num_retries: count.max(MAX_ATTEMPTS).optional(),
    request_timeout: nonNeg.optional(),
    fallbacks: FallbackList.optional(),
    context_window_fallbacks: FallbackList.optional(),
    content_policy_fallbacks: FallbackList.optional(),
  });

  const LitellmConfigSchema = z.looseObject({
    model_list: z.array(Deployment).min(1),
    router_settings: RouterSettings.default(RouterSettings.parse({})),
    litellm_settings: LitellmSettings.default({}),
  });
  return {
    LitellmConfigSchema,
    FallbackList,
    modelledRouter: new Set(Object.keys(RouterSettings.shape)),
    modelledLitellm: new Set(Object.keys(LitellmSettings.shape)),
    modelledParams: new Set([...Object.keys(LitellmParams.shape), ...CREDENTIALS]),
  };
}
let built: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (built ??= buildSchemas());

export const LitellmConfigSchema = z.lazy(() => schemas().LitellmConfigSchema);

export interface LiteDeployment {
  /** `model_info.id`, or `model_list[i]` (LiteLLM hashes the params; any stable key will do). */
  readonly id: string;
  readonly group: string;
  readonly endpoint: number;
  readonly weight?: number;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly order?: number;
  readonly cooldownS?: number;
}

/**
 * LiteLLM's exception classes (§1.2 retry_policy row): what `retry_policy` and `allowed_fails_policy`
 * match on. `api_error` is every class without a policy field (502 APIError, 503
 * ServiceUnavailableError, 404 NotFoundError, the ValueError of a zero-weight shuffle, …).
 */
export type ErrorClass =
  | "rate_limit"
  | "timeout"
  | "internal_server"
  | "auth"
  | "bad_request"
  | "content_policy"
  | "context_window"
  | "not_found"
  | "api_error";

export interface LiteConfig {
  readonly deployments: readonly LiteDeployment[];
  readonly strategy: Strategy;
  readonly numRetries: number;
  readonly retryPolicy: Partial<Record<ErrorClass, number>>;
  readonly timeoutS: number;
  readonly retryAfterS: number;
  /** Legacy v1 cooldown path (allowed_fails ≠ 3 or allowed_fails_policy set), §1.4 step 4. */
  readonly v1: {
    readonly allowedFails: number;
    readonly perClass: Partial<Record<ErrorClass, number>>;
  } | null;
  readonly cooldownS: number;
  readonly disableCooldowns: boolean;
  /** Generic fallbacks (empty when none); `"*"` is the default entry. */
  readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  /** Null when the list is absent (then generic fallbacks apply); exact group keys only (§1.2). */
  readonly contextWindowFallbacks: ReadonlyMap<string, readonly string[]> | null;
  readonly contentPolicyFallbacks: ReadonlyMap<string, readonly string[]> | null;
  readonly maxFallbacks: number;
  readonly latencyBuffer: number;
  readonly latencyTtlS: number;
  readonly maxLatencyListSize: number;
  readonly preCallChecks: boolean;
}

function fallbackMap(
  lists: readonly z.infer<ReturnType<typeof buildSchemas>["FallbackList"]>[number][] | undefined,
  groups: ReadonlySet<string>,
  key: string,
  problems: { path: string; message: string }[],
): Map<string, string[]> {
  const m = new Map<string, string[]>();
  (lists ?? []).forEach((entry, i) => {
    for (const [g, targets] of Object.entries(entry)) {
      if (g !== "*" && !groups.has(g))
        problems.push({
          path: `${key}[${i}].${g}`,
          message: `unknown model group "${g}"; model_names: ${[...groups].join(", ")}`,
        });
      targets.forEach((t, j) => {
        if (!groups.has(t))
          problems.push({
            path: `${key}[${i}].${g}[${j}]`,
            message: `unknown model group "${t}"; model_names: ${[...groups].join(", ")}`,
          });
      });
      m.set(g, [...(m.get(g) ?? []), ...targets]);
    }
  });
  return m;
}

const PER_ERROR: Record<string, ErrorClass> = {
  BadRequestError: "bad_request",
  AuthenticationError: "auth",
  TimeoutError: "timeout",
  RateLimitError: "rate_limit",
  ContentPolicyViolationError: "content_policy",
  InternalServerError: "internal_server",
};

/** `x or litellm.x`: an empty list counts as absent (falls through to litellm_settings, then none). */
function present<T>(a: readonly T[] | undefined): readonly T[] | undefined {
  return a !== undefined && a.length > 0 ? a : undefined;
}

function perClass(
  o: Record<string, number | undefined> | undefined,
  suffix: string,
): Partial<Record<ErrorClass, number>> {
  const out: Partial<Record<ErrorClass, number>> = {};
  for (const [k, v] of Object.entries(o ?? {}))
    if (v !== undefined) out[PER_ERROR[k.slice(0, -suffix.length)]] = v;
  return out;
}

/** Validates and maps a LiteLLM config; `file` and `base` locate problems. */
export function loadLitellmConfig(
  data: unknown,
  ctx: PolicyContext,
  file: string,
  base: string,
): { config: LiteConfig; warnings: string[] } {
  const raw = parseConfig(LitellmConfigSchema, data, file, base);
  const at = (p: string) => (base ? `${base}.${p}` : p);
  const problems: { path: string; message: string }[] = [];
  const warnings: string[] = [];
  const unmodelled = new Map<string, string[]>();
  const note = (key: string, where: string) => unmodelled.set(key, [...(unmodelled.get(key) ?? []), where]);

  const deployments: LiteDeployment[] = [];
  raw.model_list.forEach((d, i) => {
    const p = d.litellm_params;
    const slash = p.model.indexOf("/");
    const idRaw = d.model_info?.id;
    const id = idRaw === undefined ? undefined : String(idRaw);
    const provider =
      slash > 0
        ? p.model.slice(0, slash)
        : typeof p.custom_llm_provider === "string"
          ? p.custom_llm_provider
          : "";
    const rest = slash > 0 ? p.model.slice(slash + 1) : p.model;
    const m = matchEndpoint(
      ctx.catalog,
      provider || "(no provider prefix: expected provider/model)",
      rest,
      id,
    );
    if (!m.ok) {
      problems.push({
        path: at(`model_list[${i}]`),
        message: `deployment "${d.model_name}" (litellm_params.model "${p.model}"${id ? `, model_info.id "${id}"` : ""}) cannot be mapped to a scenario endpoint: ${m.message}`,
      });
      return;
    }
    const mismatch = modelMismatch(m.endpoint, rest);
    if (mismatch) warnings.push(`model_list[${i}] (deployment "${d.model_name}") ${mismatch}`);
    for (const k of Object.keys(p))
      if (!schemas().modelledParams.has(k)) note(`litellm_params.${k}`, `model_list[${i}]`);
    for (const k of Object.keys(d.model_info ?? {}))
      if (k !== "id") note(`model_info.${k}`, `model_list[${i}]`);
    for (const k of Object.keys(d))
      if (!["model_name", "litellm_params", "model_info", "rpm", "tpm"].includes(k))
        note(k, `model_list[${i}]`);
    deployments.push({
      id: id ?? `model_list[${i}]`,
      group: d.model_name,
      endpoint: m.endpoint.id,
      weight: p.weight,
      rpm: p.rpm ?? d.rpm ?? (d.model_info?.rpm as number | undefined),
      tpm: p.tpm ?? d.tpm ?? (d.model_info?.tpm as number | undefined),
      order: p.order,
      cooldownS: p.cooldown_time,
    });
  });

  const rs = raw.router_settings;
  const ls = raw.litellm_settings;
  const groups = new Set(raw.model_list.map((d) => d.model_name));
  const fbList = present(rs.fallbacks) ?? present(ls.fallbacks);
  const fb = fallbackMap(
    fbList,
    groups,
    at(present(rs.fallbacks) ? "router_settings.fallbacks" : "litellm_settings.fallbacks"),
    problems,
  );
  const specific = (key: "context_window_fallbacks" | "content_policy_fallbacks") => {
    const fromRouter = present(rs[key]);
    const list = fromRouter ?? present(ls[key]);
    if (list === undefined) return null;
    return fallbackMap(
      list,
      groups,
      at(`${fromRouter ? "router_settings" : "litellm_settings"}.${key}`),
      problems,
    );
  };
  const cw = specific("context_window_fallbacks");
  const cp = specific("content_policy_fallbacks");
  if (problems.length) throw new InputError(file, problems);

  for (const k of Object.keys(raw))
    if (!["model_list", "router_settings", "litellm_settings"].includes(k)) note(k, "top level");
  for (const k of Object.keys(rs))
    if (!schemas().modelledRouter.has(k))
      note(
        `router_settings.${k}`,
        k.startsWith("redis") ? "one router instance is simulated; no shared state" : "router_settings",
      );
  for (const k of Object.keys(ls))
    if (!schemas().modelledLitellm.has(k))
      note(
        `litellm_settings.${k}`,
        k === "cooldown_time" || k === "allowed_fails"
          ? "the Router reads it only from router_settings"
          : "litellm_settings",
      );
  for (const [k, where] of unmodelled)
    warnings.push(`LiteLLM setting ${k} not simulated (${[...new Set(where)].join(", ")})`);

  const timeoutS = rs.timeout ?? ls.request_timeout ?? 6000;
  const perDeploymentTimeout = raw.model_list.filter(
    (d) => (d.litellm_params.timeout ?? d.litellm_params.request_timeout) !== undefined,
  );
  if (perDeploymentTimeout.length)
    warnings.push(
      `LiteLLM per-deployment timeout not simulated; every attempt uses the router timeout of ${timeoutS} s`,
    );
  if (deployments.some((d) => d.order !== undefined) && !rs.enable_pre_call_checks)
    warnings.push(
      `LiteLLM litellm_params.order ignored: ${LITELLM_VERSION} applies it only with enable_pre_call_checks: true (newer releases escalate by order)`,
    );
  if (rs.cooldown_time === 0)
    warnings.push(
      "LiteLLM router_settings.cooldown_time 0 means the default 5 s (`cooldown_time or 5`); only disable_cooldowns turns cooldowns off",
    );
  if (deployments.some((d) => d.cooldownS === 0))
    warnings.push(
      `LiteLLM litellm_params.cooldown_time 0 means the router's cooldown_time (docs/gateways.md §1.1), not "off"; only disable_cooldowns turns cooldowns off`,
    );
  for (const k of ["BadRequestErrorRetries", "ContentPolicyViolationErrorRetries"] as const)
    if (rs.retry_policy?.[k] !== undefined)
      warnings.push(
        `LiteLLM retry_policy.${k} not simulated: a 400/422/451 is never retried (docs/gateways.md §1.2, "when a retry is refused"), although ${LITELLM_VERSION}'s should_retry_this_error has no status check`,
      );
  if (rs.retry_policy?.InternalServerErrorRetries !== undefined)
    warnings.push(
      `LiteLLM retry_policy.InternalServerErrorRetries applies to status 500 only (502 and 503 use num_retries, 504 TimeoutErrorRetries), as in ${LITELLM_VERSION}; older get_retry_from_policy.py ignores it`,
    );
  if (deployments.some((d) => d.rpm !== undefined || d.tpm !== undefined))
    warnings.push(
      "LiteLLM rpm/tpm as a per-deployment concurrency semaphore (max_parallel_requests) not simulated; they act as shuffle weights and usage/latency caps only",
    );
  if (rs.routing_strategy === "usage-based-routing")
    warnings.push("LiteLLM usage-based-routing (v1) simulated with the usage-based-routing-v2 algorithm");

  const v1 =
    (rs.allowed_fails !== undefined && rs.allowed_fails !== 3) || rs.allowed_fails_policy !== undefined;
  return {
    config: {
      deployments,
      strategy: rs.routing_strategy,
      numRetries: rs.num_retries ?? ls.num_retries ?? 2,
      retryPolicy: perClass(rs.retry_policy, "Retries"),
      timeoutS,
      retryAfterS: rs.retry_after,
      v1: v1
        ? { allowedFails: rs.allowed_fails ?? 3, perClass: perClass(rs.allowed_fails_policy, "AllowedFails") }
        : null,
      // `cooldown_time or DEFAULT_COOLDOWN_TIME_SECONDS`: 0 is the default, not "off" (§1.1).
      cooldownS: rs.cooldown_time || 5,
      disableCooldowns: rs.disable_cooldowns,
      fallbacks: fb,
      contextWindowFallbacks: cw,
      contentPolicyFallbacks: cp,
      maxFallbacks: rs.max_fallbacks,
      latencyBuffer: rs.routing_strategy_args?.lowest_latency_buffer ?? 0,
      latencyTtlS: rs.routing_strategy_args?.ttl ?? 3600,
      maxLatencyListSize: rs.routing_strategy_args?.max_latency_list_size ?? 10,
      preCallChecks: rs.enable_pre_call_checks,
    },
    warnings,
  };
}
