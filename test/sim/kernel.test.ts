import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Simulator } from "../../src/sim/kernel.js";

/** Schedules (time, label) pairs up front and returns the labels in execution order. */
function runOrder(events: readonly (readonly [number, number])[], capacity = 16): number[] {
  const sim = new Simulator(capacity);
  const seen: number[] = [];
  const h = sim.handler((arg) => seen.push(arg));
  for (const [t, label] of events) sim.schedule(t, h, label);
  sim.run();
  return seen;
}

describe("Simulator", () => {
  it("passes `now` only to a handler that declares it", () => {
    const sim = new Simulator();
    const seen: unknown[][] = [];
    const one = sim.handler(function (this: unknown, _arg: number) {
      // biome-ignore lint/complexity/noArguments: the test is about what the kernel passes
      seen.push([...arguments, sim.now]);
    });
    const two = sim.handler((arg, now) => seen.push([arg, now]));
    sim.schedule(1.5, one, 7);
    sim.schedule(2.5, two, 8);
    sim.run();
    expect(seen).toEqual([
      [7, 1.5],
      [8, 2.5],
    ]);
  });

  it("passes nothing to a handler that declares no parameter: it reads eventArg", () => {
    const sim = new Simulator();
    const seen: unknown[][] = [];
    const none = sim.handler(function (this: unknown) {
      // biome-ignore lint/complexity/noArguments: the test is about what the kernel passes
      seen.push([arguments.length, sim.eventArg, sim.now]);
    });
    // An attempt tag past the small-integer range, and a fraction: both come back exactly.
    const tag = 5 + 300 * 16_777_216;
    sim.schedule(1, none, tag);
    sim.schedule(2, none, 0.25);
    sim.scheduleSource(3, none, 9);
    sim.run();
    expect(seen).toEqual([
      [0, tag, 1],
      [0, 0.25, 2],
      [0, 9, 3],
    ]);
  });

  it("runs events in time order and advances the clock to each event", () => {
    const sim = new Simulator();
    const log: [number, number][] = [];
    const h = sim.handler((arg, now) => log.push([arg, now]));
    for (const t of [50, 10, 30, 20, 40]) sim.schedule(t, h, t);
    sim.run();
    expect(log).toEqual([
      [10, 10],
      [20, 20],
      [30, 30],
      [40, 40],
      [50, 50],
    ]);
    expect(sim.now).toBe(50);
    expect(sim.executed).toBe(5);
    expect(sim.pending).toBe(0);
  });

  it("breaks ties by insertion order, even for thousands of events at one instant", () => {
    const n = 5000;
    const events = Array.from({ length: n }, (_, i) => [7, i] as const);
    expect(runOrder(events)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("keeps ties in insertion order when interleaved with other times", () => {
    const events: [number, number][] = [];
    for (let i = 0; i < 300; i++) events.push([i % 3, i]);
    const order = runOrder(events);
    const expected = [...events].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((e) => e[1]);
    expect(order).toEqual(expected);
  });

  it("grows past its initial capacity without losing or reordering events", () => {
    const events: [number, number][] = [];
    for (let i = 0; i < 10_000; i++) events.push([(i * 7919) % 1000, i]);
    const order = runOrder(events, 16);
    expect(order).toHaveLength(10_000);
    const expected = [...events].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((e) => e[1]);
    expect(order).toEqual(expected);
  });

  it("lets handlers schedule new events, including at the current instant (after pending ties)", () => {
    const sim = new Simulator();
    const log: string[] = [];
    const hB = sim.handler((arg) => log.push(`b${arg}`));
    const hA = sim.handler((arg) => {
      log.push(`a${arg}`);
      sim.schedule(sim.now, hB, arg); // same instant: runs after events already queued at this time
      sim.after(5, hB, arg + 10);
    });
    sim.schedule(1, hA, 1);
    sim.schedule(1, hB, 0);
    sim.run();
    expect(log).toEqual(["a1", "b0", "b1", "b11"]);
    expect(sim.now).toBe(6);
  });

  it("run(until) stops before later events and moves the clock to `until`", () => {
    const sim = new Simulator();
    const seen: number[] = [];
    const h = sim.handler((arg) => seen.push(arg));
    for (const t of [1, 5, 10, 15]) sim.schedule(t, h, t);
    sim.run(10);
    expect(seen).toEqual([1, 5, 10]);
    expect(sim.now).toBe(10);
    expect(sim.pending).toBe(1);
    sim.run(12);
    expect(sim.now).toBe(12);
    expect(seen).toEqual([1, 5, 10]);
    sim.run();
    expect(seen).toEqual([1, 5, 10, 15]);
    expect(sim.now).toBe(15);
    sim.run(100); // nothing left: the clock still moves to `until`
    expect(sim.now).toBe(100);
  });

  it("stop() ends run after the current event; a later run resumes", () => {
    const sim = new Simulator();
    const seen: number[] = [];
    const h = sim.handler((arg) => {
      seen.push(arg);
      if (arg === 2) sim.stop();
    });
    for (let t = 1; t <= 4; t++) sim.schedule(t, h, t);
    sim.run();
    expect(seen).toEqual([1, 2]);
    expect(sim.now).toBe(2);
    sim.run();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it("step() executes exactly one event and reports when none is left", () => {
    const sim = new Simulator();
    const seen: number[] = [];
    const h = sim.handler((arg) => seen.push(arg));
    sim.schedule(3, h, 3);
    sim.schedule(2, h, 2);
    expect(sim.peekTime()).toBe(2);
    expect(sim.step()).toBe(true);
    expect(seen).toEqual([2]);
    expect(sim.now).toBe(2);
    expect(sim.step()).toBe(true);
    expect(sim.step()).toBe(false);
    expect(seen).toEqual([2, 3]);
    expect(sim.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it("refuses to schedule in the past or at NaN", () => {
    const sim = new Simulator();
    const h = sim.handler(() => {});
    sim.schedule(10, h);
    sim.run();
    expect(() => sim.schedule(9.999, h)).toThrow(/before now/);
    expect(() => sim.schedule(Number.NaN, h)).toThrow(/before now/);
    expect(() => sim.after(-1, h)).toThrow(/before now/);
    expect(() => sim.schedule(10, h)).not.toThrow();
  });

  it("property: pops are sorted by time and stable with respect to insertion order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        (times, cap) => {
          const events = times.map((t, i) => [t / 4, i] as const);
          const order = runOrder(events, cap);
          const expected = [...events].sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((e) => e[1]);
          expect(order).toEqual(expected);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });

  it("property: interleaved schedule/step keeps (time, seq) order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 10 })), { maxLength: 300 }),
        (ops) => {
          const sim = new Simulator(16);
          const popped: [number, number][] = [];
          const h = sim.handler((arg, now) => popped.push([now, arg]));
          let seq = 0;
          for (const [pop, dt] of ops) {
            if (pop) sim.step();
            else sim.schedule(sim.now + dt, h, seq++);
          }
          while (sim.step());
          expect(popped).toHaveLength(seq);
          for (let i = 1; i < popped.length; i++) {
            const [t0] = popped[i - 1];
            const [t1] = popped[i];
            expect(t1).toBeGreaterThanOrEqual(t0);
          }
          // Among events at the same time, smaller seq first.
          const byTime = new Map<number, number[]>();
          for (const [t, s] of popped) byTime.set(t, [...(byTime.get(t) ?? []), s]);
          for (const seqs of byTime.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  describe("source lane", () => {
    /**
     * A source that schedules its next event when the current one runs (gaps may be 0), and
     * handlers that schedule follow-ups at random delays (0 included, for ties): run once with the
     * source on the lane and once on the heap; the execution order must be the same.
     */
    function trace(gaps: readonly number[], delays: readonly number[], lane: boolean): string[] {
      const sim = new Simulator(4);
      const log: string[] = [];
      let k = 0;
      let j = 0;
      const follow = sim.handler((arg, now) => log.push(`f${arg}@${now}`));
      const src = sim.handler((arg, now) => {
        log.push(`s${arg}@${now}`);
        if (j < delays.length) sim.schedule(now + delays[j], follow, j++);
        if (k < gaps.length) {
          const at = now + gaps[k++];
          if (lane) sim.scheduleSource(at, src, arg + 1);
          else sim.schedule(at, src, arg + 1);
        }
      });
      if (lane) sim.scheduleSource(0, src, 0);
      else sim.schedule(0, src, 0);
      sim.run();
      return log;
    }

    it("property: runs in exactly the order the same events would run from the heap", () => {
      const small = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 200 });
      fc.assert(
        fc.property(small, small, (gaps, delays) => {
          const onLane = trace(gaps, delays, true);
          expect(onLane).toEqual(trace(gaps, delays, false));
          expect(onLane).toHaveLength(gaps.length + 1 + Math.min(delays.length, gaps.length + 1));
        }),
        { numRuns: 300, seed: 11 },
      );
    });

    it("counts in pending and peekTime, works with step() and run(until), holds one event", () => {
      const sim = new Simulator();
      const seen: number[] = [];
      const h = sim.handler((arg) => seen.push(arg));
      sim.schedule(20, h, 2);
      sim.scheduleSource(10, h, 1);
      expect(sim.pending).toBe(2);
      expect(sim.peekTime()).toBe(10);
      expect(() => sim.scheduleSource(15, h, 9)).toThrow(/already holds/);
      expect(sim.step()).toBe(true);
      expect(seen).toEqual([1]);
      sim.scheduleSource(30, h, 3);
      sim.run(25);
      expect(seen).toEqual([1, 2]);
      expect(sim.now).toBe(25);
      expect(sim.pending).toBe(1);
      sim.run();
      expect(seen).toEqual([1, 2, 3]);
      expect(sim.pending).toBe(0);
      expect(() => sim.scheduleSource(5, h)).toThrow(/before now/);
    });
  });
});
