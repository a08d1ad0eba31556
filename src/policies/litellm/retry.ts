/**
 * LiteLLM's retry and fallback plan for one request (docs/gateways.md §1.2), modelled on router.py
 * f292d1ae: `async_function_with_retries` (one retry refusal check after the first failure, a fixed
 * retry count, a backoff sleep after every failed retry, the last one included) and
 * `async_function_with_fallbacks` (generic, context-window and content-policy lists). A step may
 * end without a provider call ("No deployments available", a zero-weight shuffle): it still counts
 * as a retry and is followed by its sleep.
 */
import type { Rng } from "../../rng/rng.js";
import type { Endpoint, RoutedRequest } from "../../types.js";
import type { ErrorClass, LiteConfig } from "./config.js";
import type { Cooldowns } from "./cooldown.js";
import { CONTEXT_WINDOW, firstSet, type LiteError, RETRY_FIELDS } from "./errors.js";
import type { Strategy } from "./strategy.js";

// litellm/constants.py: INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, JITTER (seconds).
const INITIAL_RETRY_DELAY_S = 0.5;
const MAX_RETRY_DELAY_S = 8;
const JITTER_S = 0.75;

/** Where a request stands inside its current model group (`async_function_with_retries`). */
type Phase =
  | { readonly kind: "first" }
  /** Retry `k` of `of` is next. */
  | { readonly kind: "retry"; readonly k: number; readonly of: number }
  /** The group raised its original error: fallbacks next, or the end. */
  | { readonly kind: "raised" };

export interface RequestState {
  readonly req: RoutedRequest;
  group: string;
  phase: Phase;
  /** Sleep before the next step (ms); taken as a `DEFERRED` step's delay. */
  waitMs: number;
  /** The current group's first exception: its class fixes the retry count, its Retry-After every sleep. */
  first: LiteError | null;
  /** The primary group's original exception: what the client gets if every group fails. */
  primary: LiteError | null;
  /** Fallback groups once the primary group raised; null while still in the primary. */
  chain: readonly string[] | null;
  chainPos: number;
  /** Deployment of the attempt handed to the router and not yet observed, or -1. */
  current: number;
  /** Draws made for this request (keys the generator). */
  draws: number;
}

/** What to do next for a request. */
export type Step =
  | { readonly kind: "call"; readonly deployment: number }
  | { readonly kind: "wait"; readonly ms: number }
  | { readonly kind: "end"; readonly error: LiteError };

/** §1.2 `_should_retry`: 408, 409, 429, ≥ 500 (401 only with several deployments; 403 is retried). */
function retryableStatus(status: number, groupSize: number): boolean {
  if (status === 408 || status === 409 || status === 429 || status >= 500 || status === 403) return true;
  return status === 401 && groupSize > 1;
}

/** Plays requests forward through their groups' retries and fallbacks (one per router). */
export class Retries {
  constructor(
    private readonly cfg: LiteConfig,
    private readonly catalog: readonly Endpoint[],
    /** Model group → its deployments' indices. */
    private readonly groups: ReadonlyMap<string, readonly number[]>,
    private readonly cooldowns: Cooldowns,
    private readonly strategy: Strategy,
    /** The router's generator, reseeded per request and draw (the backoff jitter). */
    private readonly rng: Rng,
    private readonly key: [number, number],
  ) {}

  /** One pick for the request's current group: a deployment, or the error raised without a provider call. */
  private tryGroup(st: RequestState, now: number, rng: Rng): number | LiteError {
    const d = this.strategy.pick(st.group, st.req, now, rng);
    if (typeof d !== "number") return d;
    const tokens = st.req.promptTokens + st.req.completionTokens;
    return this.catalog[this.cfg.deployments[d].endpoint].contextLength < tokens ? CONTEXT_WINDOW : d;
  }

  /**
   * The group's first call failed with `e` (a provider error or a failed pick). Runs
   * `should_retry_this_error` once (§1.2 "when a retry is refused"), then reads retry_policy: the
   * retry count is fixed here and nothing is re-checked inside the retry loop.
   */
  firstFailed(st: RequestState, e: LiteError, now: number): void {
    st.first = e;
    if (st.chain === null) st.primary = e;
    const size = this.groups.get(st.group)!.length;
    const healthy = this.cooldowns.notCooled(st.group, now);
    const c = this.cfg;
    const refused =
      !retryableStatus(e.status, size) ||
      e.cls === "not_found" ||
      (e.cls === "context_window" && c.contextWindowFallbacks !== null) ||
      (e.cls === "content_policy" && c.contentPolicyFallbacks !== null) ||
      (e.cls === "auth" && size <= 1) ||
      healthy <= 0;
    const n = refused ? 0 : (firstSet(c.retryPolicy, RETRY_FIELDS[e.cls]) ?? c.numRetries);
    if (n <= 0) {
      st.phase = { kind: "raised" };
      return;
    }
    st.phase = { kind: "retry", k: 1, of: n };
    st.waitMs = this.sleepMs(st, n, n, healthy);
  }

  /** Retry k failed (a provider error or a failed pick): sleep, then retry k + 1, or raise after the last. */
  retryFailed(st: RequestState, now: number): void {
    const p = st.phase;
    if (p.kind !== "retry") throw new Error(`retry failed outside the retry loop (${p.kind})`);
    // The loop passes remaining_retries = num_retries − current_attempt, so n = k − 1 (§1.2).
    st.waitMs = this.sleepMs(st, p.of - (p.k - 1), p.of, this.cooldowns.notCooled(st.group, now));
    st.phase = p.k < p.of ? { kind: "retry", k: p.k + 1, of: p.of } : { kind: "raised" };
  }

  /**
   * §1.2 retry delay, `_time_to_sleep_before_retry` and `_calculate_retry_after` (ms): 0 when the
   * group has several deployments and one is healthy; else Retry-After of the group's first
   * exception + jitter if 0 < it ≤ 60 s; else min(max(0.5 s·2^n, retry_after), 8 s) + jitter.
   */
  private sleepMs(st: RequestState, remaining: number, numRetries: number, healthy: number): number {
    if (this.groups.get(st.group)!.length !== 1 && healthy > 0) return 0;
    this.rng.reseed(this.key, st.req.id, ++st.draws);
    const jitter = JITTER_S * this.rng.next();
    const ra = st.first?.retryAfterMs ?? null;
    if (ra !== null && ra > 0 && ra <= 60_000) return ra + jitter * 1000;
    const backoff = INITIAL_RETRY_DELAY_S * 2 ** (numRetries - remaining);
    return (Math.min(Math.max(backoff, this.cfg.retryAfterS), MAX_RETRY_DELAY_S) + jitter) * 1000;
  }

  /**
   * `async_function_with_fallbacks_common_utils` on the primary group's original error: a
   * context-window or content-policy error uses its own list when that list is set (no entry for
   * the group: no fallback at all); otherwise the generic list, with `"*"` as the default entry.
   */
  private fallbacksFor(group: string, cls: ErrorClass): readonly string[] {
    const c = this.cfg;
    const specific =
      cls === "context_window"
        ? c.contextWindowFallbacks
        : cls === "content_policy"
          ? c.contentPolicyFallbacks
          : null;
    const list = specific ? specific.get(group) : (c.fallbacks.get(group) ?? c.fallbacks.get("*"));
    return (list ?? []).slice(0, c.maxFallbacks);
  }

  /** Plays the request forward from its phase until a provider call, a sleep, or the end. */
  next(st: RequestState, now: number, rng: Rng): Step {
    for (;;) {
      if (st.waitMs > 0) {
        const ms = st.waitMs;
        st.waitMs = 0;
        return { kind: "wait", ms };
      }
      const p = st.phase;
      if (p.kind === "raised") {
        const primary = st.primary!;
        if (st.chain === null) st.chain = this.fallbacksFor(st.group, primary.cls);
        if (st.chainPos >= st.chain.length) return { kind: "end", error: primary };
        st.group = st.chain[st.chainPos++];
        st.phase = { kind: "first" };
        st.first = null;
        continue;
      }
      const d = this.tryGroup(st, now, rng);
      if (typeof d === "number") return { kind: "call", deployment: d };
      if (p.kind === "first") this.firstFailed(st, d, now);
      else this.retryFailed(st, now);
    }
  }
}
