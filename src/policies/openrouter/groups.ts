/**
 * The R25/R93 health groups of the load balancer's latest endpoint list, kept from request to
 * request: between two requests only the one or two endpoints that recorded an attempt usually
 * change group, so classifying all of them each time (20 health reads per request on
 * OpenRouter-20) mostly recomputes the same answer. Needs the view's change log
 * (`HealthView.recordCount`); the groups are exactly what `healthClassOf` gives now.
 */
import type { Endpoint } from "../../types.js";
import type { HealthView } from "../types.js";
import type { OpenRouterConfig } from "./config.js";
import { uptimeClassOf } from "./stats.js";

/** Minute buckets of `HealthView.window` (its promise with a change log). */
const BUCKET_MS = 60_000;

export class HealthGroups {
  /** Bit i set: `list[i]` is normal (m0) or degraded (m1); neither: down or unstable. */
  m0 = 0;
  m1 = 0;
  private list: readonly Endpoint[] | null = null;
  private h: HealthView | null = null;
  /** Records of `h` already applied. */
  private seen = 0;
  private now = Number.NEGATIVE_INFINITY;
  /** Uptime window's first and last minute bucket at the last update. */
  private from = Number.NaN;
  private to = Number.NaN;
  /**
   * At most the latest failure of every endpoint grouped down by the outage rule: while it is
   * still inside the outage window, all of them are (their latest failure changes only by a record).
   */
  private minFailure = Number.POSITIVE_INFINITY;
  /** By endpoint id: position in `indexed`, -1 = not in it. */
  private pos = new Int8Array(0);
  private indexed: readonly Endpoint[] | null = null;
  /** `indexed` names an endpoint twice: positions by id do not work, classify all each time. */
  private dup = false;

  constructor(private readonly cfg: OpenRouterConfig) {}

  /**
   * Sets m0/m1 for `list` (at most 32 endpoints, not changed in place between calls) on `h` at
   * `now`, `since` being the outage window's start; false (nothing set) when `h` has no change log
   * or the outage rule needs more than one failure (its count moves with time alone).
   */
  update(list: readonly Endpoint[], h: HealthView, now: number, since: number): boolean {
    const count = h.recordCount?.();
    if (count === undefined || this.cfg.outageMinFailures !== 1) return false;
    let all = list !== this.list || h !== this.h || now < this.now || this.minFailure < since;
    const t = this.cfg.uptimeTiers;
    if (t.enabled) {
      const from = Math.floor((now - t.windowMs) / BUCKET_MS);
      const to = Math.floor(now / BUCKET_MS);
      if (from !== this.from || to !== this.to) {
        this.from = from;
        this.to = to;
        all = true;
      }
    }
    if (!all) {
      // Indexed only once a list comes back: a list used once (or lists taking turns) costs no more
      // than classifying it.
      if (list !== this.indexed) this.index(list);
      all = this.dup;
    }
    if (!all) {
      const pos = this.pos;
      for (let k = this.seen; k < count; k++) {
        const e = h.recordedEndpoint?.(k) ?? -1;
        if (e < 0) {
          all = true; // more records than the log keeps
          break;
        }
        const i = e < pos.length ? pos[e] : -1;
        if (i >= 0) this.classify(i, e, h, since);
      }
    }
    if (all) this.classifyAll(list, h, since);
    this.seen = count;
    this.now = now;
    return true;
  }

  private classifyAll(list: readonly Endpoint[], h: HealthView, since: number): void {
    this.list = list;
    this.h = h;
    this.m0 = 0;
    this.m1 = 0;
    this.minFailure = Number.POSITIVE_INFINITY;
    for (let i = 0; i < list.length; i++) this.classify(i, list[i].id, h, since);
  }

  /** Regroups `list[i]` (endpoint `id`): `healthClassOf` with one failure making it unstable. */
  private classify(i: number, id: number, h: HealthView, since: number): void {
    const bit = 1 << i;
    this.m0 &= ~bit;
    this.m1 &= ~bit;
    const last = h.lastFailureMs(id);
    if (last >= since) {
      if (last < this.minFailure) this.minFailure = last;
      return;
    }
    const c = uptimeClassOf(id, h, this.cfg.uptimeTiers);
    if (c === 0) this.m0 |= bit;
    else if (c === 1) this.m1 |= bit;
  }

  private index(list: readonly Endpoint[]): void {
    const old = this.indexed;
    let pos = this.pos;
    if (old !== null) for (const e of old) if (e.id < pos.length) pos[e.id] = -1;
    let max = -1;
    for (const e of list) if (e.id > max) max = e.id;
    if (max >= pos.length) {
      const grown = new Int8Array(Math.max(max + 1, 2 * pos.length)).fill(-1);
      grown.set(pos);
      pos = grown;
      this.pos = pos;
    }
    this.dup = false;
    for (let i = 0; i < list.length; i++) {
      const id = list[i].id;
      if (pos[id] >= 0) this.dup = true;
      pos[id] = i;
    }
    this.indexed = list;
  }
}
