import { describe, expect, it } from "vitest";
import { lastAttemptError } from "../../src/policies/errors.js";
import { DEFERRED, type Decision, type Policy, type RouterBehaviour } from "../../src/policies/types.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import type { Provider } from "../../src/scenario/schema.js";
import { Simulator } from "../../src/sim/kernel.js";
import type { AttemptRecord, Outcome } from "../../src/types.js";
import { provider } from "../providers/helpers.js";
import { testRouter } from "../support/router.js";

/** One request through a scripted policy; returns its attempts and outcome. */
function route(
  providers: Provider[],
  decision: Decision,
  behaviour: Partial<RouterBehaviour> = {},
  opts: { stream?: boolean; policy?: (sim: Simulator) => Partial<Policy> } = {},
): { attempts: AttemptRecord[]; outcome: Outcome; attemptRows: AttemptRecord[] } {
  const sim = new Simulator();
  const catalog = buildCatalog(providers);
  const policy: Policy = { name: "scripted", route: () => decision, ...opts.policy?.(sim) };
  const full: RouterBehaviour = {
    timeoutMs: 10_000,
    maxAttempts: Number.POSITIVE_INFINITY,
    onFailure: () => "next",
    finalError: lastAttemptError,
    ...behaviour,
  };
  const rows: AttemptRecord[] = [];
  let result: { attempts: AttemptRecord[]; outcome: Outcome } | null = null;
  const { router: r } = testRouter({
    sim,
    providers,
    catalog,
    policy,
    behaviour: full,
    observer: {
      attempt: (a) => rows.push(a),
      outcome: (_req, o, attempts) => {
        if (result) throw new Error("second outcome for one request");
        result = { attempts: [...attempts], outcome: o };
      },
    },
  });
  const h = sim.handler(() =>
    r.arrive({
      id: 0,
      arrivalMs: 1000,
      promptTokens: 1000,
      completionTokens: 500,
      model: "m",
      body: opts.stream ? { model: "m", stream: true } : { model: "m" },
    }),
  );
  sim.schedule(1000, h);
  sim.run();
  if (!result) throw new Error("no outcome");
  const done = result as { attempts: AttemptRecord[]; outcome: Outcome };
  return { ...done, attemptRows: rows };
}

const down = (name: string, status = 503) =>
  provider({ name, ttft_ms: 100, error_latency_ms: 50, outages: [{ start_s: 0, duration_s: 1e6, status }] });
const up = (name: string, over = {}) =>
  provider({ name, ttft_ms: 100, tokens_per_s: 100, price: { prompt: 1, completion: 2 }, ...over });

describe("Router", () => {
  it("falls back through candidates; only the served attempt is billed", () => {
    const { attempts, outcome } = route([down("a"), down("b", 502), up("c")], {
      kind: "route",
      candidates: [0, 1, 2],
    });
    expect(attempts.map((a) => [a.endpoint.tag, a.status, a.attempt])).toEqual([
      ["a", 503, 1],
      ["b", 502, 2],
      ["c", 200, 3],
    ]);
    expect(attempts.map((a) => a.costUsd)).toEqual([0, 0, (1000 * 1 + 500 * 2) / 1e6]);
    expect(outcome).toMatchObject({ kind: "served", attempts: 3, costUsd: 0.002 });
    // 2 × 50 ms failures, then 100 ms TTFT and 5 s of tokens.
    expect(outcome.latencyMs).toBeCloseTo(5200, 9);
    expect(outcome.ttftMs).toBeCloseTo(200, 9);
  });

  it("a mid-stream failure ends the request: later candidates are never tried", () => {
    const { attempts, outcome } = route([up("a", { midstream_error_rate: 1 }), up("b")], {
      kind: "route",
      candidates: [0, 1],
    });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ status: 500, error: "mid_stream", costUsd: 0 });
    expect(outcome).toMatchObject({ kind: "failed", code: "mid_stream_error", attempts: 1 });
    expect(outcome.ttftMs).toBeCloseTo(100, 9);
  });

  it("max_attempts stops the fallbacks; the final error comes from the behaviour", () => {
    const { attempts, outcome } = route(
      [down("a"), down("b"), up("c")],
      { kind: "route", candidates: [0, 1, 2] },
      { maxAttempts: 2 },
    );
    expect(attempts).toHaveLength(2);
    expect(outcome).toMatchObject({ kind: "failed", status: 503, attempts: 2 });
  });

  it('"stop" ends the request at the first failure; "next_model" skips the rest of that model', () => {
    const stop = route(
      [down("a"), up("b")],
      { kind: "route", candidates: [0, 1] },
      { onFailure: () => "stop" },
    );
    expect(stop.attempts).toHaveLength(1);
    expect(stop.outcome.kind).toBe("failed");
    const ps = [down("a"), up("b"), up("c", { model: "other" })];
    const skip = route(ps, { kind: "route", candidates: [0, 1, 2] }, { onFailure: () => "next_model" });
    expect(skip.attempts.map((a) => a.endpoint.tag)).toEqual(["a", "c"]);
    expect(skip.outcome).toMatchObject({ kind: "served", attempts: 2 });
  });

  it("a per-attempt timeout gives 408 and moves on", () => {
    const { attempts, outcome } = route(
      [up("slow", { ttft_ms: 5000 }), up("b")],
      {
        kind: "route",
        candidates: [0, 1],
      },
      { timeoutMs: 1000 },
    );
    expect(attempts[0]).toMatchObject({ status: 408, error: "timeout", startMs: 1000, endMs: 2000 });
    expect(outcome).toMatchObject({ kind: "served", attempts: 2 });
  });

  it("a retry of the same endpoint is a fresh draw (keyed by try), and delays are honoured", () => {
    const { attempts } = route([up("a", { error_rate: 0.8, error_latency_ms: 10 })], {
      kind: "route",
      candidates: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      delaysMs: [0, 500, 500, 500, 500, 500, 500, 500, 500, 500],
    });
    expect(attempts.length).toBeGreaterThan(1); // this seed fails the first try
    expect(attempts.at(-1)?.status).toBe(200);
    for (let i = 1; i < attempts.length; i++)
      expect(attempts[i].startMs).toBeCloseTo(attempts[i - 1].endMs + 500, 9);
  });

  it("a rejection is one failed outcome with no attempts; no candidates fail with the behaviour's error", () => {
    const rej = route([up("a")], { kind: "reject", status: 400, code: "bad_request" });
    expect(rej.attempts).toEqual([]);
    expect(rej.outcome).toMatchObject({
      kind: "failed",
      status: 400,
      code: "bad_request",
      attempts: 0,
      latencyMs: 0,
    });
    const none = route([up("a")], { kind: "route", candidates: [] });
    expect(none.outcome).toMatchObject({ kind: "failed", status: 404, code: "no_endpoints", attempts: 0 });
  });
});

describe("Router: deferred plan steps (Policy.resolve)", () => {
  it("resolves a step when its delay has passed; -1 is a step without a provider call", () => {
    const calls: number[] = [];
    const { attempts, outcome } = route(
      [down("a"), up("b")],
      { kind: "route", candidates: [0, DEFERRED, DEFERRED], delaysMs: [0, 300, 700] },
      {},
      {
        policy: (sim) => ({
          resolve: () => {
            calls.push(sim.now);
            return calls.length === 1 ? -1 : 1;
          },
        }),
      },
    );
    // a fails at 1050; the first deferred step runs at 1350 and makes no call; the second at 2050.
    expect(calls).toEqual([1350, 2050]);
    expect(attempts.map((a) => [a.endpoint.tag, a.startMs])).toEqual([
      ["a", 1000],
      ["b", 2050],
    ]);
    expect(outcome).toMatchObject({ kind: "served", attempts: 2 });
  });

  it("a last step without a call ends the request then, with the behaviour's final error", () => {
    const { attempts, outcome } = route(
      [down("a")],
      { kind: "route", candidates: [0, DEFERRED], delaysMs: [0, 2000] },
      {},
      { policy: () => ({ resolve: () => -1 }) },
    );
    expect(attempts.length).toBe(1);
    // The gateway slept 2 s after the failure before giving the client its error.
    expect(outcome).toMatchObject({ kind: "failed", status: 503, attempts: 1, latencyMs: 2050 });
  });
});

describe("Router: what the timer measures (timeoutScope) and abandoned attempts (billsAbandoned)", () => {
  // TTFT 100 ms, 500 tokens at 100 tokens/s: first token at +100 ms, last at +5100 ms.
  const slow = () => [up("a")];
  const plan: Decision = { kind: "route", candidates: [0] };
  const scope = (s: "first_token" | "headers" | "response") => ({ streaming: s, nonStreaming: s });

  it("first_token: a slow decode is not a timeout", () => {
    const { outcome } = route(slow(), plan, { timeoutMs: 2000, timeoutScope: scope("first_token") });
    expect(outcome).toMatchObject({ kind: "served", latencyMs: 5100 });
  });

  it("response, plain read: times out at the deadline; the provider bills the prompt and 190 tokens", () => {
    const b = { timeoutMs: 2000, timeoutScope: scope("response") };
    const billed = route(slow(), plan, { ...b, billsAbandoned: true });
    expect(billed.attempts[0]).toMatchObject({
      status: 408,
      error: "timeout",
      endMs: 3000,
      completionTokens: 190,
    });
    expect(billed.attempts[0].ttftMs).toBeNaN(); // the client saw nothing
    // 1000 prompt tokens at $1/M + 190 generated at $2/M.
    expect(billed.attempts[0].costUsd).toBeCloseTo((1000 * 1 + 190 * 2) / 1e6, 15);
    expect(billed.outcome).toMatchObject({ kind: "failed" });
    expect((billed.outcome as { costUsd: number }).costUsd).toBeCloseTo(0.00138, 15);
    const free = route(slow(), plan, b);
    expect(free.attempts[0].costUsd).toBe(0);
    expect(free.outcome).toMatchObject({ kind: "failed", costUsd: 0 });
  });

  it("response, stream: the cut after the first token is committed (no fallback)", () => {
    const { attempts, outcome } = route(
      [up("a"), up("b")],
      { kind: "route", candidates: [0, 1] },
      { timeoutMs: 2000, timeoutScope: scope("response"), billsAbandoned: true },
      { stream: true },
    );
    expect(attempts.length).toBe(1);
    expect(attempts[0]).toMatchObject({
      error: "mid_stream",
      endMs: 3000,
      completionTokens: 190,
      ttftMs: 100,
    });
    expect(outcome).toMatchObject({ kind: "failed", code: "mid_stream_error", ttftMs: 100 });
  });

  it("headers: a stream's timer stops when it starts; a plain read's headers are its end", () => {
    const late = [up("a", { ttft_ms: 3000 })];
    const b = { timeoutMs: 2000, timeoutScope: scope("headers") };
    expect(route(late, plan, b, { stream: true }).outcome).toMatchObject({ kind: "served" });
    const read = route(late, plan, b);
    expect(read.attempts[0]).toMatchObject({ status: 408, error: "timeout", endMs: 3000 });
    expect(read.outcome.kind).toBe("failed");
  });

  it("no scope keeps the first-token timer; before the first token nothing was generated, nothing billed", () => {
    const { attempts, outcome } = route(slow(), plan, { timeoutMs: 50, billsAbandoned: true });
    expect(attempts[0]).toMatchObject({ status: 408, error: "timeout", endMs: 1050, costUsd: 0 });
    expect(outcome).toMatchObject({ kind: "failed", costUsd: 0 });
  });
});

describe("Router: a deadline on the whole request (requestTimeoutMs, Envoy's route timeout)", () => {
  it("cuts a plain read at the deadline and answers 504, with no further attempt", () => {
    // Request arrives at 1000; a's response would end at 1000 + 100 + 5000.
    const { attempts, outcome } = route(
      [up("a"), up("b")],
      { kind: "route", candidates: [0, 1] },
      { requestTimeoutMs: 2000, billsAbandoned: true },
    );
    expect(attempts.length).toBe(1);
    expect(attempts[0]).toMatchObject({ status: 408, error: "timeout", endMs: 3000, completionTokens: 190 });
    expect(outcome).toMatchObject({ kind: "failed", status: 504, code: "request_timeout", latencyMs: 2000 });
  });

  it("a wait past the deadline ends the request at the deadline", () => {
    const { attempts, outcome } = route(
      [down("a"), up("b")],
      { kind: "route", candidates: [0, 1], delaysMs: [0, 5000] },
      { requestTimeoutMs: 2000 },
    );
    expect(attempts.map((a) => a.endpoint.tag)).toEqual(["a"]);
    expect(outcome).toMatchObject({ kind: "failed", status: 504, latencyMs: 2000 });
  });

  it("a stream cut by the deadline after its first token is committed", () => {
    const { outcome } = route(
      [up("a")],
      { kind: "route", candidates: [0] },
      { requestTimeoutMs: 2000 },
      { stream: true },
    );
    expect(outcome).toMatchObject({ kind: "failed", code: "mid_stream_error", ttftMs: 100 });
  });

  it("the earlier of the attempt's timer and the request deadline wins", () => {
    const { attempts, outcome } = route(
      [up("a", { ttft_ms: 900 }), up("b")],
      { kind: "route", candidates: [0, 1] },
      { timeoutMs: 500, requestTimeoutMs: 4000 },
    );
    // a times out on its own timer at 1500; b then has until 5000 and serves by 1500 + 5100.
    expect(attempts[0]).toMatchObject({ status: 408, endMs: 1500 });
    expect(outcome).toMatchObject({ kind: "failed", status: 504 });
    expect(attempts[1]).toMatchObject({ endMs: 5000 });
  });
});
