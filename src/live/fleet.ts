/**
 * The scenario's mock providers on a wall clock: a `Simulator` + `ProviderFarm` (the simulator's own
 * provider model and seeded streams) whose clock is advanced to scaled wall time before every
 * submit and by a timer at the next pending event. The farm decides an attempt's whole course when
 * it starts (status, first token, end); the HTTP side (serve.ts) plays that course out on the wire.
 *
 * Live mode is the one place with a wall clock: it is injected (`now`), read only here and in the CLI.
 */
import type { LiveAttempt } from "../providers/farm.js";
import { ProviderFarm } from "../providers/farm.js";
import type { LoadedScenario } from "../scenario/load.js";
import { Simulator } from "../sim/kernel.js";
import { openTraffic } from "../traffic/index.js";
import type { TrafficSource } from "../traffic/synthetic.js";
import "../traffic/trace.js"; // registers the trace reader

/** What the farm decided for one attempt, in scenario milliseconds. */
export interface Course {
  readonly startMs: number;
  /** First token (absolute, scenario ms), or NaN when none comes. */
  readonly firstTokenMs: number;
  /** When the provider answers or the stream ends; Infinity = it hangs (timeout in the error mix). */
  readonly endMs: number;
  readonly status: number;
  readonly error: LiveAttempt["error"];
  readonly tokens: number;
  readonly retryAfterS: number;
}

export interface AttemptTicket {
  readonly endpoint: number;
  /** Numeric request id (the draws are keyed by it) and the try of this endpoint by this request. */
  readonly requestId: number;
  readonly tryKey: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Called once, when the farm has decided the attempt (at once, or when a queue slot frees). */
  readonly decided: (c: Course) => void;
}

/** One epoch of the fleet: a fresh farm whose clock starts at `t0` (wall ms). */
export class FleetEpoch {
  readonly sim = new Simulator(1024);
  readonly farm: ProviderFarm;
  private readonly waiting = new Set<LiveAttempt>();
  /** Attempts not yet ended, by ticket (for `cancel`). */
  private readonly live = new Map<AttemptTicket, LiveAttempt>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    loaded: LoadedScenario,
    readonly t0: number,
    readonly timeScale: number,
    private readonly now: () => number,
  ) {
    const s = loaded.scenario;
    this.farm = new ProviderFarm(this.sim, s.providers, s.outage_groups, s.seed, {
      attemptDone: (a) => this.done(a),
    });
  }

  /** Scenario time (ms) at wall time `wall`. */
  scenarioAt(wall: number): number {
    return Math.max(0, (wall - this.t0) * this.timeScale);
  }

  /** Wall time (ms) of scenario time `t`. */
  wallAt(t: number): number {
    return this.t0 + t / this.timeScale;
  }

  submit(t: AttemptTicket): void {
    this.advance();
    const a = this.farm.acquire();
    a.endpoint = t.endpoint;
    a.requestId = t.requestId;
    a.tryKey = t.tryKey;
    a.promptTokens = t.promptTokens;
    a.completionTokens = t.completionTokens;
    // The gateway keeps its own timers: the provider never gives up on an attempt.
    a.deadlineMs = Number.POSITIVE_INFINITY;
    a.timerScope = 0;
    a.ttftScale = 1;
    a.owner = t;
    a.attemptNo = 0;
    this.live.set(t, a);
    this.farm.submit(a);
    // Started at once (phase 2: its end is scheduled), or queued until a slot frees (phase 1).
    if (a.phase === 1) this.waiting.add(a);
    else this.decide(a);
    this.arm();
  }

  /** Runs the model up to now, then re-arms the timer for its next event. */
  advance(): void {
    if (this.closed) return;
    this.sim.run(this.scenarioAt(this.now()));
    for (const a of this.waiting) if (a.phase !== 1) this.decide(a);
    this.arm();
  }

  /** The gateway closed the call before it ended: the provider stops (or finishes, per on_cancel). */
  cancel(t: AttemptTicket): void {
    this.advance();
    const a = this.live.get(t);
    if (a === undefined) return; // already ended
    this.live.delete(t);
    this.waiting.delete(a);
    this.farm.cancel(a);
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private decide(a: LiveAttempt): void {
    this.waiting.delete(a);
    const t = a.owner as AttemptTicket;
    if (t === null) return;
    const firstTokenMs = a.ttftMs === a.ttftMs ? a.submitMs + a.ttftMs : Number.NaN;
    t.decided({
      startMs: a.submitMs,
      firstTokenMs,
      endMs: a.endMs,
      status: a.status,
      error: a.error,
      tokens: a.tokensOut,
      retryAfterS: a.retryAfterS,
    });
  }

  private done(a: LiveAttempt): void {
    // Decided and finished within one advance: tell the ticket before the attempt is recycled.
    if (this.waiting.has(a)) this.decide(a);
    this.live.delete(a.owner as AttemptTicket);
    this.farm.release(a);
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.sim.peekTime();
    if (!Number.isFinite(next)) return;
    const at = this.wallAt(next);
    if (this.timer !== null && at >= this.timerAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.advance();
      },
      Math.max(0, at - this.now()),
    );
  }
}

const MAX_LOOKUP = 10_000_000;

/** Sizes of the scenario's requests by id, read lazily from the same traffic stream the simulator uses. */
export class TrafficSizes {
  private readonly source: TrafficSource;
  private readonly sizes: { prompt: number; completion: number }[] = [];
  private ended = false;

  constructor(loaded: LoadedScenario) {
    const s = loaded.scenario;
    this.source = openTraffic(s.traffic, loaded.baseDir, s.seed, loaded.file);
  }

  get(id: number): { prompt: number; completion: number } | null {
    // Bounded by the traffic's own length (a scenario always says when to stop) and a cap.
    if (!Number.isSafeInteger(id) || id < 0 || id >= MAX_LOOKUP) return null;
    while (!this.ended && this.sizes.length <= id) {
      const r = this.source.next();
      if (r === null) this.ended = true;
      else this.sizes.push({ prompt: r.promptTokens, completion: r.completionTokens });
    }
    return this.sizes[id] ?? null;
  }
}
