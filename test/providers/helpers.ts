/** A provider farm driven directly (no router): submit attempts at chosen times, collect results. */

import type { z } from "zod";
import { type LiveAttempt, ProviderFarm } from "../../src/providers/farm.js";
import { type OutageGroup, Provider } from "../../src/scenario/schema.js";
import { Simulator } from "../../src/sim/kernel.js";

export interface Result {
  requestId: number;
  endpoint: number;
  submitMs: number;
  endMs: number;
  ttftMs: number;
  status: number;
  error: string;
  tokensOut: number;
  prefilled: boolean;
}

export type ProviderInput = z.input<typeof Provider>;

export function provider(over: Partial<ProviderInput> & { name?: string }): Provider {
  return Provider.parse({
    name: "alpha",
    model: "m",
    price: { prompt: 1, completion: 2 },
    error_rate: 0,
    ...over,
  });
}

export interface Submission {
  atMs: number;
  endpoint?: number;
  requestId?: number;
  completionTokens?: number;
  timeoutMs?: number;
  /** A TimerScope value (default first token). */
  timerScope?: number;
}

/** Runs the submissions through a fresh farm and returns one result per submission, by index. */
export function runFarm(
  providers: readonly Provider[],
  subs: Iterable<Submission>,
  opts: { groups?: OutageGroup[]; seed?: number } = {},
): Result[] {
  const sim = new Simulator();
  const results: Result[] = [];
  const farm: ProviderFarm = new ProviderFarm(sim, providers, opts.groups ?? [], opts.seed ?? 1, {
    attemptDone: (a) => {
      results[a.owner as number] = {
        requestId: a.requestId,
        endpoint: a.endpoint,
        submitMs: a.submitMs,
        endMs: a.endMs,
        ttftMs: a.ttftMs,
        status: a.status,
        error: a.error,
        tokensOut: a.tokensOut,
        prefilled: a.prefilled,
      };
      farm.release(a);
    },
  });
  const queue: Submission[] = [...subs];
  const hSubmit = sim.handler((i) => {
    const s = queue[i];
    const a: LiveAttempt = farm.acquire();
    a.endpoint = s.endpoint ?? 0;
    a.requestId = s.requestId ?? i;
    a.tryKey = 0;
    a.promptTokens = 100;
    a.completionTokens = s.completionTokens ?? 0;
    a.deadlineMs = sim.now + (s.timeoutMs ?? Number.POSITIVE_INFINITY);
    a.timerScope = s.timerScope ?? 0;
    a.owner = i;
    a.attemptNo = 1;
    farm.submit(a);
  });
  queue.forEach((s, i) => {
    sim.schedule(s.atMs, hSubmit, i);
  });
  sim.run();
  if (results.filter(Boolean).length !== queue.length) throw new Error("farm lost an attempt");
  return results;
}

/** Submissions at a fixed spacing. */
export function every(stepMs: number, count: number, extra: Partial<Submission> = {}): Submission[] {
  return Array.from({ length: count }, (_, i) => ({ atMs: i * stepMs, ...extra }));
}
