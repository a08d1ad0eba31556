/**
 * OpenRouter generation records: the JSON of `GET /api/v1/generation` (`{"data": {...}}`, or an
 * array / JSON lines of such objects) with the fields of @openrouter/sdk 1.3.19's
 * GenerationResponse: `created_at`, `model`, `provider_name`, `latency` and `generation_time` (ms),
 * `tokens_prompt`, `tokens_completion`, `total_cost`, `streamed`, `cancelled`, `finish_reason`,
 * `session_id`, and `provider_responses` (every provider tried, with its `status`). A CSV with the
 * same fields as columns (snake_case or "Title Case" headers) is read too: the activity export's
 * exact header could not be checked here, so any header naming these fields works.
 *
 * Timing (interp.): the SDK documents `latency` as the total and `generation_time` as the time
 * spent generating, so TTFT = latency − generation_time. A generation is a success; each failed
 * provider response before it becomes a failed call of that provider (status as given).
 */
import { InputError } from "../scenario/errors.js";
import { csvObjects, fileKind, jsonDocuments } from "./files.js";
import { badRow, type LogRecord, type LogSource, numberOr, providerSlug, show, timeMs } from "./record.js";

/** "Provider Name" → provider_name. */
const key = (h: string): string =>
  h
    .trim()
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_");

function normalise(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[key(k)] = v;
  return out;
}

/** A generation's records: failed provider responses first (as calls at its start), then the success. */
export function generationRecords(raw: Record<string, unknown>, label: string, at: string): LogRecord[] {
  const g = normalise(raw);
  const start = timeMs(g.created_at);
  if (!Number.isFinite(start))
    throw badRow(label, at, "created_at", `expected a time, got ${show(g.created_at)}`);
  const model = String(g.model ?? "");
  if (!model) throw badRow(label, at, "model", "missing");
  const latency = numberOr(g.latency, Number.NaN);
  if (!(latency >= 0)) throw badRow(label, at, "latency", `expected milliseconds, got ${show(g.latency)}`);
  const gen = numberOr(g.generation_time, Number.NaN);
  const cancelled = g.cancelled === true || String(g.cancelled).toLowerCase() === "true";
  const out: LogRecord[] = [];
  const responses = Array.isArray(g.provider_responses) ? g.provider_responses : [];
  for (const r of responses) {
    const p = normalise((r ?? {}) as Record<string, unknown>);
    const status = numberOr(p.status, 200);
    if (status === 200 || !p.provider_name) continue;
    out.push({
      startMs: start,
      latencyMs: numberOr(p.latency, 0),
      ttftMs: Number.NaN,
      provider: providerSlug(String(p.provider_name)),
      model,
      promptTokens: Math.round(numberOr(g.tokens_prompt, 0)),
      completionTokens: 0,
      costUsd: 0,
      status: status >= 400 ? status : 500,
      session: g.session_id ? String(g.session_id) : null,
      attemptOnly: true,
    });
  }
  out.push({
    startMs: start,
    latencyMs: latency,
    ttftMs: gen >= 0 && gen <= latency ? latency - gen : Number.NaN,
    provider: providerSlug(String(g.provider_name ?? "unknown")),
    model,
    promptTokens: Math.round(numberOr(g.tokens_prompt ?? g.native_tokens_prompt, 0)),
    completionTokens: Math.round(numberOr(g.tokens_completion ?? g.native_tokens_completion, 0)),
    costUsd: numberOr(g.total_cost ?? g.usage, Number.NaN),
    // A cancelled generation was the client hanging up: 499, as nginx logs it.
    status: cancelled ? 499 : 200,
    session: g.session_id ? String(g.session_id) : null,
  });
  return out;
}

export function openRouterFile(file: string): LogSource {
  const kind = fileKind(file);
  return {
    label: file,
    async *records() {
      if (kind === "csv") {
        for (const { row, at } of csvObjects(file)) yield* generationRecords(row, file, at);
        return;
      }
      for (const { value, at } of jsonDocuments(file, kind)) {
        const data = (value as { data?: unknown })?.data ?? value;
        const list = Array.isArray(data) ? data : [data];
        for (let i = 0; i < list.length; i++) {
          const g = list[i];
          const where = at ? (list.length > 1 ? `${at}[${i}]` : at) : `[${i}]`;
          if (g === null || typeof g !== "object" || Array.isArray(g))
            throw new InputError(file, [{ path: where, message: "expected a generation object" }]);
          yield* generationRecords(g as Record<string, unknown>, file, where);
        }
      }
    },
  };
}
