/**
 * LiteLLM's deployment cooldowns (docs/gateways.md §1.4), modelled on router.py f292d1ae: the
 * default "v2" rules (per-deployment success and failure counters with a 60 s TTL) and the legacy
 * allowed_fails path (`failed_calls` per deployment). A cooled-down deployment is left out of
 * every pick until its cooldown ends.
 */
import type { AttemptRecord } from "../../types.js";
import type { RetryAfter } from "../gateway/retryafter.js";
import type { LiteConfig } from "./config.js";
import { errorClass, FAILS_FIELDS, firstSet } from "./errors.js";

const COUNTER_TTL_MS = 60_000;

/** §1.4 step 2: statuses that can lead to a cooldown. */
function cooldownEligible(status: number): boolean {
  if (status === 429 || status === 401 || status === 404 || status === 408) return true;
  return status < 400 || status >= 500;
}

/** Cooldown state of every deployment (by index in `cfg.deployments`). */
export class Cooldowns {
  /** When each deployment's cooldown ends (ms; −∞ when it never had one). */
  readonly until: Float64Array;
  /** Cooldown start times, for tests: [time, deployment index]. */
  readonly log: [number, number][] = [];
  // v2 counters (§1.4 step 1) and the v1 failed_calls counter (step 4).
  private readonly succ: Int32Array;
  private readonly succExp: Float64Array;
  private readonly fail: Int32Array;
  private readonly failExp: Float64Array;
  private readonly v1Fails: Int32Array;
  private readonly v1Exp: Float64Array;

  constructor(
    private readonly cfg: LiteConfig,
    /** Model group → its deployments' indices. */
    private readonly groups: ReadonlyMap<string, readonly number[]>,
    private readonly retryAfter: RetryAfter,
  ) {
    const n = cfg.deployments.length;
    this.until = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.succ = new Int32Array(n);
    this.succExp = new Float64Array(n);
    this.fail = new Int32Array(n);
    this.failExp = new Float64Array(n);
    this.v1Fails = new Int32Array(n);
    this.v1Exp = new Float64Array(n);
  }

  isCooledDown(d: number, now: number): boolean {
    return now < this.until[d];
  }

  /** `_async_get_healthy_deployments`: the group minus cooled-down deployments (what retry decisions count). */
  notCooled(group: string, now: number): number {
    let n = 0;
    for (const d of this.groups.get(group) ?? []) if (!this.isCooledDown(d, now)) n++;
    return n;
  }

  /** A successful call of deployment `d`. */
  succeeded(d: number, now: number): void {
    this.count(this.succ, this.succExp, d, now);
  }

  /** A failed call of deployment `d`: counts it, and starts a cooldown when the rules say so. */
  failed(d: number, a: AttemptRecord, now: number): void {
    if (a.error === "mid_stream" || !cooldownEligible(a.status)) return;
    // §1.1/§1.2: only disable_cooldowns turns cooldowns off (cooldown_time 0 is the default).
    if (this.cfg.disableCooldowns) return;
    const dep = this.cfg.deployments[d];
    const size = this.groups.get(dep.group)!.length;
    const cls = errorClass(a.status);
    let cool = false;
    if (this.cfg.v1) {
      // `get_allowed_fails_from_policy(e) or allowed_fails`: a per-class 0 falls back too.
      const limit = firstSet(this.cfg.v1.perClass, FAILS_FIELDS[cls]) || this.cfg.v1.allowedFails;
      const current = now < this.v1Exp[d] ? this.v1Fails[d] : 0;
      if (current + 1 > limit) cool = true;
      else {
        this.v1Fails[d] = current + 1;
        this.v1Exp[d] = now + this.cfg.cooldownS * 1000;
      }
    } else {
      this.count(this.fail, this.failExp, d, now);
      const s = now < this.succExp[d] ? this.succ[d] : 0;
      const f = this.fail[d];
      const total = s + f;
      if (a.status === 429 && size > 1) cool = true;
      else if (s === 0 && total >= 1000) cool = true;
      else if (size > 1 && total >= 5 && f / total > 0.5) cool = true;
      // litellm._should_retry (408, 409, 429, ≥ 500) without the router's 401/403 exceptions (§1.4 step 3).
      else if (!(a.status === 408 || a.status === 409 || a.status === 429 || a.status >= 500)) cool = true;
    }
    if (!cool) return;
    // Deployment value > Retry-After > router value; then `cooldown_time or default` (§1.1), and the
    // cache entry is overwritten, not extended.
    const ra = this.retryAfter(a);
    const secs = dep.cooldownS ?? (ra !== null ? ra / 1000 : this.cfg.cooldownS);
    this.until[d] = now + (secs || this.cfg.cooldownS) * 1000;
    this.log.push([now, d]);
  }

  /** Increments a counter whose 60 s TTL is re-set by every increment (§1.4 step 1 ⚠). */
  private count(c: Int32Array, exp: Float64Array, d: number, now: number): void {
    if (now >= exp[d]) c[d] = 0;
    c[d]++;
    exp[d] = now + COUNTER_TTL_MS;
  }
}
