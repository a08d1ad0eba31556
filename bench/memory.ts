/**
 * Peak RSS of trace replays with attempts.csv and requests.csv streamed to disk, at two sizes: a
 * generated Azure-format trace of N rows replayed through the perf model's providers
 * (bench/memory-child.ts). Constant memory means the figure does not grow with N. Each size runs in
 * a fresh process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeAzureTrace } from "./trace-file.js";

export interface MemoryRow {
  requests: number;
  maxRssMB: number;
  /** Live JS heap after a full GC at the end of the run. */
  liveHeapMB: number;
  wallMs: number;
  requestsPerSec: number;
  /** Bytes of CSV written. */
  outputMB: number;
  /** Size of the replayed trace file. */
  traceMB: number;
}

const CHILD = fileURLToPath(new URL("./memory-child.ts", import.meta.url));

export function memoryRun(requests: number): MemoryRow {
  const dir = mkdtempSync(join(tmpdir(), "routesim-mem-"));
  try {
    const out = join(dir, "out");
    const trace = join(dir, "trace.csv");
    writeAzureTrace(trace, requests);
    const traceMB = statSync(trace).size / 2 ** 20;
    const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, trace, out], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`memory run failed: ${r.stderr}`);
    rmSync(trace);
    const res = JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      requests: number;
      wallMs: number;
      maxRssMB: number;
      liveHeapMB: number;
    };
    let bytes = 0;
    for (const f of readdirSync(out)) bytes += statSync(join(out, f)).size;
    return {
      requests: res.requests,
      maxRssMB: res.maxRssMB,
      liveHeapMB: res.liveHeapMB,
      wallMs: res.wallMs,
      requestsPerSec: res.requests / (res.wallMs / 1000),
      outputMB: bytes / 2 ** 20,
      traceMB,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
