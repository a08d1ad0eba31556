/** Log files as rows: CSV with a header (quoted fields may span lines), JSON, or JSON lines. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname } from "node:path";
import { CsvBroken, csvRecords } from "../metrics/csv.js";
import { InputError } from "../scenario/errors.js";
import { LineReader } from "../traffic/trace-io.js";

export type FileKind = "csv" | "json" | "jsonl";

export function fileKind(file: string): FileKind {
  if (!existsSync(file)) throw new InputError(file, [{ path: "", message: "file not found" }]);
  if (statSync(file).isDirectory())
    throw new InputError(file, [{ path: "", message: "is a folder, expected a log file" }]);
  const ext = extname(file).toLowerCase();
  if (ext === ".csv") return "csv";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".json") return "json";
  throw new InputError(file, [
    { path: "", message: `unknown log file type "${ext}"; expected .csv, .json, .jsonl or .ndjson` },
  ]);
}

/** CSV rows as header-keyed objects, streamed; `at` is "line N". */
export function* csvObjects(file: string): Generator<{ row: Record<string, string>; at: string }> {
  let head: string[] | null = null;
  try {
    for (const { fields, line } of csvRecords(file)) {
      if (head === null) {
        head = fields.map((h) => h.replace(/^\uFEFF/, "").trim());
        continue;
      }
      if (fields.length === 1 && fields[0] === "") continue;
      if (fields.length !== head.length)
        throw new InputError(file, [
          { path: `line ${line}`, message: `expected ${head.length} fields, got ${fields.length}` },
        ]);
      const row: Record<string, string> = {};
      head.forEach((h, i) => {
        row[h] = fields[i];
      });
      yield { row, at: `line ${line}` };
    }
  } catch (e) {
    if (e instanceof CsvBroken) throw new InputError(file, [{ path: `line ${e.line}`, message: e.message }]);
    throw e;
  }
  if (head === null)
    throw new InputError(file, [{ path: "line 1", message: "empty file, expected a header" }]);
}

/** The JSON values of a file: one for .json, one per non-empty line for JSON lines. */
export function* jsonDocuments(file: string, kind: FileKind): Generator<{ value: unknown; at: string }> {
  if (kind === "json") {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new InputError(file, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
    }
    yield { value, at: "" };
    return;
  }
  const reader = new LineReader(file);
  try {
    for (let line = reader.next(), n = 1; line !== null; line = reader.next(), n++) {
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new InputError(file, [
          { path: `line ${n}`, message: `malformed JSON: ${(e as Error).message.split("\n")[0]}` },
        ]);
      }
      yield { value, at: `line ${n}` };
    }
  } finally {
    reader.close();
  }
}
