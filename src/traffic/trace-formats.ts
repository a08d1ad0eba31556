/**
 * Trace row parsers: each turns one line into a `TraceRow`, a problem message (bad row), or null
 * (nothing to replay: blank line, filtered status). `azure-csv` and `mooncake-jsonl` are presets of
 * the generic csv / jsonl mappings.
 */
import { InputError } from "../errors.js";
import { MAX_TOKENS } from "../limits.js";
import type { TraceSpec } from "../types.js";
import { type LineReader, parseDateTime, splitCsv } from "./trace-io.js";

export interface TraceRow {
  readonly line: number;
  /** Trace time in ms (absolute, as in the file; rebased later). */
  readonly timeMs: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly model?: string;
  readonly session?: string;
  readonly priority?: number;
  /** Body hash (R106): equal values mark byte-identical bodies. */
  readonly bodyHash?: string;
}

export type RowResult = TraceRow | string | null;
export type RowParser = (line: string, lineNo: number) => RowResult;

type Columns = Extract<TraceSpec, { columns: unknown }>["columns"];
type TimeUnit = Columns["time_unit"];

const UNIT_MS: Record<Exclude<TimeUnit, "datetime">, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

const AZURE: Columns = {
  time: "TIMESTAMP",
  time_unit: "datetime",
  prompt: "ContextTokens",
  completion: "GeneratedTokens",
};

/** Datetimes are measured from the first one seen in the file, so sub-ms fractions stay exact. */
interface Clock {
  origin: number | null;
}

function timeOf(v: unknown, unit: TimeUnit, clock: Clock): number | string {
  if (unit === "datetime") {
    const t = typeof v === "string" ? parseDateTime(v) : null;
    if (!t) return `expected a datetime like 2023-11-16 18:15:46.6805900, got ${show(v)}`;
    clock.origin ??= t.ms;
    return t.ms - clock.origin + t.frac;
  }
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  // Beyond 1e15 ms (31,700 years) sums of times lose whole milliseconds.
  const ms = n * UNIT_MS[unit];
  if (Number.isFinite(ms) && Math.abs(ms) > MAX_TIME_MS)
    return `expected a time within ±1e15 ms, got ${show(v)}`;
  return Number.isFinite(ms) ? ms : `expected a number (${unit}), got ${show(v)}`;
}

const MAX_TIME_MS = 1e15;

function tokensOf(v: unknown, what: string): number | string {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n))
    return `expected ${what} as a non-negative integer, got ${show(v)}`;
  if (n > MAX_TOKENS) return `expected ${what} at most ${MAX_TOKENS}, got ${show(v)}`;
  return n;
}

/** A short, printable rendering of a bad value (escaped, never a whole foreign field). */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Builds a row from extracted values; shared by csv and jsonl. */
function buildRow(
  lineNo: number,
  cols: Columns,
  get: (key: string) => unknown,
  keep: ReadonlySet<string> | null,
  clock: Clock,
): RowResult {
  if (keep && cols.status !== undefined && !keep.has(String(get(cols.status) ?? "").trim())) return null;
  const t = timeOf(get(cols.time), cols.time_unit, clock);
  if (typeof t === "string") return `${cols.time}: ${t}`;
  const p = tokensOf(get(cols.prompt), "prompt tokens");
  if (typeof p === "string") return `${cols.prompt}: ${p}`;
  const c = tokensOf(get(cols.completion), "completion tokens");
  if (typeof c === "string") return `${cols.completion}: ${c}`;
  let model: string | undefined;
  if (cols.model !== undefined) {
    const m = get(cols.model);
    if (typeof m !== "string" || m.trim() === "") return `${cols.model}: expected a model id, got ${show(m)}`;
    model = m.trim();
  }
  let session: string | undefined;
  if (cols.session !== undefined) {
    const v = get(cols.session);
    if (v !== undefined && v !== null && String(v) !== "") session = String(v);
  }
  let priority: number | undefined;
  if (cols.priority !== undefined) {
    const v = get(cols.priority);
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
    if (!Number.isFinite(n)) return `${cols.priority}: expected a number, got ${show(v)}`;
    priority = n;
  }
  let bodyHash: string | undefined;
  if (cols.body_hash !== undefined) {
    const v = get(cols.body_hash);
    if (v !== undefined && v !== null && String(v) !== "") bodyHash = String(v);
  }
  return {
    line: lineNo,
    timeMs: t,
    promptTokens: p,
    completionTokens: c,
    model,
    session,
    priority,
    bodyHash,
  };
}

/** Reads the header line and returns a CSV row parser for the mapping. */
function csvParser(
  reader: LineReader,
  cols: Columns,
  keep: ReadonlySet<string> | null,
  colPath: string,
): RowParser {
  const header = reader.next();
  if (header === null)
    throw new InputError(reader.file, [{ path: "line 1", message: "empty file, expected a header" }]);
  const names = splitCsv(header)?.map((h) => h.trim()) ?? [];
  const index = new Map(names.map((n, i) => [n, i]));
  const wanted: [string, string | undefined][] = [
    ["time", cols.time],
    ["prompt", cols.prompt],
    ["completion", cols.completion],
    ["model", cols.model],
    ["session", cols.session],
    ["priority", cols.priority],
    ["body_hash", cols.body_hash],
    ["status", cols.status],
  ];
  const missing = wanted.filter(([, c]) => c !== undefined && !index.has(c));
  if (missing.length > 0)
    throw new InputError(
      reader.file,
      missing.map(([k, c]) => ({
        path: "line 1",
        message: `missing column "${c}" (${colPath}.${k}); the header has ${names.map((n) => `"${n}"`).join(", ")}`,
      })),
    );
  const width = names.length;
  const clock: Clock = { origin: null };
  return (line, lineNo) => {
    if (line.trim() === "") return null;
    const f = splitCsv(line);
    if (f === null) return "malformed CSV quoting";
    if (f.length !== width) return `expected ${width} fields, got ${f.length}`;
    return buildRow(lineNo, cols, (k) => f[index.get(k)!], keep, clock);
  };
}

function jsonlParser(
  cols: Columns,
  keep: ReadonlySet<string> | null,
  decorate?: (o: Record<string, unknown>, row: TraceRow) => RowResult,
): RowParser {
  const clock: Clock = { origin: null };
  return (line, lineNo) => {
    if (line.trim() === "") return null;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      return `malformed JSON (${(e as Error).message.split("\n")[0]})`;
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return "expected a JSON object";
    const o = obj as Record<string, unknown>;
    const row = buildRow(lineNo, cols, (k) => o[k], keep, clock);
    return decorate && row !== null && typeof row !== "string" ? decorate(o, row) : row;
  };
}

function mooncakeParser(sessionBlocks: number): RowParser {
  const cols: Columns = {
    time: "timestamp",
    time_unit: "ms",
    prompt: "input_length",
    completion: "output_length",
  };
  if (sessionBlocks === 0) return jsonlParser(cols, null);
  // The leading prefix blocks identify a conversation (block 0 alone is a shared system prompt).
  return jsonlParser(cols, null, (o, row) => {
    const ids = o.hash_ids;
    if (ids === undefined) return row;
    if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x)))
      return `hash_ids: expected an array of integers, got ${show(ids)}`;
    if (ids.length === 0) return row;
    return { ...row, session: `h${ids.slice(0, sessionBlocks).join("-")}` };
  });
}

/** The row parser for a trace spec; reads (and checks) the header of CSV files. */
export function rowParser(spec: TraceSpec, reader: LineReader): RowParser {
  switch (spec.format) {
    case "azure-csv":
      return csvParser(reader, AZURE, null, "azure-csv header");
    case "mooncake-jsonl":
      return mooncakeParser(spec.session_blocks);
    case "csv":
    case "jsonl": {
      const keep = spec.keep_status ? new Set(spec.keep_status.map((s) => String(s))) : null;
      return spec.format === "csv"
        ? csvParser(reader, spec.columns, keep, "traffic.trace.columns")
        : jsonlParser(spec.columns, keep);
    }
  }
}
