/**
 * An OpenRouter chat request body (`POST /api/v1/chat/completions`) as users paste it, following
 * the official TypeScript SDK `@openrouter/sdk` 1.3.19 (`ChatRequest$Outbound`, 2026-09-23) and the
 * spec's §13.2 table (docs/openrouter-routing.md). test/scenario/request-body.test.ts reads the
 * SDK's published types, so a version bump that adds a field fails until it is listed here.
 *
 * R98: `null` means "not set" at every level: every field accepts null, and the parsed body has no
 * null-valued keys (stripped after validation), so downstream code reads absent fields only.
 * R97: the top level is open (unknown fields pass and are ignored); `provider` is closed (R109).
 * What OpenRouter itself rejects with a 400 (R100, R108, R83, R112, R113, …) is an error at load,
 * naming the field (`policies[2].request.service_tier`).
 *
 * Self-contained on purpose: schema.ts imports this file, so it cannot import schema.ts back.
 * Parsing produces the plain domain types of src/domain/request-body.ts (checked at the end).
 */
import { z } from "zod";
import * as B from "../domain/request-body.js";
import type { Assert, Equals } from "./equals.js";

/** Optional and nullable: null ≡ absent (R98). */
const opt = <T extends z.ZodType>(s: T) => s.nullable().optional();

export const SORT_BY = ["price", "throughput", "latency", "exacto"] as const;
/** Quantizations as OpenRouter names them (also the provider schema's `quantization`). */
export const Quantization = z.enum([
  "int4",
  "int8",
  "fp4",
  "mxfp4",
  "nvfp4",
  "fp6",
  "fp8",
  "mxfp8",
  "fp16",
  "bf16",
  "fp32",
  "unknown",
]);

export const EFFORTS = B.EFFORTS;

/**
 * The body and provider schemas, built on first use: most scenarios give no request body, and
 * building these ~150 schemas was a tenth of start-up (docs/performance.md, "Start-up, second pass").
 */
function buildSchemas() {
  const nonNeg = z.number().finite().nonnegative();
  const PriceValue = z.union([nonNeg, z.string()]);

  const SortBy = z.enum(SORT_BY);

  const Percentiles = z.strictObject({
    p50: opt(nonNeg),
    p75: opt(nonNeg),
    p90: opt(nonNeg),
    p99: opt(nonNeg),
  });
  const PerfPref = z.union([nonNeg, Percentiles]);
  const Slugs = z
    .array(z.string().min(1))
    .describe(
      "provider slugs (`amazon-bedrock`, `google-vertex/us-east5`) or display names (`Amazon Bedrock`, R99)",
    );

  /** R112: members are strings in the SDK (numbers are what users type); non-numeric or negative → error. */
  const MaxPrice = z.strictObject({
    prompt: opt(PriceValue),
    completion: opt(PriceValue),
    request: opt(PriceValue),
    image: opt(PriceValue),
    audio: opt(PriceValue),
  });

  /** OpenRouter's `provider` object: closed (R109), every member nullable (R98). */
  const ProviderPrefsSchema = z.strictObject({
    order: opt(Slugs),
    allow_fallbacks: opt(z.boolean()),
    only: opt(Slugs),
    ignore: opt(Slugs),
    sort: opt(
      z.union([SortBy, z.strictObject({ by: opt(SortBy), partition: opt(z.enum(["model", "none"])) })]),
    ),
    preferred_min_throughput: opt(PerfPref),
    preferred_max_latency: opt(PerfPref),
    max_price: opt(MaxPrice),
    quantizations: opt(z.array(Quantization)),
    data_collection: opt(z.enum(["allow", "deny"])),
    zdr: opt(z.boolean()),
    require_parameters: opt(z.boolean()),
    enforce_distillable_text: opt(z.boolean()),
    /** R110: per-provider passthrough options (non-chat in SDK 1.3.19; knob `acceptProviderOptions`). */
    options: opt(z.record(z.string(), z.record(z.string(), z.unknown()))),
  });

  const Effort = z.enum(EFFORTS);

  /** Content parts: `text`, `image_url`, `input_audio`, `file`, `video_url` (others pass, R97). */
  const ContentPart = z.looseObject({ type: z.string().min(1) });
  const Message = z.looseObject({
    role: z.enum(["system", "developer", "user", "assistant", "tool"]),
    content: opt(z.union([z.string(), z.array(ContentPart)])),
  });
  const AnyObject = z.record(z.string(), z.unknown());
  /** R118: `switchyard-router` algorithms (SDK 1.3.19 `SwitchyardRouterPlugin`). */
  const SWITCHYARD = ["capability", "stage", "auto", "random", "composite", "passthrough"];

  const BodyObject = z
    .looseObject({
      // --- the prompt (R97) ---
      messages: opt(z.array(Message).min(1)),
      prompt: opt(z.string()).describe("alternative to messages (API overview)"),
      // --- model selection ---
      model: opt(z.string().min(1)),
      models: opt(z.array(z.string().min(1))),
      preset: opt(z.string().min(1)).describe("preset slug (R102): a scenario `presets` entry"),
      provider: opt(ProviderPrefsSchema),
      route: opt(z.enum(["fallback", "sort"])).describe("deprecated alias of provider.sort.partition (R32)"),
      plugins: opt(
        z.array(
          AnyObject.refine((p) => typeof p.id === "string" && p.id !== "", {
            message: "expected a plugin `id` string",
            path: ["id"],
          }).refine(
            (p) =>
              p.id !== "switchyard-router" || p.algorithm == null || SWITCHYARD.includes(String(p.algorithm)),
            {
              message: "expected capability, stage, auto, random, composite or passthrough (R118)",
              path: ["algorithm"],
            },
          ),
        ),
      ),
      // --- parameters (R18 keys; R19 preferences) ---
      max_tokens: opt(z.number().int().positive()),
      max_completion_tokens: opt(z.number().int().positive()),
      tools: opt(z.array(AnyObject)),
      tool_choice: opt(z.union([z.enum(["none", "auto", "required"]), z.looseObject({ type: z.string() })])),
      parallel_tool_calls: opt(z.boolean()),
      response_format: opt(
        z.looseObject({ type: z.enum(["text", "json_object", "json_schema", "grammar", "python"]) }),
      ),
      structured_outputs: opt(z.boolean()),
      stop: opt(z.union([z.string(), z.array(z.string()).max(4)])),
      temperature: opt(z.number().finite()),
      top_p: opt(z.number().finite()),
      top_k: opt(z.number().finite()),
      min_p: opt(z.number().finite()),
      top_a: opt(z.number().finite()),
      frequency_penalty: opt(z.number().finite()),
      presence_penalty: opt(z.number().finite()),
      repetition_penalty: opt(z.number().finite()),
      seed: opt(z.number().int()),
      logit_bias: opt(z.record(z.string(), z.number())),
      logprobs: opt(z.boolean()),
      top_logprobs: opt(z.number().int().min(0).max(20)),
      reasoning: opt(
        z.looseObject({ effort: opt(Effort), summary: opt(z.enum(["auto", "concise", "detailed"])) }),
      ),
      reasoning_effort: opt(Effort),
      verbosity: opt(z.enum(["low", "medium", "high", "xhigh", "max"])),
      prediction: opt(z.looseObject({ type: z.literal("content") })),
      // --- tiers, modalities ---
      service_tier: opt(z.enum(["auto", "default", "fast", "flex", "priority", "scale"])),
      speed: opt(z.enum(["fast", "standard"])).describe(
        "Anthropic fast mode (R101): fast = priority opt-in, reroutes to a provider's fast_sibling model",
      ),
      modalities: opt(z.array(z.enum(["text", "image", "audio"]))).describe("output modalities (R105)"),
      image_config: opt(AnyObject),
      input_modalities: opt(z.array(z.string())).describe(
        "routesim override of the input modalities read from content parts (R105); default text",
      ),
      // --- conversation, caching, bookkeeping ---
      session_id: opt(z.string().max(256)),
      prompt_cache_key: opt(z.string()),
      prompt_cache_options: opt(z.looseObject({ mode: z.literal("explicit") })),
      cache_control: opt(z.looseObject({ type: z.literal("ephemeral") })),
      cache_enabled: opt(z.boolean()).describe("preset field (R102): response caching on/off (R106)"),
      cache_ttl_seconds: opt(z.number().int().min(1).max(86_400)).describe(
        "preset field (R102): response cache TTL in s, 1..86400 (R106)",
      ),
      stream: opt(z.boolean()),
      stream_options: opt(AnyObject),
      user: opt(z.string()),
      metadata: opt(
        z
          .record(z.string(), z.string())
          .refine((m) => Object.keys(m).length <= 16, { message: "expected at most 16 key-value pairs" }),
      ),
      trace: opt(AnyObject),
      debug: opt(AnyObject),
      stop_server_tools_when: opt(z.array(z.unknown()).min(1)),
      // --- legacy (R111; knob acceptLegacyFields) ---
      transforms: opt(z.array(z.string())),
      usage: opt(AnyObject),
    })
    .superRefine((b, ctx) => {
      // R108: both forms with different efforts is a 400 ("Cannot be used simultaneously …").
      const e = b.reasoning?.effort;
      if (e != null && b.reasoning_effort != null && e !== b.reasoning_effort)
        ctx.addIssue({
          code: "custom",
          path: ["reasoning_effort"],
          message: `"${b.reasoning_effort}" differs from reasoning.effort "${e}" (OpenRouter rejects both with different values)`,
        });
      const mp = b.provider?.max_price;
      if (mp)
        for (const [k, v] of Object.entries(mp)) {
          if (typeof v !== "string") continue;
          const n = Number(v.trim());
          if (v.trim() === "" || !Number.isFinite(n) || n < 0)
            ctx.addIssue({
              code: "custom",
              path: ["provider", "max_price", k],
              message: `expected a non-negative number (USD), got string "${v}"`,
            });
        }
    });
  return {
    BodyObject,
    ProviderPrefsSchema,
    RequestBody: BodyObject.transform((b): B.RequestBody => stripNulls(b)),
    ProviderPrefs: ProviderPrefsSchema.transform((p): B.ProviderPrefs => stripNulls(p)),
  };
}
type Built = ReturnType<typeof buildSchemas>;
let built: Built | undefined;
const schemas = (): Built => (built ??= buildSchemas());

/** Removes null-valued keys at every depth (R98). Array elements are kept (a null item is an error). */
export function stripNulls<T>(v: T): StripNulls<T> {
  if (Array.isArray(v)) return v.map(stripNulls) as StripNulls<T>;
  if (v === null || typeof v !== "object") return v as StripNulls<T>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = stripNulls(x);
  return out as StripNulls<T>;
}

/** `T` with `null` removed at every depth. */
export type StripNulls<T> = T extends null
  ? never
  : T extends readonly (infer U)[]
    ? StripNulls<U>[]
    : T extends object
      ? { [K in keyof T]: StripNulls<T[K]> }
      : T;

/**
 * The body schema: validation on the input as written (nulls allowed), then nulls stripped. A
 * trailing transform keeps the exported JSON Schema (io: input) the plain object.
 */
export const RequestBody = z.lazy(() => schemas().RequestBody);
export type RequestBody = B.RequestBody;
export type ProviderPrefs = B.ProviderPrefs;
/** The provider object as a schema of its own (null-stripped output), for tools that parse one. */
export const ProviderPrefs = z.lazy(() => schemas().ProviderPrefs);
export type Quantization = B.Quantization;

/** A top-level field routesim's schema names. */
export type KnownField = keyof Built["BodyObject"]["shape"];
/** The top-level fields routesim's schema names (known = not warned about as unknown). */
export const knownFields = (): ReadonlySet<string> => new Set(Object.keys(schemas().BodyObject.shape));
/** The `provider` object's fields. */
export const providerFields = (): ReadonlySet<string> =>
  new Set(Object.keys(schemas().ProviderPrefsSchema.shape));

// The schemas produce the domain types exactly, and name the fields the domain lists.
export type _Checks = [
  Assert<Equals<StripNulls<z.infer<Built["BodyObject"]>>, B.RequestBody>>,
  Assert<Equals<StripNulls<z.infer<Built["ProviderPrefsSchema"]>>, B.ProviderPrefs>>,
  Assert<Equals<z.infer<typeof Quantization>, B.Quantization>>,
  Assert<Equals<KnownField, (typeof B.REQUEST_BODY_FIELDS)[number]>>,
];

export { requestBodyWarnings } from "../policies/openrouter/body-warnings.js";
// Pure helpers over the domain body, kept importable from here for the edge code and tests.
export { estimatedPromptTokens } from "../traffic/prompt-estimate.js";

/** R102 knob `presetProviderMerge`: the request's `provider` replaces the preset's, or merges into it. */
export type PresetMerge = "replace" | "deep";
/** The knob as a policy's `openrouter` options set it (validated there; anything else → replace). */
export const presetMerge = (options: Readonly<Record<string, unknown>>): PresetMerge =>
  options.presetProviderMerge === "deep" ? "deep" : "replace";
export const PRESET_REF = "@preset/";

export type PresetResult =
  | { readonly kind: "ok"; readonly body: RequestBody }
  | { readonly kind: "error"; readonly path: readonly string[]; readonly message: string };

/**
 * R102: applies the preset a body names (`model: "@preset/slug"`, `preset: "slug"`, or
 * `model: "id@preset/slug"`) from `presets`; a body naming none is returned as is. Request fields
 * override the preset's key by key at the top level; `tools` are unioned (a request tool replaces
 * the preset tool of the same identity, request-only tools are appended); `provider` per `merge`.
 * An unknown slug is an error (OpenRouter: a 400 before routing, interp.).
 */
export function applyPreset(
  body: RequestBody,
  presets: Readonly<Record<string, RequestBody>>,
  merge: PresetMerge,
): PresetResult {
  let model = body.model;
  let fromModel: string | undefined;
  const at = model?.indexOf(PRESET_REF) ?? -1;
  if (model !== undefined && at >= 0) {
    fromModel = model.slice(at + PRESET_REF.length);
    model = at === 0 ? undefined : model.slice(0, at);
  }
  if (fromModel !== undefined && body.preset !== undefined && fromModel !== body.preset)
    return {
      kind: "error",
      path: ["preset"],
      message: `names preset "${body.preset}" while model names "${fromModel}"; name one (OpenRouter's choice between them is not documented)`,
    };
  const slug = fromModel ?? body.preset;
  if (slug === undefined) return { kind: "ok", body };
  const preset = Object.hasOwn(presets, slug) ? presets[slug] : undefined;
  if (preset === undefined) {
    const known = Object.keys(presets);
    return {
      kind: "error",
      path: [fromModel !== undefined ? "model" : "preset"],
      message: `unknown preset "${slug}" (OpenRouter answers 400 before routing); ${known.length ? `scenario presets: ${known.join(", ")}` : "the scenario defines no presets"}`,
    };
  }
  const { preset: _p, model: _m, ...own } = body;
  const out: Record<string, unknown> = { ...preset };
  delete out.preset;
  for (const [k, v] of Object.entries(own)) if (v !== undefined) out[k] = v;
  if (model !== undefined) out.model = model;
  if (preset.tools && body.tools) out.tools = unionTools(preset.tools, body.tools);
  if (merge === "deep" && preset.provider && body.provider)
    out.provider = deepMerge(preset.provider, body.provider);
  return { kind: "ok", body: out as RequestBody };
}

/** R102 tool identity: function name; advisor/subagent server tools by type + name; others by type. */
function toolKey(t: Record<string, unknown>): string {
  const fn = t.function as { name?: unknown } | undefined;
  if (t.type === "function") return `function:${String(fn?.name)}`;
  if (t.type === "openrouter:advisor" || t.type === "openrouter:subagent")
    return `${t.type}:${String((t.parameters as { name?: unknown } | undefined)?.name)}`;
  return String(t.type);
}

function unionTools(
  preset: readonly Record<string, unknown>[],
  request: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  const byKey = new Map(request.map((t) => [toolKey(t), t]));
  const out = preset.map((t) => byKey.get(toolKey(t)) ?? t);
  const inPreset = new Set(preset.map(toolKey));
  for (const t of request) if (!inPreset.has(toolKey(t))) out.push(t);
  return out;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Objects merged member by member (request wins); arrays and scalars replaced. */
function deepMerge<T extends object>(base: T, over: T): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlain(b) && isPlain(v) ? deepMerge(b, v) : v;
  }
  return out as T;
}
