/**
 * Synthetic traffic, generated lazily one request at a time: Poisson, bursty gamma renewal or evenly
 * spaced arrivals, optionally shaped by a rate schedule (piecewise / diurnal) and a flash crowd
 * (by thinning), with token sizes, a model mix and optional session ids. Each concern draws from its
 * own stream, so the traffic is identical for every policy.
 */
import { InputError } from "../errors.js";
import { MAX_TOKENS } from "../limits.js";
import { compileDist, type Sampler } from "../rng/distributions.js";
import { Rng } from "../rng/rng.js";
import type { Arrivals, Traffic, TrafficRequest } from "../types.js";
import { ModelMix } from "./model-mix.js";
import { estimatedPromptTokens } from "./prompt-estimate.js";
import { type BodyFor, RequestPool } from "./request.js";

/** A stream of requests in non-decreasing arrival time. */
export interface TrafficSource<R extends TrafficRequest = TrafficRequest> {
  next(): R | null;
  /** Total requests if known in advance (for progress bars). */
  readonly expected: number | null;
  /** Rows skipped as bad (trace readers with on_bad_row: skip). */
  readonly skipped?: number;
  /** Where finished requests may be handed back for reuse (sources that refill them). */
  readonly pool?: RequestPool;
}

/**
 * Rate over time from a schedule and flash crowd; `max` bounds it for thinning; `endMs` is when it
 * drops to zero for good (a piecewise schedule ending at rate 0), Infinity otherwise.
 */
export function rateShape(arrivals: Arrivals): { rate: (tMs: number) => number; max: number; endMs: number } {
  const base = arrivals.rate_per_s;
  const sch = arrivals.schedule;
  const fc = arrivals.flash_crowd;
  let schedRate: (t: number) => number = () => base;
  let schedMax = base;
  let endMs = Number.POSITIVE_INFINITY;
  if (sch?.kind === "piecewise") {
    const pts = sch.points;
    const last = pts[pts.length - 1];
    if (last.rate_per_s === 0) {
      // Linear: the rate reaches 0 at the last point, which may itself follow earlier zeros.
      let k = pts.length - 1;
      while (k > 0 && pts[k - 1].rate_per_s === 0) k--;
      endMs = pts[k].at_s * 1000;
    }
    schedMax = Math.max(base, ...pts.map((p) => p.rate_per_s));
    schedRate = (t) => {
      const s = t / 1000;
      if (s < pts[0].at_s) return base;
      let i = 0;
      while (i + 1 < pts.length && pts[i + 1].at_s <= s) i++;
      if (sch.interpolate === "linear" && i + 1 < pts.length) {
        const a = pts[i];
        const b = pts[i + 1];
        return a.rate_per_s + ((s - a.at_s) / (b.at_s - a.at_s)) * (b.rate_per_s - a.rate_per_s);
      }
      return pts[i].rate_per_s;
    };
  } else if (sch?.kind === "diurnal") {
    schedMax = base * (1 + sch.amplitude);
    schedRate = (t) =>
      base * (1 + sch.amplitude * Math.sin((2 * Math.PI * (t / 1000 + sch.phase_s)) / sch.period_s));
  }
  if (!fc) return { rate: schedRate, max: schedMax, endMs };
  const start = fc.start_s * 1000;
  const end = start + fc.duration_s * 1000;
  const ramp = fc.ramp_s * 1000;
  const mult = (t: number): number => {
    if (t < start || t >= end) return 1;
    let f = 1;
    if (ramp > 0) f = Math.min(1, (t - start) / ramp, (end - t) / ramp);
    return 1 + (fc.multiplier - 1) * f;
  };
  return { rate: (t) => schedRate(t) * mult(t), max: schedMax * Math.max(1, fc.multiplier), endMs };
}

/** Candidate arrivals drawn (thinned or stepped over) for one request before giving up. */
const MAX_TRIES = 10_000_000;

export class SyntheticTraffic implements TrafficSource {
  readonly expected: number | null;
  private readonly arrivalsRng: Rng;
  private readonly sizesRng: Rng;
  private readonly mixRng: Rng;
  private readonly sessionRng: Rng;
  /** R106 repeats: decided on their own stream, after every other draw (CRN); null when off. */
  private readonly repeats: Repeats | null;
  private readonly prompt: Sampler;
  private readonly completion: Sampler;
  private readonly gap: Sampler | null;
  private readonly shape: { rate: (t: number) => number; max: number; endMs: number };
  private readonly mix: ModelMix;
  private readonly limitMs: number;
  private readonly shaped: boolean;
  /** `prompt_tokens_from: body`: sizes still drawn (the stream stays aligned), then replaced. */
  private readonly fromBody: boolean;
  private t = 0;
  /** The arrival `nextArrival` drew (NaN first: a double field from the start). */
  private arrival = Number.NaN;
  private id = 0;
  readonly pool = new RequestPool();

  constructor(
    private readonly spec: Traffic,
    seed: number,
    /** When given, each request also carries its body (see `openTraffic`). */
    private readonly bodies?: BodyFor,
    /** The scenario file, named when the arrival process cannot produce a request. */
    private readonly file = "<scenario>",
  ) {
    const arrivals = spec.arrivals;
    if (!arrivals) throw new Error("SyntheticTraffic needs traffic.arrivals");
    this.arrivalsRng = new Rng(seed, "arrivals");
    this.sizesRng = new Rng(seed, "sizes");
    this.mixRng = new Rng(seed, "model_mix");
    this.sessionRng = new Rng(seed, "sessions");
    this.repeats = spec.repeats
      ? new Repeats(spec.repeats.share, spec.repeats.window_s * 1000, new Rng(seed, "repeats"))
      : null;
    this.prompt = compileDist(spec.prompt_tokens);
    this.completion = compileDist(spec.completion_tokens);
    this.shape = rateShape(arrivals);
    this.shaped = arrivals.schedule !== undefined || arrivals.flash_crowd !== undefined;
    this.fromBody = spec.prompt_tokens_from === "body" && bodies !== undefined;
    const meanGapMs = 1000 / this.shape.max;
    this.gap =
      arrivals.process === "poisson"
        ? compileDist({ dist: "exponential", mean: meanGapMs })
        : arrivals.process === "gamma"
          ? compileDist({ dist: "gamma", mean: meanGapMs, cv: arrivals.cv })
          : null;
    this.mix = new ModelMix(spec);
    this.limitMs = spec.duration_s !== undefined ? spec.duration_s * 1000 : Number.POSITIVE_INFINITY;
    this.expected =
      spec.requests ??
      (spec.duration_s !== undefined && !this.shaped
        ? Math.round(spec.duration_s * arrivals.rate_per_s)
        : null);
  }

  /**
   * Draws the next arrival time into `arrival` (Infinity when none can come): written, not
   * returned, as a number returned from a call V8 did not inline is boxed (an allocation).
   */
  private nextArrival(): void {
    const rng = this.arrivalsRng;
    const end = Math.min(this.limitMs, this.shape.endMs);
    let tries = 0;
    if (this.gap === null) {
      // Evenly spaced at the current rate (schedule applies directly, no randomness); while the
      // rate is 0, step through time in seconds without emitting.
      for (;;) {
        if (++tries > MAX_TRIES) this.stuck();
        const r = this.shape.rate(this.t);
        this.t += r > 0 ? 1000 / r : 1000;
        if (r > 0 || this.t >= end) {
          this.arrival = this.t >= this.shape.endMs ? Number.POSITIVE_INFINITY : this.t;
          return;
        }
      }
    }
    for (;;) {
      if (++tries > MAX_TRIES) this.stuck();
      this.t += this.gap.sample(rng);
      // Past the end of a schedule that stays at 0, no arrival can ever come.
      if (this.t >= this.shape.endMs) {
        this.arrival = Number.POSITIVE_INFINITY;
        return;
      }
      if (!this.shaped || rng.next() * this.shape.max < this.shape.rate(this.t) || this.t > this.limitMs) {
        this.arrival = this.t;
        return;
      }
    }
  }

  /** A run must end: a schedule far below its peak for ages would thin candidates forever. */
  private stuck(): never {
    throw new InputError(this.file, [
      {
        path: "traffic.arrivals.schedule",
        message: `no arrival after ${MAX_TRIES} candidate arrivals at t = ${(this.t / 1000).toFixed(0)} s: the rate stays too far below its peak for too long (raise the low rates or end the schedule with rate 0)`,
      },
    ]);
  }

  next(): TrafficRequest | null {
    if (this.spec.requests !== undefined && this.id >= this.spec.requests) return null;
    if (this.gap === null && this.id === 0) this.arrival = 0;
    else this.nextArrival();
    const t = this.arrival;
    if (t >= this.limitMs) return null;
    const sizes = this.sizesRng;
    // Capped (limits.ts): a heavy tail must not draw a request beyond any context window.
    let promptTokens = Math.min(MAX_TOKENS, Math.max(1, Math.round(this.prompt.sample(sizes))));
    const completionTokens = Math.min(MAX_TOKENS, Math.max(0, Math.round(this.completion.sample(sizes))));
    const model = this.mix.pick(this.mixRng);
    const s = this.spec.sessions;
    let session: string | undefined;
    if (s && this.sessionRng.next() < s.share) session = `s${this.sessionRng.int(s.count)}`;
    if (this.repeats !== null) return this.withRepeat(t, promptTokens, completionTokens, model, session);
    const body = this.bodies?.bodyFor(model);
    if (this.fromBody) promptTokens = estimatedPromptTokens(body!) ?? promptTokens;
    return this.pool.make(this.id++, t, promptTokens, completionTokens, model, session, body, undefined);
  }

  /** The request as drawn, or (with probability `share`) a copy of an earlier one in the window. */
  private withRepeat(
    t: number,
    promptTokens: number,
    completionTokens: number,
    model: string,
    session: string | undefined,
  ): TrafficRequest {
    const id = this.id++;
    const r = this.repeats!.next(t, { promptTokens, completionTokens, model, session, key: `b${id}` });
    const body = this.bodies?.bodyFor(r.model);
    const prompt = this.fromBody ? (estimatedPromptTokens(body!) ?? r.promptTokens) : r.promptTokens;
    return this.pool.make(id, t, prompt, r.completionTokens, r.model, r.session, body, r.key);
  }
}

interface Drawn {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly model: string;
  readonly session: string | undefined;
  /** The body key: the id of the first request with this body. */
  readonly key: string;
}

/** The look-back window of earlier requests a repeat copies from (uniformly). */
class Repeats {
  private readonly times: number[] = [];
  private readonly drawn: Drawn[] = [];
  private head = 0;
  constructor(
    private readonly share: number,
    private readonly windowMs: number,
    private readonly rng: Rng,
  ) {}

  next(t: number, fresh: Drawn): Drawn {
    // Drop requests older than the window (the arrays are compacted once half is dead).
    while (this.head < this.times.length && this.times[this.head] < t - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times.splice(0, this.head);
      this.drawn.splice(0, this.head);
      this.head = 0;
    }
    const n = this.times.length - this.head;
    const repeat = this.rng.next() < this.share && n > 0;
    const r = repeat ? this.drawn[this.head + this.rng.int(n)] : fresh;
    this.times.push(t);
    this.drawn.push(r);
    return r;
  }
}
