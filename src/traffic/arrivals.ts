/**
 * Feeds a traffic source into the simulator. Only the next arrival is ever in the event queue, so a
 * trace of any length replays in constant memory.
 */
import type { Simulator } from "../sim/kernel.js";
import type { TrafficRequest } from "../types.js";
import type { TrafficSource } from "./synthetic.js";

/** Schedules every request of `traffic`; `arrive(req, n)` runs at its arrival with n = 1, 2, … */
export function scheduleArrivals<R extends TrafficRequest>(
  sim: Simulator,
  traffic: TrafficSource<R>,
  arrive: (req: R, n: number) => void,
): void {
  let pending = traffic.next();
  let arrived = 0;
  const h = sim.handler(() => {
    const req = pending!;
    pending = traffic.next();
    if (pending) sim.scheduleSource(Math.max(pending.arrivalMs, sim.now), h);
    arrive(req, ++arrived);
  });
  if (pending) sim.scheduleSource(pending.arrivalMs, h);
}
