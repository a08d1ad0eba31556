/**
 * The event kernel: a simulated clock and a binary heap of pending events, ordered by
 * (time, insertion sequence). It knows nothing about providers or requests.
 *
 * Events are callbacks registered once (`handler`) and scheduled with one numeric argument, so the
 * hot path allocates nothing: the heap lives in typed arrays and an event is four numbers.
 * Two events at the same instant always run in the order they were scheduled.
 */

import { storeAsDoubles } from "./doubles.js";

/** `now` is passed only to a handler declared with two parameters (see `handler`). */
export type Handler = (arg: number, now: number) => void;

/** A handler declared with no parameter reads its argument from `Simulator.eventArg`. */
export type NoArgHandler = () => void;

// A module constant: read in `run` once per run, a global lookup would have no type feedback there.
const FOREVER = Number.POSITIVE_INFINITY;

export class Simulator {
  /** Current simulated time in milliseconds. */
  now = 0;
  /** Events executed so far. */
  executed = 0;
  /**
   * The argument of the event running now. A handler that takes none reads it here: passing an
   * argument beyond the small-integer range (±2^31) to a call boxes it, an allocation per event.
   */
  eventArg = 0;

  // The heap orders (time, slot) pairs; an event's sequence number, handler and argument stay put
  // in its slot, so a sift moves two numbers instead of four. Slots are recycled through `free`.
  private times: Float64Array;
  private slots: Int32Array;
  private seqs: Float64Array;
  private kinds: Int32Array;
  private args: Float64Array;
  private free: Int32Array;
  private freeCount: number;
  private size = 0;
  private nextSeq = 0;
  private handlers: Handler[] = [];
  /** The parameters each handler declares (0, 1 or 2): `arg` and `now` are passed only if asked. */
  private arity: number[] = [];
  private stopped = false;
  // The source lane: at most one pending event kept outside the heap, for a stream that schedules
  // its next event only when the previous one fires (arrivals). It takes a sequence number like any
  // event, so the order is exactly that of scheduling it on the heap, minus a push and a pop.
  private laneTime = FOREVER;
  private laneSeq = 0;
  private laneKind = -1;
  private laneArg = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity);
    this.times = new Float64Array(cap);
    this.slots = new Int32Array(cap);
    this.seqs = new Float64Array(cap);
    this.kinds = new Int32Array(cap);
    this.args = new Float64Array(cap);
    this.free = new Int32Array(cap);
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i;
    this.freeCount = cap;
  }

  /**
   * Registers a callback and returns its id for `schedule`. A callback declared with one parameter
   * gets only `arg` (it reads `now` from the simulator if it needs it); one declared with none gets
   * nothing and reads `eventArg`.
   */
  handler(fn: Handler | NoArgHandler): number {
    this.handlers.push(fn as Handler);
    this.arity.push(Math.min(fn.length, 2));
    return this.handlers.length - 1;
  }

  /** Number of pending events. */
  get pending(): number {
    return this.size + (this.laneKind >= 0 ? 1 : 0);
  }

  /** Schedules handler `kind` with `arg` at absolute time `time` (ms). Past times are a bug. */
  schedule(time: number, kind: number, arg = 0): void {
    if (!(time >= this.now)) {
      throw new Error(`Simulator.schedule: time ${time} is before now ${this.now} (or NaN)`);
    }
    if (this.freeCount === 0) this.grow();
    const slot = this.free[--this.freeCount];
    const seq = this.nextSeq++;
    const seqs = this.seqs;
    seqs[slot] = seq;
    this.kinds[slot] = kind;
    this.args[slot] = arg;
    const times = this.times;
    const slots = this.slots;
    let i = this.size++;
    // Sift up.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p];
      if (pt < time || (pt === time && seqs[slots[p]] < seq)) break;
      times[i] = pt;
      slots[i] = slots[p];
      i = p;
    }
    times[i] = time;
    slots[i] = slot;
  }

  /**
   * Schedules handler `kind` on the source lane, which holds one event at a time: use it for a
   * stream whose next event is scheduled when the previous one runs (traffic arrivals). Ordering
   * is the same as `schedule` (time, then sequence); it only saves the heap work.
   */
  scheduleSource(time: number, kind: number, arg = 0): void {
    if (!(time >= this.now)) {
      throw new Error(`Simulator.scheduleSource: time ${time} is before now ${this.now} (or NaN)`);
    }
    if (this.laneKind >= 0)
      throw new Error("Simulator.scheduleSource: the source lane already holds an event");
    this.laneTime = time;
    this.laneSeq = this.nextSeq++;
    this.laneKind = kind;
    this.laneArg = arg;
  }

  /** Schedules after a delay from now. */
  after(delay: number, kind: number, arg = 0): void {
    this.schedule(this.now + delay, kind, arg);
  }

  /** Stops `run` after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Runs events until the queue is empty, `until` is passed, or `stop()` is called. With a finite
   * `until` and no stop, the clock ends at `until` even if the queue ran dry earlier.
   */
  run(until = FOREVER): void {
    this.stopped = false;
    this.loop(until);
    // Reaching `until` (whether or not events remain) means the clock reads `until`.
    if (!this.stopped && until !== FOREVER && this.now < until) this.now = until;
  }

  // The loop is its own function so that its compiled code holds nothing that runs once per run
  // (such code has no type feedback, and the next run in the process would discard the compiled
  // loop there: resetting `stopped` here did, in about half the second runs on a loaded machine);
  // `run` itself stays uncompiled.
  private loop(until: number): void {
    while (!this.stopped && this.fire(until)) {}
  }

  /** Executes exactly one event; returns false when none is pending. */
  step(): boolean {
    return this.fire(FOREVER);
  }

  /** Runs the next event if it is due by `until`; false when there is none. */
  private fire(until: number): boolean {
    let t: number;
    let kind: number;
    let arg: number;
    if (this.laneKind >= 0 && (this.size === 0 || this.laneFirst())) {
      t = this.laneTime;
      if (t > until) return false;
      kind = this.laneKind;
      arg = this.laneArg;
      this.laneKind = -1;
      this.laneTime = FOREVER;
    } else {
      if (this.size === 0) return false;
      t = this.times[0];
      if (t > until) return false;
      const slot = this.slots[0];
      kind = this.kinds[slot];
      arg = this.args[slot];
      this.free[this.freeCount++] = slot;
      this.popRoot();
    }
    this.now = t;
    this.eventArg = arg;
    this.executed++;
    const arity = this.arity[kind];
    if (arity === 0) (this.handlers[kind] as NoArgHandler)();
    else if (arity === 1) (this.handlers[kind] as (arg: number) => void)(arg);
    else this.handlers[kind](arg, t);
    return true;
  }

  /** Time of the next event, or Infinity. */
  peekTime(): number {
    return Math.min(this.laneTime, this.size > 0 ? this.times[0] : FOREVER);
  }

  /** Whether the lane's event comes before the heap's root (the heap is not empty). */
  private laneFirst(): boolean {
    const t = this.laneTime;
    const r = this.times[0];
    return t < r || (t === r && this.laneSeq < this.seqs[this.slots[0]]);
  }

  /** Removes the root: the last entry sifts down from the top. */
  private popRoot(): void {
    const n = --this.size;
    if (n === 0) return;
    const times = this.times;
    const slots = this.slots;
    const seqs = this.seqs;
    const t = times[n];
    const slot = slots[n];
    const s = seqs[slot];
    let i = 0;
    const half = n >> 1;
    while (i < half) {
      // The earlier child: its time is read once and carried into the comparison with `t`.
      let c = (i << 1) | 1;
      let ct = times[c];
      const r = c + 1;
      if (r < n) {
        const rt = times[r];
        if (rt < ct || (rt === ct && seqs[slots[r]] < seqs[slots[c]])) {
          c = r;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && s < seqs[slots[c]])) break;
      times[i] = ct;
      slots[i] = slots[c];
      i = c;
    }
    times[i] = t;
    slots[i] = slot;
  }

  private grow(): void {
    const old = this.times.length;
    const cap = old * 2;
    const f64 = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.times = f64(this.times);
    this.slots = i32(this.slots);
    this.seqs = f64(this.seqs);
    this.kinds = i32(this.kinds);
    this.args = f64(this.args);
    // Every old slot is in use (grow runs when none is free): the new ones are free.
    this.free = new Int32Array(cap);
    for (let i = 0; i < old; i++) this.free[i] = cap - 1 - i;
    this.freeCount = old;
  }
}
storeAsDoubles(new Simulator(16), ["now", "eventArg"]);
