/**
 * One request as a gateway logged it, reduced to what routesim uses: timings, sizes, models,
 * providers, status and cost. Readers never keep prompt text, keys or user ids.
 */
import { InputError } from "../scenario/errors.js";
import { parseDateTime } from "../traffic/trace-io.js";

export interface LogRecord {
  /** Request start, epoch ms. */
  startMs: number;
  /** End to end, ms. */
  latencyMs: number;
  /** Time to first token, ms; NaN when the log does not say (non-streaming LiteLLM rows). */
  ttftMs: number;
  /** Provider slug as routesim names endpoints (`deepinfra`, `together`). */
  provider: string;
  /** The model the client asked for (LiteLLM's model_group, OpenRouter's model). */
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** USD; NaN when the log has no cost. */
  costUsd: number;
  /** 200 for a success, else the HTTP status of the failure (500 when unknown). */
  status: number;
  session: string | null;
  /** A failed provider call inside a logged request (OpenRouter's provider_responses), not a request. */
  attemptOnly?: true;
}

export type LogFormat = "litellm" | "openrouter" | "otel";
export const LOG_FORMATS: readonly LogFormat[] = ["litellm", "openrouter", "otel"];

/** A log that can be read more than once (calibration reads it twice). */
export interface LogSource {
  /** What to name in messages: a file, or the database without its password. */
  label: string;
  records(): AsyncIterable<LogRecord>;
}

/** `DeepInfra`, `together_ai`, `Google Vertex` → a routesim endpoint slug. */
export function providerSlug(name: string): string {
  const s = name
    .trim()
    .toLowerCase()
    .replace(/_ai$/, "")
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s || "unknown";
}

/** Epoch ms of an ISO 8601 or `YYYY-MM-DD HH:MM:SS[.f]` time (UTC without a zone), a Date or epoch number. */
export function timeMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number") return v;
  if (typeof v !== "string" || v === "") return Number.NaN;
  const d = parseDateTime(v);
  return d === null ? Number.NaN : d.ms + d.frac;
}

/** A non-negative number from a log field ("" and null → `fallback`). */
export function numberOr(v: unknown, fallback: number): number {
  if (v === null || v === undefined || v === "") return fallback;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : fallback;
}

/** An error in row `row` (1-based line or index) of a log, naming the field. */
export function badRow(label: string, row: string, field: string, message: string): InputError {
  return new InputError(label, [{ path: `${row}${field ? `.${field}` : ""}`, message }]);
}

export { show } from "../traffic/trace-formats.js";
