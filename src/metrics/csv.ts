/**
 * Buffered CSV output: rows are joined into large chunks and written synchronously, so memory stays
 * flat however many rows a run produces. Numbers are formatted deterministically.
 */
import { closeSync, openSync, writeSync } from "node:fs";

const FLUSH_AT = 1 << 20;

export class CsvWriter {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  rows = 0;

  constructor(path: string, header: readonly string[]) {
    this.fd = openSync(path, "w");
    this.line(header.join(","));
  }

  /** Writes one pre-formatted line (fields already escaped). */
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
    if (this.size >= FLUSH_AT) this.flush();
  }

  row(fields: readonly (string | number)[]): void {
    this.rows++;
    this.line(fields.map(field).join(","));
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, `${this.buf.join("\n")}\n`);
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A field: strings are quoted when they need it; numbers printed as is (NaN → empty). */
export function field(v: string | number): string {
  if (typeof v === "number") return v === v ? String(v) : "";
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Milliseconds with microsecond resolution, deterministic text. */
export function ms(v: number): string {
  return v === v ? (Math.round(v * 1000) / 1000).toString() : "";
}

/** USD with 12 significant digits (enough for micro-cent costs, stable text). */
export function usd(v: number): string {
  return v === 0 ? "0" : Number(v.toPrecision(12)).toString();
}
