/**
 * Adapters from OpenRouter endpoint listings to one plain record per endpoint. Three shapes:
 *  - `website`: the front-end stats call (`{"data": [endpoint, …]}`, each with `provider_slug`,
 *    `pricing`, `quantization`, `stats {p50_throughput, p50_latency (ms), request_count}`), as in the
 *    snapshot's deepseek-chat-v3-0324_endpoints_full.json;
 *  - `api`: the public `GET /api/v1/models/{author}/{slug}/endpoints` response
 *    (`{"data": {"id", "endpoints": [{provider_name, tag, pricing, quantization, status,
 *    uptime_last_30m, latency_last_30m {p50…} (s), throughput_last_30m {p50…},
 *    supports_tool_choice {auto, none, required, function} (SDK 1.3.19)}]}}`);
 *  - `csv`: the snapshot's per-model CSV (`name,max_completion_tokens,context_length,pricing_prompt,
 *    pricing_completion,p50_throughput,p50_latency`).
 * Prices stay per token here; conversion happens when building providers.
 */
import { InputError } from "../scenario/errors.js";
import { splitCsv } from "../traffic/trace-io.js";

export interface Percentiles {
  p50?: number;
  p75?: number;
  p90?: number;
  p99?: number;
}

export interface SourceEndpoint {
  /** Provider display name, e.g. "DeepInfra". */
  providerName: string;
  /** Endpoint tag when the source has one (`deepinfra/fp4`), else null. */
  tag: string | null;
  model: string;
  /** USD per token. */
  pricePrompt: number;
  pricePromptCacheRead: number | null;
  priceCompletion: number;
  priceRequest: number;
  contextLength: number | null;
  maxCompletionTokens: number | null;
  quantization: string | null;
  /** Output tokens/s. */
  throughput: Percentiles;
  /** Time to first token in ms. */
  latencyMs: Percentiles;
  /** Share of time up over the source's window, 0..1, if given. */
  uptime: number | null;
  requestCount: number | null;
  /** Catalog status (0 = routable); the website shape uses negative codes for hidden endpoints. */
  status: number;
  /** `supports_tool_choice` (SDK 1.3.19 `PublicEndpoint`, R119): the values that passed testing. */
  toolChoice: ToolChoiceFlags | null;
}

export interface ToolChoiceFlags {
  auto: boolean;
  none: boolean;
  required: boolean;
  function: boolean;
}

export type SourceShape = "website" | "api" | "csv";

/** Detects the shape of a file's text and parses it. `model` is needed for CSV without names. */
export function parseEndpoints(
  text: string,
  file: string,
  model?: string,
): { shape: SourceShape; endpoints: SourceEndpoint[] } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new InputError(file, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
    }
    const data = (json as { data?: unknown }).data;
    if (Array.isArray(data))
      return { shape: "website", endpoints: data.map((e, i) => fromWebsite(e, i, file, model)) };
    if (data && typeof data === "object" && Array.isArray((data as { endpoints?: unknown }).endpoints)) {
      const d = data as { id?: unknown; endpoints: unknown[] };
      const id = typeof d.id === "string" ? d.id : model;
      return { shape: "api", endpoints: d.endpoints.map((e, i) => fromApi(e, i, file, id)) };
    }
    throw new InputError(file, [
      {
        path: "data",
        message:
          "expected OpenRouter's website stats shape {data: [endpoint…]} or the public API shape {data: {id, endpoints: […]}}",
      },
    ]);
  }
  return { shape: "csv", endpoints: fromCsv(text, file, model) };
}

type Obj = Record<string, unknown>;

function num(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && v.trim() !== "N/A") {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

function need(v: unknown, file: string, path: string, what: string): number {
  const n = num(v);
  if (n === null || n < 0)
    throw new InputError(file, [
      { path, message: `expected ${what} (a non-negative number), got ${JSON.stringify(v)}` },
    ]);
  return n;
}

function obj(v: unknown, file: string, path: string): Obj {
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw new InputError(file, [{ path, message: "expected an object" }]);
  return v as Obj;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

/** R119: the four booleans of `supports_tool_choice`; a missing or non-boolean flag counts as true. */
function toolChoiceFlags(v: unknown): ToolChoiceFlags | null {
  if (!v || typeof v !== "object") return null;
  const o = v as Obj;
  const flag = (k: string) => o[k] !== false;
  return { auto: flag("auto"), none: flag("none"), required: flag("required"), function: flag("function") };
}

/** Prices, limits, quantization and tool_choice flags: the fields both JSON shapes name alike. */
function common(o: Obj, file: string, path: string) {
  const pricing = obj(o.pricing, file, `${path}.pricing`);
  return {
    pricePrompt: need(pricing.prompt, file, `${path}.pricing.prompt`, "a price per token"),
    pricePromptCacheRead: num(pricing.input_cache_read),
    priceCompletion: need(pricing.completion, file, `${path}.pricing.completion`, "a price per token"),
    priceRequest: num(pricing.request) ?? 0,
    contextLength: num(o.context_length),
    maxCompletionTokens: num(o.max_completion_tokens),
    quantization: str(o.quantization),
    toolChoice: toolChoiceFlags(o.supports_tool_choice),
  };
}

function fromWebsite(e: unknown, i: number, file: string, model?: string): SourceEndpoint {
  const path = `data[${i}]`;
  const o = obj(e, file, path);
  const stats = (o.stats ?? {}) as Obj;
  const m = o.model as Obj | undefined;
  const name = str(o.provider_name) ?? str(o.provider_display_name);
  if (!name)
    throw new InputError(file, [{ path: `${path}.provider_name`, message: "expected a provider name" }]);
  const p50t = num(stats.p50_throughput);
  const p50l = num(stats.p50_latency);
  return {
    providerName: name,
    tag: str(o.provider_slug),
    model: model ?? str(o.model_variant_permaslug) ?? str(m?.permaslug) ?? str(m?.slug) ?? "unknown",
    ...common(o, file, path),
    throughput: p50t !== null ? { p50: p50t } : {},
    latencyMs: p50l !== null ? { p50: p50l } : {},
    uptime: null,
    requestCount: num(stats.request_count),
    status: num(o.status) ?? 0,
  };
}

function percentiles(v: unknown, scale: number): Percentiles {
  if (!v || typeof v !== "object") return {};
  const o = v as Obj;
  const out: Percentiles = {};
  for (const k of ["p50", "p75", "p90", "p99"] as const) {
    const n = num(o[k]);
    if (n !== null) out[k] = n * scale;
  }
  return out;
}

function fromApi(e: unknown, i: number, file: string, model?: string): SourceEndpoint {
  const path = `data.endpoints[${i}]`;
  const o = obj(e, file, path);
  const name = str(o.provider_name);
  if (!name)
    throw new InputError(file, [{ path: `${path}.provider_name`, message: "expected a provider name" }]);
  const uptime = num(o.uptime_last_30m);
  // The public API's status is a word ("default"); anything else ("offline", a negative code)
  // marks the endpoint as not routable.
  const status = o.status === undefined || o.status === "default" || o.status === 0 ? 0 : -1;
  return {
    providerName: name,
    tag: str(o.tag),
    model: model ?? str(o.model_id) ?? "unknown",
    ...common(o, file, path),
    throughput: percentiles(o.throughput_last_30m, 1),
    // Documented in seconds (e.g. p50: 0.25).
    latencyMs: percentiles(o.latency_last_30m, 1000),
    uptime: uptime === null ? null : uptime / 100,
    requestCount: null,
    status,
  };
}

const CSV_COLUMNS = [
  "name",
  "max_completion_tokens",
  "context_length",
  "pricing_prompt",
  "pricing_completion",
  "p50_throughput",
  "p50_latency",
];

function fromCsv(text: string, file: string, model?: string): SourceEndpoint[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsv(lines[0].replace(/^\uFEFF/, ""))?.map((h) => h.trim()) ?? [];
  const missing = CSV_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new InputError(file, [
      {
        path: "line 1",
        message: `expected the snapshot's per-model CSV header; missing ${missing.map((c) => `"${c}"`).join(", ")}`,
      },
    ]);
  const col = (f: string[], c: string) => f[header.indexOf(c)];
  const out: SourceEndpoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    const f = splitCsv(lines[i]);
    const path = `line ${i + 1}`;
    if (!f || f.length !== header.length)
      throw new InputError(file, [{ path, message: `expected ${header.length} fields` }]);
    const [provider, rowModel] = col(f, "name")
      .split("|")
      .map((s) => s.trim());
    const t = num(col(f, "p50_throughput"));
    const l = num(col(f, "p50_latency"));
    out.push({
      providerName: provider,
      tag: null,
      model: model ?? rowModel ?? "unknown",
      pricePrompt: need(col(f, "pricing_prompt"), file, `${path}.pricing_prompt`, "a price per token"),
      pricePromptCacheRead: null,
      priceCompletion: need(
        col(f, "pricing_completion"),
        file,
        `${path}.pricing_completion`,
        "a price per token",
      ),
      priceRequest: 0,
      contextLength: num(col(f, "context_length")),
      maxCompletionTokens: num(col(f, "max_completion_tokens")),
      quantization: null,
      throughput: t !== null ? { p50: t } : {},
      latencyMs: l !== null ? { p50: l } : {},
      uptime: null,
      requestCount: null,
      status: 0,
      toolChoice: null,
    });
  }
  return out;
}
