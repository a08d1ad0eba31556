/**
 * Low-level pieces of trace replay: a synchronous chunked line reader (the simulator pulls requests
 * with a synchronous `next()`, so async streams do not fit), a CSV field splitter, a datetime
 * parser and a small binary heap. Memory stays bounded by the chunk size and the longest line.
 */
import { closeSync, openSync, readSync } from "node:fs";

const CHUNK = 1 << 20;
const NL = 0x0a;

/** Reads a file line by line with `fs.readSync`, one 1 MiB chunk at a time. */
export class LineReader {
  private fd: number | null;
  private readonly chunk = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private end = 0;
  private carry: Buffer | null = null;
  private eof = false;
  /** 1-based number of the line last returned. */
  lineNo = 0;

  constructor(readonly file: string) {
    this.fd = openSync(file, "r");
  }

  /** The next line without its line ending, or null at the end of the file. */
  next(): string | null {
    for (;;) {
      if (this.pos < this.end) {
        const idx = this.chunk.indexOf(NL, this.pos);
        if (idx >= 0 && idx < this.end) {
          let line: string;
          if (this.carry) {
            line = Buffer.concat([this.carry, this.chunk.subarray(this.pos, idx)]).toString("utf8");
            this.carry = null;
          } else line = this.chunk.toString("utf8", this.pos, idx);
          this.pos = idx + 1;
          return this.emit(line);
        }
        // No newline in the rest of this chunk: keep the partial line and read on.
        const tail = Buffer.from(this.chunk.subarray(this.pos, this.end));
        this.carry = this.carry ? Buffer.concat([this.carry, tail]) : tail;
        this.pos = this.end;
      }
      if (this.eof) {
        if (this.carry && this.carry.length > 0) {
          const line = this.carry.toString("utf8");
          this.carry = null;
          return this.emit(line);
        }
        this.close();
        return null;
      }
      const n = this.fd === null ? 0 : readSync(this.fd, this.chunk, 0, CHUNK, null);
      this.pos = 0;
      this.end = n;
      if (n === 0) this.eof = true;
    }
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.eof = true;
  }

  private emit(line: string): string {
    this.lineNo++;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (this.lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    return line;
  }
}

/** Splits one CSV line (RFC 4180 quoting, no embedded newlines). Returns null on a broken quote. */
export function splitCsv(line: string): string[] | null {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < line.length && line[i] !== ",") return null;
    } else {
      const c = line.indexOf(",", i);
      field = line.slice(i, c < 0 ? line.length : c);
      i = c < 0 ? line.length : c;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
    if (i === line.length) {
      out.push("");
      return out;
    }
  }
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses `YYYY-MM-DD HH:MM:SS[.fffffff][Z|±hh:mm]` to whole milliseconds since the epoch plus the
 * fraction of a millisecond, kept apart so that 100 ns steps survive (a double holding epoch ms has
 * an ulp of ~0.2 µs). No zone means UTC; only differences between rows matter for replay.
 */
export function parseDateTime(s: string): { ms: number; frac: number } | null {
  const m = DATETIME.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, zone] = m;
  let t = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se);
  if (Number.isNaN(t) || +mo < 1 || +mo > 12 || +d < 1 || +d > 31 || +h > 23 || +mi > 59 || +se > 60)
    return null;
  let f = 0;
  if (frac) {
    const digits = frac.padEnd(9, "0");
    t += Number(digits.slice(0, 3));
    f = Number(digits.slice(3)) / 1e6;
  }
  if (zone && zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return { ms: t, frac: f };
}

/** A binary min-heap with a caller-supplied order. */
export class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const a = this.items;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
