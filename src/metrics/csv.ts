/**
 * Buffered CSV output: rows are joined into large chunks and written synchronously, so memory stays
 * flat however many rows a run produces. Numbers are formatted deterministically.
 */
import { closeSync, openSync, writeSync } from "node:fs";

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

/** A field: strings are quoted when they need it; numbers printed as is (NaN → empty). */
export function field(v: string | number): string {
  if (typeof v === "number") return v === v ? String(v) : "";
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
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
