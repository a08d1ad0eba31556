import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  activeOutage,
  OutageClock,
  type OutageSource,
  RandomOutageProcess,
  ScheduledOutages,
} from "../../src/providers/outages.js";

/** Two independent copies of the same sources (sources keep a cursor, so each query path needs its own). */
function sources(windows: readonly [number, number][], seed: number): () => OutageSource[] {
  return () => [
    new ScheduledOutages(
      windows.map(([start_s, duration_s]) => ({
        start_s,
        duration_s,
        status: 503 as const,
        error_rate: 1,
        latency_multiplier: 1,
      })),
      "p",
    ),
    new RandomOutageProcess(
      { mtbf_s: 30, duration_s: 5, status: 502, error_rate: 1, latency_multiplier: 1 },
      seed,
      "p",
    ),
  ];
}

describe("OutageClock", () => {
  it("property: answers exactly as activeOutage for queries in non-decreasing time", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 40 })), {
          maxLength: 6,
        }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 50, maxLength: 300 }),
        fc.integer({ min: 1, max: 1000 }),
        (windows, steps, seed) => {
          const make = sources(windows, seed);
          const clock = new OutageClock(make());
          const plain = make();
          let t = 0;
          for (const dt of steps) {
            t += dt;
            // The farm asks `quietAt` first and skips `at` when it says so, as here.
            const w = clock.quietAt(t) ? null : clock.at(t);
            expect(w).toEqual(activeOutage(plain, t));
          }
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });
});
