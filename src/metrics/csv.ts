/**
 * Buffered CSV output: rows are joined into large chunks and written synchronously, so memory stays
 * flat however many rows a run produces. Numbers are formatted deterministically.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";

const BUF_SIZE = 1 << 20;

export class CsvWriter {
  private fd: number;
  // Rows are encoded straight into one reusable byte buffer: row strings die young (cheap
  // minor GCs) instead of piling up in an array until the next flush.
  private buf = Buffer.allocUnsafe(BUF_SIZE);
  private used = 0;
  rows = 0;

  constructor(path: string, header: readonly string[]) {
    this.fd = openSync(path, "w");
    this.line(header.join(","));
  }

  /** Writes one pre-formatted line (fields already escaped). */
  line(s: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit, plus the newline.
    if (this.used + 3 * s.length + 1 > BUF_SIZE) {
      this.flush();
      if (3 * s.length + 1 > BUF_SIZE) {
        writeSync(this.fd, `${s}\n`);
        return;
      }
    }
    this.used += this.buf.write(s, this.used);
    this.buf[this.used++] = 10;
  }

  row(fields: readonly (string | number)[]): void {
    this.rows++;
    this.line(fields.map(field).join(","));
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * A field: strings are quoted when they need it; numbers printed as is (NaN → empty). A string
 * a spreadsheet would run as a formula (leading = + - @ tab CR, or their fullwidth forms, as
 * csv-stringify's `escape_formulas`) gets a leading ', and so does one that starts with ', so
 * that `unfield` restores every string exactly. Numbers stay numeric (-5 is written -5).
 */
export function field(v: string | number): string {
  if (typeof v === "number") return v === v ? String(v) : "";
  const s = FORMULA_START.test(v) ? `'${v}` : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20']/;

/** The string `field` wrote, from its parsed cell: undoes the formula guard. */
export function unfield(cell: string): string {
  return cell.charCodeAt(0) === 39 ? cell.slice(1) : cell;
}

/** Milliseconds with microsecond resolution, deterministic text. */
export function ms(v: number): string {
  if (v !== v) return "";
  const k = Math.round(v * 1000);
  if (k > 0 && k < 1e15) {
    // Integer arithmetic gives the same text as (k / 1000).toString() (the shortest round-trip
    // form of a value with at most three decimals), without double-to-string conversion.
    const i = Math.floor(k / 1000);
    const f = k - i * 1000;
    if (f === 0) return `${i}`;
    if (f % 100 === 0) return `${i}.${f / 100}`;
    if (f % 10 === 0) return `${i}.${f < 100 ? "0" : ""}${f / 10}`;
    return `${i}.${f < 10 ? "00" : f < 100 ? "0" : ""}${f}`;
  }
  return (k / 1000).toString();
}

/** USD with 12 significant digits (enough for micro-cent costs, stable text). */
export function usd(v: number): string {
  if (v === 0) return "0";
  // Costs repeat (same endpoint, same token counts): remember the last conversion.
  if (v !== lastUsd) {
    lastUsd = v;
    lastUsdText = Number(v.toPrecision(12)).toString();
  }
  return lastUsdText;
}
let lastUsd = 0;
let lastUsdText = "0";

/**
 * Parses CSV text that routesim wrote (RFC 4180: quoted fields may hold commas, quotes and
 * newlines) into records, or at the first broken quote the 1-based line it began. Cells are raw:
 * apply `unfield` to get the strings `field` was given.
 */
export function parseCsv(text: string): { records: string[][] } | { brokenAtLine: number } {
  const records: string[][] = [];
  let rec: string[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  if (n === 0) return { records };
  for (;;) {
    let cell: string;
    if (text.charCodeAt(i) === 34) {
      const startLine = line;
      cell = "";
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { brokenAtLine: startLine };
        const part = text.slice(i, q);
        for (let k = part.indexOf("\n"); k >= 0; k = part.indexOf("\n", k + 1)) line++;
        cell += part;
        if (text.charCodeAt(q + 1) === 34) {
          cell += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const c = text.charCodeAt(i);
      if (i < n && c !== 44 && c !== 10 && !(c === 13 && text.charCodeAt(i + 1) === 10))
        return { brokenAtLine: startLine };
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44 || c === 10) break;
        j++;
      }
      cell = text.slice(i, j);
      if (cell.endsWith("\r") && text.charCodeAt(j) === 10) cell = cell.slice(0, -1);
      i = j;
    }
    rec.push(cell);
    if (i >= n) {
      records.push(rec);
      return { records };
    }
    if (text.charCodeAt(i) === 13) i++;
    if (text.charCodeAt(i) === 44) i++;
    else {
      // End of a record (a newline); a trailing newline ends the text.
      i++;
      line++;
      records.push(rec);
      rec = [];
      if (i >= n) return { records };
    }
  }
}

/**
 * The records of a CSV file routesim wrote, streamed in chunks (memory stays flat for a
 * million-row requests.csv). A line with an odd number of quotes continues a quoted field.
 * Yields the record (cells as `field` got them: `unfield` applied) and its 1-based first line;
 * throws the line of a broken quote.
 */
export function* csvRecords(path: string): Generator<{ fields: string[]; line: number }> {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  let rest = "";
  let pending = "";
  let quotes = 0;
  let line = 0;
  let first = 0;
  const dec = new TextDecoder();
  const take = (l: string): { fields: string[]; line: number } | null => {
    line++;
    if (pending === "") first = line;
    pending = pending === "" ? l : `${pending}\n${l}`;
    for (let i = l.indexOf('"'); i >= 0; i = l.indexOf('"', i + 1)) quotes++;
    if (quotes % 2 === 1) return null;
    const text = pending.endsWith("\r") ? pending.slice(0, -1) : pending;
    pending = "";
    quotes = 0;
    const p = parseCsv(text);
    if (!("records" in p)) throw new CsvBroken(first + p.brokenAtLine - 1);
    return { fields: (p.records[0] ?? [""]).map(unfield), line: first };
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, BUF_SIZE, null);
      const text = n > 0 ? dec.decode(buf.subarray(0, n), { stream: true }) : dec.decode();
      const lines = (rest + text).split("\n");
      rest = lines.pop() ?? "";
      for (const l of lines) {
        const r = take(l);
        if (r) yield r;
      }
      if (n === 0) break;
    }
    if (rest !== "") {
      const r = take(rest);
      if (r) yield r;
    }
    if (pending !== "") throw new CsvBroken(first);
  } finally {
    closeSync(fd);
  }
}

/** A quoted field that never closes, at this 1-based line. */
export class CsvBroken extends Error {
  constructor(readonly line: number) {
    super(`unterminated quoted field starting on line ${line}`);
  }
}
