/**
 * Trace replay: streams a trace file (azure-csv, mooncake-jsonl, generic csv / jsonl) as a
 * `TrafficSource`, in constant memory. Stages, in order:
 *   rows (file order) → reorder buffer (bounded by `reorder_window_ms`) → window (`start_s`,
 *   `duration_s`, trace time) → rebase (first replayed row at t = 0) × `time_scale` → rate
 *   scaling (seeded thinning / replicas with jitter) → `limit`.
 * Bad rows raise an InputError naming the file and line, or are skipped and counted.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../errors.js";
import { hashKey, Rng } from "../rng/rng.js";
import type { TraceSpec, Traffic, TrafficRequest } from "../types.js";
import { setTraceOpener } from "./index.js";
import { ModelMix } from "./model-mix.js";
import { type BodyFor, makeRequest } from "./request.js";
import type { TrafficSource } from "./synthetic.js";
import { type RowParser, rowParser, type TraceRow } from "./trace-formats.js";
import { LineReader, MinHeap } from "./trace-io.js";

interface Pending {
  readonly row: TraceRow;
  readonly arrivalMs: number;
  /** Replica number (0 = the original row). */
  readonly copy: number;
  readonly seq: number;
}

export class TraceTraffic implements TrafficSource {
  readonly expected: number | null;
  private reader: LineReader | null = null;
  private parse: RowParser = () => null;
  private readonly reorder = new MinHeap<TraceRow>((a, b) =>
    a.timeMs !== b.timeMs ? a.timeMs < b.timeMs : a.line < b.line,
  );
  private readonly out = new MinHeap<Pending>((a, b) =>
    a.arrivalMs !== b.arrivalMs ? a.arrivalMs < b.arrivalMs : a.seq < b.seq,
  );
  private readonly scaleRng: Rng;
  private readonly scaleKey: [number, number];
  private readonly mixRng: Rng;
  private readonly mix: ModelMix;
  private readonly windowMs: number;
  private readonly startMs: number;
  private readonly endMs: number;
  private maxSeen = Number.NEGATIVE_INFINITY;
  private maxSeenLine = 0;
  private lastSorted = Number.NEGATIVE_INFINITY;
  private firstTime: number | null = null;
  private base: number | null = null;
  private inputDone = false;
  private lastInputArrival = Number.NEGATIVE_INFINITY;
  private sortedIndex = 0;
  private seq = 0;
  private id = 0;
  private skippedRows = 0;

  constructor(
    private readonly spec: TraceSpec,
    traffic: Traffic,
    readonly path: string,
    seed: number,
    /** When given, each request also carries its body (see `openTraffic`). */
    private readonly bodies?: BodyFor,
  ) {
    // Check the header now (bad input fails before any output), stream from a fresh reader later.
    this.openReader().close();
    this.reader = null;
    this.scaleRng = new Rng(seed, "trace", "rate_scale");
    this.scaleKey = hashKey([seed, "trace", "rate_scale", "keyed"]);
    this.mixRng = new Rng(seed, "trace", "model_mix");
    this.mix = new ModelMix(traffic);
    this.windowMs = spec.reorder_window_ms;
    this.startMs = spec.start_s * 1000;
    this.endMs =
      spec.duration_s !== undefined ? this.startMs + spec.duration_s * 1000 : Number.POSITIVE_INFINITY;
    this.expected = spec.limit ?? null;
  }

  private openReader(): LineReader {
    const reader = new LineReader(this.path);
    try {
      this.parse = rowParser(this.spec, reader);
    } catch (e) {
      reader.close();
      throw e;
    }
    this.reader = reader;
    return reader;
  }

  get skipped(): number {
    return this.skippedRows;
  }

  next(): TrafficRequest | null {
    if (this.spec.limit !== undefined && this.id >= this.spec.limit) return this.finish();
    // Input rows arrive in time order after the reorder stage, and replicas only move later, so
    // anything in `out` at or before the latest input arrival is final.
    while (!this.inputDone && (this.out.size === 0 || this.out.peek()!.arrivalMs > this.lastInputArrival)) {
      this.pullInput();
    }
    const p = this.out.pop();
    if (!p) return this.finish();
    return this.toRequest(p);
  }

  private finish(): null {
    this.reader?.close();
    return null;
  }

  /** Stops reading (the file is closed). */
  close(): void {
    this.reader?.close();
    this.reader = null;
  }

  private toRequest(p: Pending): TrafficRequest {
    const r = p.row;
    const model = r.model ?? this.mix.pick(this.mixRng);
    const session = r.session !== undefined && p.copy > 0 ? `${r.session}#${p.copy}` : r.session;
    // A replica stands for another user, so its bodies are its own (like its sessions).
    const key = r.bodyHash !== undefined && p.copy > 0 ? `${r.bodyHash}#${p.copy}` : r.bodyHash;
    return makeRequest(
      this.id++,
      p.arrivalMs,
      r.promptTokens,
      r.completionTokens,
      model,
      session,
      r.priority,
      this.bodies?.bodyFor(model),
      key,
    );
  }

  /** Moves one sorted, windowed row into the output heap (with its replicas), or ends the input. */
  private pullInput(): void {
    const row = this.nextSorted();
    if (row === null) {
      this.inputDone = true;
      return;
    }
    if (this.firstTime === null) this.firstTime = row.timeMs;
    const rel = row.timeMs - this.firstTime;
    if (rel < this.startMs) return;
    if (rel >= this.endMs) {
      this.inputDone = true; // rows are sorted from here on: nothing later can be in the window
      return;
    }
    if (this.base === null) this.base = rel;
    const arrival = (rel - this.base) * this.spec.time_scale;
    this.lastInputArrival = arrival;
    const k = this.sortedIndex++;
    const scale = this.spec.rate_scale;
    let copies = 1;
    if (scale !== 1) {
      const rng = this.scaleRng;
      rng.reseed(this.scaleKey, k, 1);
      const whole = Math.floor(scale);
      copies = whole + (rng.next() < scale - whole ? 1 : 0);
    }
    for (let c = 0; c < copies; c++) {
      let t = arrival;
      if (c > 0) {
        this.scaleRng.reseed(this.scaleKey, k, 2, c);
        t += this.scaleRng.next() * this.spec.jitter_ms;
      }
      this.out.push({ row, arrivalMs: t, copy: c, seq: this.seq++ });
    }
  }

  /** The next row in time order, through the bounded reorder buffer. */
  private nextSorted(): TraceRow | null {
    for (;;) {
      const top = this.reorder.peek();
      if (top && top.timeMs <= this.maxSeen - this.windowMs) return this.popSorted();
      const row = this.nextRow();
      if (row === null) return this.reorder.size > 0 ? this.popSorted() : null;
      if (row.timeMs < this.lastSorted) {
        this.bad(
          row.line,
          `timestamp is ${(this.lastSorted - row.timeMs).toFixed(3)} ms earlier than a row already replayed (more out of order than reorder_window_ms = ${this.windowMs})`,
        );
        continue;
      }
      // Also before anything was replayed: a row far earlier than one already read would otherwise
      // become the first and shift the whole trace.
      if (row.timeMs < this.maxSeen - this.windowMs) {
        this.bad(
          row.line,
          `timestamp is ${(this.maxSeen - row.timeMs).toFixed(3)} ms earlier than line ${this.maxSeenLine}'s (more out of order than reorder_window_ms = ${this.windowMs})`,
        );
        continue;
      }
      if (row.timeMs > this.maxSeen) this.maxSeenLine = row.line;
      if (row.timeMs > this.maxSeen) this.maxSeen = row.timeMs;
      this.reorder.push(row);
    }
  }

  private popSorted(): TraceRow {
    const row = this.reorder.pop()!;
    this.lastSorted = row.timeMs;
    return row;
  }

  /** The next parsed row in file order (bad rows raise or are counted), or null at the end. */
  private nextRow(): TraceRow | null {
    const reader = this.reader ?? this.openReader();
    for (;;) {
      const line = reader.next();
      if (line === null) return null;
      const r = this.parse(line, reader.lineNo);
      if (r === null) continue;
      if (typeof r === "string") {
        this.bad(reader.lineNo, r);
        continue;
      }
      return r;
    }
  }

  private bad(line: number, message: string): void {
    if (this.spec.on_bad_row === "skip") {
      this.skippedRows++;
      return;
    }
    this.reader?.close();
    throw new InputError(this.path, [{ path: `line ${line}`, message }]);
  }
}

/** Opens a scenario's trace: checks the file and the model settings, then streams it. */
export function openTrace(
  spec: TraceSpec,
  traffic: Traffic,
  baseDir: string,
  seed: number,
  file: string,
  bodies?: BodyFor,
) {
  const path = resolve(baseDir, spec.path);
  if (!existsSync(path))
    throw new InputError(file, [{ path: "traffic.trace.path", message: `trace file not found: ${path}` }]);
  if (!statSync(path).isFile())
    throw new InputError(file, [
      { path: "traffic.trace.path", message: `not a regular file (a directory?): ${path}` },
    ]);
  const hasModelColumn = "columns" in spec && spec.columns.model !== undefined;
  if (!hasModelColumn && traffic.model === undefined && traffic.model_mix === undefined)
    throw new InputError(file, [
      {
        path: "traffic.model",
        message: "expected model or model_mix: the trace has no model column",
      },
    ]);
  // A run of 0 requests is no result: say why now (empty, every row skipped or outside the window).
  const probe = new TraceTraffic(spec, traffic, path, seed);
  const first = probe.next();
  probe.close();
  if (first === null)
    throw new InputError(file, [
      {
        path: "traffic.trace",
        message: `no request to replay from ${path}: ${probe.skipped > 0 ? `all ${probe.skipped} row(s) skipped as bad` : "no data rows in the file, or none within start_s / duration_s"}`,
      },
    ]);
  return new TraceTraffic(spec, traffic, path, seed, bodies);
}

setTraceOpener((_trace, traffic, baseDir, seed, file, bodies) =>
  openTrace(traffic.trace!, traffic, baseDir, seed, file, bodies),
);
