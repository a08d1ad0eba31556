/**
 * The router reuses a finished request's attempt records, outcome and state for later requests,
 * but only when the observers say they keep none of them (`RunObserver.borrows`) and the policy
 * does not keep them either (`Policy.keepsRecords`; any policy routesim does not ship is taken to).
 */
import { describe, expect, it } from "vitest";
import { lastAttemptError } from "../../src/policies/errors.js";
import { markOutsidePolicy } from "../../src/policies/records.js";
import type { Policy, RouterBehaviour } from "../../src/policies/types.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import type { RunObserver } from "../../src/router/router.js";
import { loadScenario } from "../../src/scenario/load.js";
import { Simulator } from "../../src/sim/kernel.js";
import { simulate } from "../../src/simulate.js";
import type { AttemptRecord, Outcome, RoutedRequest } from "../../src/types.js";
import { provider } from "../providers/helpers.js";
import { testRouter } from "../support/router.js";

const N = 200;

interface Seen {
  records: AttemptRecord[];
  outcomes: Outcome[];
  /** Each record's request id and start, and each outcome, as they were during the call. */
  atCall: [number, number][];
  outcomesAtCall: Outcome[];
}

/** N requests, one at a time, each failing on endpoint a and served by b (two attempts each). */
function runWith(borrows: boolean | undefined, policyOver: Partial<Policy> = {}, outside = false): Seen {
  const sim = new Simulator();
  const providers = [
    provider({ name: "a", ttft_ms: 100, error_latency_ms: 50, outages: [{ start_s: 0, duration_s: 1e6 }] }),
    provider({ name: "b", ttft_ms: 100, tokens_per_s: 100 }),
  ];
  const catalog = buildCatalog(providers);
  const policy: Policy = { name: "p", route: () => ({ kind: "route", candidates: [0, 1] }), ...policyOver };
  if (outside) markOutsidePolicy(policy);
  const behaviour: RouterBehaviour = {
    timeoutMs: 10_000,
    maxAttempts: 5,
    onFailure: () => "next",
    finalError: lastAttemptError,
  };
  const seen: Seen = { records: [], outcomes: [], atCall: [], outcomesAtCall: [] };
  const observer: RunObserver = {
    ...(borrows === undefined ? {} : { borrows }),
    attempt: (a) => {
      seen.records.push(a);
      seen.atCall.push([a.requestId, a.startMs]);
    },
    outcome: (_req, o) => {
      seen.outcomes.push(o);
      seen.outcomesAtCall.push({ ...o });
    },
  };
  const { router } = testRouter({ sim, providers, catalog, policy, behaviour, observer });
  const h = sim.handler((id) =>
    router.arrive({
      id,
      arrivalMs: id * 10_000,
      promptTokens: 10,
      completionTokens: 5,
      model: "m",
      body: { model: "m" },
    }),
  );
  for (let id = 0; id < N; id++) sim.schedule(id * 10_000, h, id);
  sim.run();
  return seen;
}

const distinct = (xs: readonly object[]) => new Set(xs).size;

describe("reuse of records (Router)", () => {
  it("reuses records and outcomes when the observer borrows and the policy keeps nothing", () => {
    const s = runWith(true);
    expect(s.records).toHaveLength(2 * N);
    // One request at a time: its two records and one outcome serve every later request.
    expect(distinct(s.records)).toBe(2);
    expect(distinct(s.outcomes)).toBe(1);
  });

  it("never reuses them for an observer that does not say it borrows", () => {
    for (const borrows of [undefined, false]) {
      const s = runWith(borrows);
      expect(distinct(s.records)).toBe(2 * N);
      expect(distinct(s.outcomes)).toBe(N);
      // What the observer kept still reads as it did during the call.
      expect(s.records.map((a) => [a.requestId, a.startMs])).toEqual(s.atCall);
    }
  });

  it("never reuses them for a policy that keeps records, or one routesim does not ship", () => {
    expect(distinct(runWith(true, { keepsRecords: true }).records)).toBe(2 * N);
    expect(distinct(runWith(true, {}, true).records)).toBe(2 * N);
    // An outside policy may say it keeps none.
    expect(distinct(runWith(true, { keepsRecords: false }, true).records)).toBe(2);
  });

  it("an observer added later that does not borrow stops the reuse", () => {
    const sim = new Simulator();
    const providers = [provider({ name: "b", ttft_ms: 100, tokens_per_s: 100 })];
    const catalog = buildCatalog(providers);
    const kept: AttemptRecord[] = [];
    const { router } = testRouter({
      sim,
      providers,
      catalog,
      policy: { name: "p", route: () => ({ kind: "route", candidates: [0] }) },
      behaviour: { timeoutMs: 10_000, maxAttempts: 1, onFailure: () => "next", finalError: lastAttemptError },
      observer: { borrows: true, attempt: () => {}, outcome: () => {} },
    });
    router.alsoObserve({ attempt: (a) => kept.push(a), outcome: () => {} });
    const h = sim.handler((id) =>
      router.arrive({
        id,
        arrivalMs: id * 10_000,
        promptTokens: 1,
        completionTokens: 1,
        model: "m",
        body: { model: "m" },
      }),
    );
    for (let id = 0; id < 20; id++) sim.schedule(id * 10_000, h, id);
    sim.run();
    expect(kept.map((a) => a.requestId)).toEqual([...Array(20).keys()]);
  });

  it("reused or not, observers see the same values during their calls", () => {
    const reused = runWith(true);
    const fresh = runWith(false);
    expect(reused.atCall).toEqual(fresh.atCall);
    expect(reused.outcomesAtCall).toEqual(fresh.outcomesAtCall);
    expect(fresh.outcomesAtCall.filter((o) => o.kind === "served" && o.attempts === 2)).toHaveLength(N);
  });
});

describe("reuse of requests (synthetic traffic through simulate)", () => {
  const file = new URL("../../scenarios/bench/perf-model.yaml", import.meta.url).pathname;
  const seen = (borrows: boolean) => {
    const reqs: RoutedRequest[] = [];
    const ids: number[] = [];
    simulate(loadScenario(file, { requests: 3000, seed: 3 }), {
      observe: () => ({
        borrows,
        attempt: () => {},
        outcome: (req) => {
          reqs.push(req);
          ids.push(req.id);
        },
      }),
    });
    return { reqs, ids };
  };

  it("refills ended requests when every observer borrows, and never otherwise", () => {
    const reused = seen(true);
    const fresh = seen(false);
    expect(reused.ids).toEqual(fresh.ids);
    expect(new Set(fresh.reqs).size).toBe(3000);
    // At most the requests in flight at once (8 providers × 32 slots, plus the one arriving).
    expect(new Set(reused.reqs).size).toBeLessThan(400);
    expect(fresh.reqs.map((r) => r.id)).toEqual(fresh.ids);
  });
});
