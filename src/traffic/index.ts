/** Opens the traffic a scenario describes: synthetic generators or a trace reader. */
import { InputError } from "../errors.js";
import type { RoutedRequest, Traffic } from "../types.js";
import type { BodyFor } from "./request.js";
import { SyntheticTraffic, type TrafficSource } from "./synthetic.js";

export type { BodyFor } from "./request.js";
export type { TrafficSource } from "./synthetic.js";

export type TraceOpener = (
  trace: Record<string, unknown>,
  traffic: Traffic,
  baseDir: string,
  seed: number,
  file: string,
  bodies?: BodyFor,
) => TrafficSource;

let traceOpener: TraceOpener | null = null;

/** Installs the trace reader (kept pluggable so the synthetic path has no file-format dependencies). */
export function setTraceOpener(open: TraceOpener): void {
  traceOpener = open;
}

/**
 * Opens the scenario's traffic. With `bodies`, every request also carries the body a policy sends
 * for its model (a RoutedRequest, ready for `Router.arrive`), so no per-request copy is needed.
 */
export function openTraffic(traffic: Traffic, baseDir: string, seed: number, file: string): TrafficSource;
export function openTraffic(
  traffic: Traffic,
  baseDir: string,
  seed: number,
  file: string,
  bodies: BodyFor,
): TrafficSource<RoutedRequest>;
export function openTraffic(
  traffic: Traffic,
  baseDir: string,
  seed: number,
  file: string,
  bodies?: BodyFor,
): TrafficSource {
  if (traffic.trace) {
    if (!traceOpener)
      throw new InputError(file, [
        { path: "traffic.trace", message: "trace replay is not available in this build" },
      ]);
    return traceOpener(traffic.trace, traffic, baseDir, seed, file, bodies);
  }
  // A run of 0 requests is no result: say why now rather than report a "successful" empty run.
  if (new SyntheticTraffic(traffic, seed, undefined, file).next() === null)
    throw new InputError(file, [
      {
        path: traffic.duration_s !== undefined ? "traffic.duration_s" : "traffic.arrivals.schedule",
        message: `no request arrives${traffic.duration_s !== undefined ? ` within duration_s = ${traffic.duration_s} s` : " before the schedule's rate drops to 0"} (seed ${seed}); lengthen it or raise the rate`,
      },
    ]);
  return new SyntheticTraffic(traffic, seed, bodies, file);
}
