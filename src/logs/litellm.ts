/**
 * LiteLLM proxy spend logs (`LiteLLM_SpendLogs`, schema.prisma of BerriAI/litellm at 029f645):
 * one row per request with `startTime`, `endTime`, `completionStartTime` (the first token; equal
 * to `endTime` when not streamed), `model` (the deployment), `model_group` (what the client asked
 * for), `custom_llm_provider`, token counts, `spend` (USD), `status` ("success" | "failure"; older
 * rows have none) and `metadata.error_information.error_code` on failures. Read from a CSV or JSON
 * export, or straight from the proxy's PostgreSQL (keyset pages over its (startTime, request_id)
 * index: constant memory). Only these columns are read: never messages, responses, keys or users.
 */
import { InputError } from "../scenario/errors.js";
import { csvObjects, fileKind, jsonDocuments } from "./files.js";
import { badRow, type LogRecord, type LogSource, numberOr, providerSlug, show, timeMs } from "./record.js";

/** The columns read (quoted: Prisma keeps the camelCase names). */
export const SPEND_LOG_COLUMNS = [
  "request_id",
  "call_type",
  "startTime",
  "endTime",
  "completionStartTime",
  "model",
  "model_group",
  "custom_llm_provider",
  "prompt_tokens",
  "completion_tokens",
  "spend",
  "status",
  "cache_hit",
  "session_id",
  "metadata",
] as const;

const CHAT_CALLS = new Set(["completion", "acompletion", "text_completion", "atext_completion", ""]);

/** What a row says, or why it is left out (embeddings, cache hits). */
export type SpendRow = { record: LogRecord } | { skip: "not_chat" | "cache_hit" };

function errorCode(metadata: unknown): number {
  let m = metadata;
  if (typeof m === "string") {
    try {
      m = JSON.parse(m);
    } catch {
      return 500;
    }
  }
  const code = (m as { error_information?: { error_code?: unknown } } | null)?.error_information?.error_code;
  const n = Number(code);
  return Number.isInteger(n) && n >= 400 && n <= 599 ? n : 500;
}

/** One spend-log row (from any source) as a record. */
export function spendRow(r: Record<string, unknown>, label: string, at: string): SpendRow {
  const call = String(r.call_type ?? "");
  if (!CHAT_CALLS.has(call)) return { skip: "not_chat" };
  const hit = String(r.cache_hit ?? "").toLowerCase();
  if (hit === "true" || hit === "t") return { skip: "cache_hit" };
  const start = timeMs(r.startTime);
  const end = timeMs(r.endTime);
  if (!Number.isFinite(start))
    throw badRow(label, at, "startTime", `expected a time, got ${show(r.startTime)}`);
  if (!Number.isFinite(end) || end < start)
    throw badRow(label, at, "endTime", `expected a time at or after startTime, got ${show(r.endTime)}`);
  const first = timeMs(r.completionStartTime);
  const model = String(r.model ?? "");
  const group = String(r.model_group ?? "") || model;
  if (!group) throw badRow(label, at, "model_group", "no model_group or model");
  const provider = String(r.custom_llm_provider ?? "") || (model.includes("/") ? model.split("/")[0] : "");
  const status = String(r.status ?? "success").toLowerCase() === "failure" ? errorCode(r.metadata) : 200;
  return {
    record: {
      startMs: start,
      latencyMs: end - start,
      // Not streamed: LiteLLM writes the end as the first token (no TTFT to learn).
      ttftMs: Number.isFinite(first) && first >= start && first < end ? first - start : Number.NaN,
      provider: providerSlug(provider || "unknown"),
      model: group,
      promptTokens: Math.max(0, Math.round(numberOr(r.prompt_tokens, 0))),
      completionTokens: Math.max(0, Math.round(numberOr(r.completion_tokens, 0))),
      costUsd: numberOr(r.spend, Number.NaN),
      status,
      session: r.session_id ? String(r.session_id) : null,
    },
  };
}

/** Counts of rows left out, by reason (for the calibration report). */
export interface Skipped {
  not_chat: number;
  cache_hit: number;
}

export function liteLLMFile(file: string, skipped: Skipped): LogSource {
  const kind = fileKind(file);
  return {
    label: file,
    async *records() {
      const rows =
        kind === "csv"
          ? csvObjects(file)
          : (function* () {
              for (const { value, at } of jsonDocuments(file, kind)) {
                const list = Array.isArray(value)
                  ? value
                  : Array.isArray((value as { data?: unknown })?.data)
                    ? (value as { data: unknown[] }).data
                    : [value];
                for (let i = 0; i < list.length; i++)
                  yield { row: list[i] as Record<string, unknown>, at: at || `[${i}]` };
              }
            })();
      for (const { row, at } of rows) {
        if (row === null || typeof row !== "object")
          throw new InputError(file, [{ path: at, message: "expected a spend-log object" }]);
        const r = spendRow(row, file, at);
        if ("skip" in r) skipped[r.skip]++;
        else yield r.record;
      }
    },
  };
}

/** The connection string without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

/** Rows straight from LiteLLM's PostgreSQL, in pages of `page` by (startTime, request_id). */
export function liteLLMPostgres(url: string, skipped: Skipped, page = 5000): LogSource {
  const label = redactUrl(url);
  return {
    label,
    async *records() {
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: url });
      // Timestamps without a zone are UTC (as LiteLLM writes them): read them as text, parse here.
      client.setTypeParser?.(1114, (v: string) => v);
      try {
        await client.connect();
      } catch (e) {
        throw new InputError(label, [{ path: "", message: `cannot connect: ${(e as Error).message}` }]);
      }
      try {
        const cols = SPEND_LOG_COLUMNS.map((c) => `"${c}"`).join(", ");
        let after: [string, string] | null = null;
        let n = 0;
        for (;;) {
          const where: string = after ? `WHERE ("startTime", "request_id") > ($1::timestamp, $2)` : "";
          let res: { rows: Record<string, unknown>[] };
          try {
            const sql = `SELECT ${cols} FROM "LiteLLM_SpendLogs" ${where} ORDER BY "startTime", "request_id" LIMIT ${page}`;
            res = await client.query<Record<string, unknown>>(sql, after ?? []);
          } catch (e) {
            throw new InputError(label, [
              { path: "LiteLLM_SpendLogs", message: `query failed: ${(e as Error).message}` },
            ]);
          }
          for (const row of res.rows) {
            n++;
            const r = spendRow(row, label, `row ${n} (request_id ${show(row.request_id)})`);
            if ("skip" in r) skipped[r.skip]++;
            else yield r.record;
          }
          if (res.rows.length < page) break;
          const last = res.rows[res.rows.length - 1];
          after = [String(last.startTime), String(last.request_id)];
        }
      } finally {
        await client.end();
      }
    },
  };
}
