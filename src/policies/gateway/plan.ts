/**
 * Request plans that grow while the request is in flight.
 *
 * Gateways such as LiteLLM and Portkey decide their next attempt only after seeing the previous one
 * (cooldowns, status-dependent retries, fallbacks). The router executes a decision's `candidates`
 * lazily: it reads the list (and `delaysMs`) again after every failed attempt, after calling
 * `policy.observe`. A policy that owns the arrays can therefore append the next step in `observe`
 * and simply not append anything to stop. `test/policies/gateway/end-to-end.test.ts` pins this contract.
 */

import type { AttemptRecord } from "../../types.js";
import { errorType } from "../errors.js";
import type { Decision, FinalError } from "../types.js";

interface OpenPlan {
  readonly candidates: number[];
  readonly delaysMs: number[];
  /** Per-step timeouts, once any step sets one (earlier steps then get the default). */
  timeoutsMs: number[] | null;
}

export class PlanBook {
  private readonly open = new Map<number, OpenPlan>();

  /** With a default timeout, plans carry `timeoutsMs` and steps may set their own. */
  constructor(private readonly defaultTimeoutMs?: number) {}

  /**
   * Starts a request's plan with its first attempt. `timeoutMs` sets this step's timer (Infinity =
   * none); a book made with `defaultTimeoutMs` gives every plan per-step timeouts.
   */
  begin(requestId: number, endpoint: number, delayMs = 0, timeoutMs?: number): Decision {
    const timed = timeoutMs !== undefined || this.defaultTimeoutMs !== undefined;
    const p: OpenPlan = {
      candidates: [endpoint],
      delaysMs: [delayMs],
      timeoutsMs: timed ? [timeoutMs ?? this.defaultTimeoutMs!] : null,
    };
    this.open.set(requestId, p);
    return p.timeoutsMs
      ? { kind: "route", candidates: p.candidates, delaysMs: p.delaysMs, timeoutsMs: p.timeoutsMs }
      : { kind: "route", candidates: p.candidates, delaysMs: p.delaysMs };
  }

  /** Appends the next attempt of an open plan. */
  extend(requestId: number, endpoint: number, delayMs: number, timeoutMs?: number): void {
    const p = this.open.get(requestId);
    if (!p) throw new Error(`no open plan for request ${requestId}`);
    p.candidates.push(endpoint);
    p.delaysMs.push(delayMs);
    if (p.timeoutsMs) p.timeoutsMs.push(timeoutMs ?? this.defaultTimeoutMs!);
    else if (timeoutMs !== undefined)
      throw new Error("PlanBook: a per-step timeout needs a book made with defaultTimeoutMs");
  }

  isOpen(requestId: number): boolean {
    return this.open.has(requestId);
  }

  /** Ends a plan (the request succeeded, committed, or the gateway gives up). */
  close(requestId: number): void {
    this.open.delete(requestId);
  }

  /** Plans still open (for tests: every request must close its plan). */
  get size(): number {
    return this.open.size;
  }
}

/** True when the attempt ends the request regardless of the gateway (success or mid-stream failure). */
export function isTerminal(a: AttemptRecord): boolean {
  return a.status === 200 || a.error === "mid_stream";
}

/** The status of the last attempt as the client sees it from a self-hosted gateway (timeouts stay 408). */
export function lastStatusError(attempts: readonly AttemptRecord[]): FinalError {
  if (attempts.length === 0) return { status: 404, code: "no_endpoints" };
  const s = attempts[attempts.length - 1].status;
  return { status: s, code: errorType(s) };
}

/** A gateway model that decides the status of a request it ended (Portkey, nginx). */
export interface EndsRequests {
  /** The status it answers a failed request with; undefined if its walk did not end. */
  takeStatus(requestId: number): number | undefined;
  /** Drops a request the router stopped early (router.max_attempts). */
  abandon(requestId: number): void;
}

/** `finalError` for such a gateway: its own status, else (stopped early) the last attempt's. */
export function gatewayFinalError(g: EndsRequests): (attempts: readonly AttemptRecord[]) => FinalError {
  return (attempts) => {
    if (attempts.length === 0) return lastStatusError(attempts);
    const id = attempts[0].requestId;
    const status = g.takeStatus(id);
    if (status !== undefined) return { status, code: errorType(status) };
    g.abandon(id);
    return lastStatusError(attempts);
  };
}
