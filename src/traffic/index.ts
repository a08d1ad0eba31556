/** Opens the traffic a scenario describes: synthetic generators or a trace reader. */
import { InputError } from "../scenario/errors.js";
import type { Traffic } from "../scenario/schema.js";
import { SyntheticTraffic, type TrafficSource } from "./synthetic.js";

export type { TrafficSource } from "./synthetic.js";

export type TraceOpener = (
  trace: Record<string, unknown>,
  traffic: Traffic,
  baseDir: string,
  seed: number,
  file: string,
) => TrafficSource;

let traceOpener: TraceOpener | null = null;

/** Installs the trace reader (kept pluggable so the synthetic path has no file-format dependencies). */
export function setTraceOpener(open: TraceOpener): void {
  traceOpener = open;
}

export function openTraffic(traffic: Traffic, baseDir: string, seed: number, file: string): TrafficSource {
  if (traffic.trace) {
    if (!traceOpener)
      throw new InputError(file, [
        { path: "traffic.trace", message: "trace replay is not available in this build" },
      ]);
    return traceOpener(traffic.trace, traffic, baseDir, seed, file);
  }
  return new SyntheticTraffic(traffic, seed);
}
