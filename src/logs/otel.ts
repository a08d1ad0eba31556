/**
 * OpenTelemetry GenAI spans in OTLP JSON (`{"resourceSpans": [{"resource", "scopeSpans": [{"spans"}]}]}`,
 * one document per file or one per line as the collector's file exporter writes them), read by
 * the GenAI semantic conventions: `gen_ai.provider.name` (older: `gen_ai.system`),
 * `gen_ai.request.model` (else `gen_ai.response.model`), `gen_ai.usage.input_tokens` /
 * `output_tokens`, `error.type` and span `status.code` 2 for failures, span start and end times.
 * Not in the conventions but read when present: `gen_ai.response.time_to_first_token` (s, as
 * OpenLLMetry writes it), `gen_ai.usage.cost` (USD), `http.response.status_code`, `session.id`.
 * Spans without any `gen_ai.*` provider or model attribute (HTTP, DB spans) are left out.
 */
import { fileKind, jsonDocuments } from "./files.js";
import { badRow, type LogRecord, type LogSource, providerSlug } from "./record.js";

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};

function value(v: AnyValue | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function attrs(list: unknown): Map<string, string | number | boolean> {
  const m = new Map<string, string | number | boolean>();
  if (!Array.isArray(list)) return m;
  for (const a of list as { key?: string; value?: AnyValue }[]) {
    const v = value(a?.value);
    if (typeof a?.key === "string" && v !== undefined) m.set(a.key, v);
  }
  return m;
}

const nanosToMs = (v: unknown): number => {
  if (typeof v === "number") return v / 1e6;
  if (typeof v !== "string" || !/^\d+$/.test(v)) return Number.NaN;
  // Nanoseconds since the epoch overflow 2^53: split before dividing.
  return Number(v.slice(0, -6) || "0") + Number(v.slice(-6)) / 1e6;
};

/** The status of a failed span: a numeric error.type or HTTP status, else 500. */
function failure(a: Map<string, string | number | boolean>): number {
  for (const k of ["http.response.status_code", "error.type"]) {
    const n = Number(a.get(k));
    if (Number.isInteger(n) && n >= 400 && n <= 599) return n;
  }
  const t = String(a.get("error.type") ?? "").toLowerCase();
  if (t.includes("ratelimit") || t.includes("rate_limit")) return 429;
  if (t.includes("timeout")) return 504;
  return 500;
}

export function spanRecord(span: Record<string, unknown>, label: string, at: string): LogRecord | null {
  const a = attrs(span.attributes);
  const provider = a.get("gen_ai.provider.name") ?? a.get("gen_ai.system");
  const model = a.get("gen_ai.request.model") ?? a.get("gen_ai.response.model");
  if (provider === undefined && model === undefined) return null;
  const start = nanosToMs(span.startTimeUnixNano);
  const end = nanosToMs(span.endTimeUnixNano);
  if (!Number.isFinite(start))
    throw badRow(label, at, "startTimeUnixNano", "expected nanoseconds as a string");
  if (!(end >= start))
    throw badRow(label, at, "endTimeUnixNano", "expected nanoseconds at or after the start");
  const ttftS = Number(a.get("gen_ai.response.time_to_first_token"));
  const code = (span.status as { code?: unknown } | undefined)?.code;
  const failed = a.has("error.type") || code === 2 || code === "STATUS_CODE_ERROR";
  const cost = Number(a.get("gen_ai.usage.cost"));
  const session = a.get("session.id") ?? a.get("gen_ai.conversation.id");
  return {
    startMs: start,
    latencyMs: end - start,
    ttftMs: Number.isFinite(ttftS) && ttftS >= 0 ? ttftS * 1000 : Number.NaN,
    provider: providerSlug(String(provider ?? "unknown")),
    model: String(model ?? "unknown"),
    promptTokens: Math.max(0, Math.round(Number(a.get("gen_ai.usage.input_tokens") ?? 0)) || 0),
    completionTokens: Math.max(0, Math.round(Number(a.get("gen_ai.usage.output_tokens") ?? 0)) || 0),
    costUsd: Number.isFinite(cost) ? cost : Number.NaN,
    status: failed ? failure(a) : 200,
    session: session === undefined ? null : String(session),
  };
}

export function otelFile(file: string): LogSource {
  const kind = fileKind(file);
  return {
    label: file,
    async *records() {
      for (const { value: doc, at } of jsonDocuments(file, kind === "csv" ? "json" : kind)) {
        const rs = (doc as { resourceSpans?: unknown })?.resourceSpans;
        if (!Array.isArray(rs)) throw badRow(file, at || "", "resourceSpans", "expected an OTLP JSON export");
        const batch: LogRecord[] = [];
        rs.forEach((r, i) => {
          const scopes = (r as { scopeSpans?: unknown })?.scopeSpans;
          (Array.isArray(scopes) ? scopes : []).forEach((s, j) => {
            const spans = (s as { spans?: unknown })?.spans;
            (Array.isArray(spans) ? spans : []).forEach((sp, k) => {
              const where = `${at ? `${at} ` : ""}resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
              const rec = spanRecord((sp ?? {}) as Record<string, unknown>, file, where);
              if (rec) batch.push(rec);
            });
          });
        });
        // Spans of one export come in any order; calibration sorts what it needs.
        yield* batch;
      }
    },
  };
}
