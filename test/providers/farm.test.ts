import { describe, expect, it } from "vitest";
import { CLIENT_TIMEOUT_MS, ProviderFarm, TimerScope } from "../../src/providers/farm.js";
import type { OutageGroup } from "../../src/scenario/schema.js";
import { Simulator } from "../../src/sim/kernel.js";
import { every, provider, runFarm } from "./helpers.js";

const count = <T>(xs: readonly T[], f: (x: T) => boolean): number => xs.filter(f).length;

describe("token-bucket rate limit", () => {
  it("a burst beyond the bucket gets 429 (rate_limited); the bucket refills at rpm/60 per second", () => {
    const p = provider({ ttft_ms: 10, rate_limit: { rpm: 600, burst: 5 } });
    const subs = [...every(0, 10), ...every(0, 10).map((s) => ({ ...s, atMs: 1000 }))];
    const r = runFarm([p], subs);
    const statuses = r.map((x) => x.status);
    // t = 0: a full bucket of 5 passes. t = 1 s: 10 tokens refilled but the bucket holds 5.
    expect(statuses).toEqual([
      ...Array(5).fill(200),
      ...Array(5).fill(429),
      ...Array(5).fill(200),
      ...Array(5).fill(429),
    ]);
    expect(r.filter((x) => x.status === 429).every((x) => x.error === "rate_limited")).toBe(true);
  });

  it("at twice the allowed rate about half the requests are refused", () => {
    // rpm 600 = 10/s; 20/s evenly spaced for 60 s: the bucket (5) plus 600 refills get through.
    const p = provider({ ttft_ms: 10, rate_limit: { rpm: 600, burst: 5 } });
    const r = runFarm([p], every(50, 1200));
    const ok = count(r, (x) => x.status === 200);
    expect(ok).toBeGreaterThanOrEqual(600);
    expect(ok).toBeLessThanOrEqual(606);
    expect(count(r, (x) => x.status === 429)).toBe(1200 - ok);
  });

  it("below the rate nothing is refused; a bare number is rpm with a one-second bucket", () => {
    const p = provider({ ttft_ms: 10, rate_limit: 600 });
    expect(count(runFarm([p], every(101, 500)), (x) => x.status !== 200)).toBe(0);
    const burst = runFarm([p], every(0, 20));
    expect(count(burst, (x) => x.status === 200)).toBe(10);
  });
});

describe("concurrency, queue limit and timeouts", () => {
  it("queue_limit: beyond running + queued slots, attempts get 429 queue_full", () => {
    const p = provider({ ttft_ms: 1000, concurrency: 1, queue_limit: 2 });
    const r = runFarm([p], every(0, 5));
    expect(r.map((x) => x.status)).toEqual([200, 200, 200, 429, 429]);
    expect(r.slice(3).every((x) => x.error === "queue_full")).toBe(true);
    expect(r.slice(0, 3).map((x) => x.endMs)).toEqual([1000, 2000, 3000]);
  });

  it("an attempt whose first token would come after its deadline ends at the deadline with 408", () => {
    const p = provider({ ttft_ms: 5000 });
    const [r] = runFarm([p], [{ atMs: 100, timeoutMs: 1000 }]);
    expect(r).toMatchObject({ status: 408, error: "timeout", endMs: 1100 });
    expect(Number.isNaN(r.ttftMs)).toBe(true);
  });

  it("an attempt still queued at its deadline times out with 408 and frees its queue place", () => {
    const p = provider({ ttft_ms: 1000, concurrency: 1, queue_limit: 1 });
    const r = runFarm(
      [p],
      [
        { atMs: 0, timeoutMs: 10_000 },
        { atMs: 0, timeoutMs: 500 }, // queued, gives up at 500
        { atMs: 600, timeoutMs: 10_000 }, // the queue place is free again
      ],
    );
    expect(r.map((x) => x.status)).toEqual([200, 408, 200]);
    expect(r[1].endMs).toBe(500);
    expect(r[2].endMs).toBe(2000);
  });

  it("the deadline covers queue wait plus TTFT, not generation", () => {
    const p = provider({ ttft_ms: 400, tokens_per_s: 10, concurrency: 1 });
    const r = runFarm(
      [p],
      [
        { atMs: 0, timeoutMs: 1000, completionTokens: 100 }, // 400 ms TTFT + 10 s of tokens: fine
        { atMs: 0, timeoutMs: 1000, completionTokens: 0 }, // waits 10.4 s in the queue
      ],
    );
    expect(r[0]).toMatchObject({ status: 200, endMs: 10_400, ttftMs: 400, tokensOut: 100 });
    expect(r[1]).toMatchObject({ status: 408, endMs: 1000 });
  });
});

describe("background errors and mid-stream failures", () => {
  it("error_rate fails that share of attempts with statuses drawn from error_mix", () => {
    const n = 20_000;
    const p = provider({
      ttft_ms: 100,
      error_rate: 0.2,
      error_mix: { "500": 1, "429": 1 },
      error_latency_ms: 50,
    });
    const r = runFarm([p], every(1, n));
    const failed = count(r, (x) => x.status !== 200);
    expect(Math.abs(failed - 0.2 * n)).toBeLessThan(5 * Math.sqrt(n * 0.2 * 0.8));
    const e500 = count(r, (x) => x.status === 500);
    expect(Math.abs(e500 - failed / 2)).toBeLessThan(5 * Math.sqrt(failed / 4));
    expect(count(r, (x) => x.status !== 200 && x.status !== 500 && x.status !== 429)).toBe(0);
    expect(r.filter((x) => x.status !== 200).every((x) => x.endMs - x.submitMs === 50)).toBe(true);
  });

  it("timeout and empty in the error mix give 408 at the deadline and 502 empty_response", () => {
    const t = runFarm(
      [provider({ error_rate: 1, error_mix: { timeout: 1 } })],
      [{ atMs: 0, timeoutMs: 3000 }],
    );
    expect(t[0]).toMatchObject({ status: 408, error: "timeout", endMs: 3000 });
    const e = runFarm([provider({ ttft_ms: 80, error_rate: 1, error_mix: { empty: 1 } })], [{ atMs: 0 }]);
    expect(e[0]).toMatchObject({ status: 502, error: "empty_response", endMs: 80 });
  });

  it("a mid-stream failure comes after the first token with part of the tokens", () => {
    const p = provider({ ttft_ms: 100, tokens_per_s: 100, midstream_error_rate: 1 });
    const r = runFarm([p], every(10, 200, { completionTokens: 100 }));
    for (const x of r) {
      expect(x).toMatchObject({ status: 500, error: "mid_stream", ttftMs: 100 });
      expect(x.tokensOut).toBeLessThan(100);
      expect(x.endMs).toBeGreaterThanOrEqual(x.submitMs + 100);
      expect(x.endMs).toBeLessThanOrEqual(x.submitMs + 1100);
    }
  });

  it("an endpoint answers the same request the same way whatever came before (CRN)", () => {
    const p = provider({ ttft_ms: { dist: "lognormal", median: 300, sigma: 0.5 }, error_rate: 0.3 });
    const a = runFarm([p], [{ atMs: 0, requestId: 42 }]);
    const b = runFarm([p], [...every(1, 50, { requestId: 7 }), { atMs: 100, requestId: 42 }]);
    expect(b[50].status).toBe(a[0].status);
    expect(b[50].endMs - b[50].submitMs).toBeCloseTo(a[0].endMs - a[0].submitMs, 9);
  });
});

describe("scheduled outages", () => {
  it("attempts inside the window fail with its status; outside they do not", () => {
    const p = provider({ ttft_ms: 100, outages: [{ start_s: 10, duration_s: 5, status: 503 }] });
    const r = runFarm([p], every(100, 200));
    for (const x of r) {
      const inside = x.submitMs >= 10_000 && x.submitMs < 15_000;
      expect(x.status).toBe(inside ? 503 : 200);
      if (inside) expect(x.error).toBe("outage");
    }
    expect(count(r, (x) => x.status === 503)).toBe(50);
  });

  it("error_rate makes a partial outage; latency_multiplier slows the attempts that pass", () => {
    const p = provider({
      ttft_ms: 100,
      tokens_per_s: 50,
      outages: [{ start_s: 0, duration_s: 10, status: 502, error_rate: 0.3, latency_multiplier: 2 }],
    });
    const n = 10_000;
    const r = runFarm([p], every(1, n, { completionTokens: 10 }));
    const failed = r.filter((x) => x.status !== 200);
    expect(Math.abs(failed.length - 0.3 * n)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
    expect(failed.every((x) => x.status === 502)).toBe(true);
    // Served: 2 × 100 ms TTFT and 2 × 200 ms generation.
    for (const x of r.filter((y) => y.status === 200)) {
      expect(x.ttftMs).toBe(200);
      expect(x.endMs - x.submitMs).toBeCloseTo(600, 9);
    }
    const after = runFarm([p], [{ atMs: 10_000, completionTokens: 10 }]);
    expect(after[0]).toMatchObject({ status: 200, ttftMs: 100 });
  });

  it("an outage with status timeout hangs attempts until their deadline", () => {
    const p = provider({ ttft_ms: 100, outages: [{ start_s: 0, duration_s: 1, status: "timeout" }] });
    const r = runFarm([p], [{ atMs: 500, timeoutMs: 2000 }]);
    expect(r[0]).toMatchObject({ status: 408, error: "timeout", endMs: 2500 });
  });
});

describe("random outages and outage groups", () => {
  const probes = (endpoints: number, seconds: number) =>
    Array.from({ length: endpoints * seconds }, (_, i) => ({
      atMs: Math.floor(i / endpoints) * 1000,
      endpoint: i % endpoints,
    }));

  it("the down fraction matches duration / (mtbf + duration) and draws are seeded", () => {
    const p = provider({ ttft_ms: 1, random_outages: { mtbf_s: 100, duration_s: 10, status: 503 } });
    const seconds = 100_000;
    const r = runFarm([p], probes(1, seconds), { seed: 3 });
    const down = count(r, (x) => x.status === 503) / seconds;
    // About 900 up/down cycles; the up-time sum has relative sd 1/√900 ≈ 3.3 %: 5 sigma ≈ 17 %.
    const expected = 10 / 110;
    expect(Math.abs(down - expected) / expected).toBeLessThan(0.17);
    const again = runFarm([p], probes(1, 2000), { seed: 3 });
    expect(again.map((x) => x.status)).toEqual(r.slice(0, 2000).map((x) => x.status));
    const otherSeed = runFarm([p], probes(1, 2000), { seed: 4 });
    expect(otherSeed.map((x) => x.status)).not.toEqual(again.map((x) => x.status));
  });

  it("members of an outage group fail together; non-members do not", () => {
    const ps = ["a", "b", "c"].map((name) => provider({ name, ttft_ms: 1 }));
    const group: OutageGroup = {
      name: "upstream",
      providers: ["a", "b"],
      random_outages: {
        mtbf_s: 60,
        duration_s: { dist: "exponential", mean: 20 },
        status: 502,
        error_rate: 1,
        latency_multiplier: 1,
      },
      outages: [{ start_s: 5, duration_s: 2, status: 503, error_rate: 1, latency_multiplier: 1 }],
    };
    const seconds = 5000;
    const r = runFarm(ps, probes(3, seconds), { groups: [group] });
    let downA = 0;
    for (let s = 0; s < seconds; s++) {
      const [a, b, c] = [r[3 * s], r[3 * s + 1], r[3 * s + 2]];
      expect(b.status).toBe(a.status);
      expect(c.status).toBe(200);
      if (a.status !== 200) downA++;
    }
    expect(r[15].status).toBe(503); // the scheduled group window (t = 5 s)
    expect(downA).toBeGreaterThan(seconds * 0.1); // the random process really fired
  });
});

describe("a gateway letting go mid-generation (on_cancel)", () => {
  // TTFT 100 ms, 100 tokens at 100 tokens/s: the natural end is 1100 ms after the start.
  const slow = (on_cancel: "stop" | "continue") =>
    provider({ ttft_ms: 100, tokens_per_s: 100, concurrency: 1, on_cancel });
  const subs = [
    { atMs: 0, completionTokens: 100, timeoutMs: 600, timerScope: TimerScope.Response },
    { atMs: 700, completionTokens: 100 },
  ];

  it("stop: the provider bills the 50 tokens made by the deadline and frees its slot then", () => {
    const [a, b] = runFarm([slow("stop")], subs);
    expect(a).toMatchObject({ status: 408, error: "timeout", endMs: 600, tokensOut: 50, prefilled: true });
    expect(b).toMatchObject({ status: 200, endMs: 1800 }); // started at once at 700
  });

  it("continue: it finishes all 100 tokens and holds the slot until 1100 ms", () => {
    const [a, b] = runFarm([slow("continue")], subs);
    expect(a).toMatchObject({ status: 408, error: "timeout", endMs: 600, tokensOut: 100, prefilled: true });
    expect(b).toMatchObject({ status: 200, endMs: 2200 }); // queued until the slot came free
  });

  it("a first-token timeout leaves nothing to bill when the provider stops", () => {
    const [a] = runFarm([slow("stop")], [{ atMs: 0, completionTokens: 100, timeoutMs: 50 }]);
    expect(a).toMatchObject({ status: 408, endMs: 50, tokensOut: 0, prefilled: false });
  });
});

describe("a hang with no gateway timer", () => {
  it("ends when the client gives up (CLIENT_TIMEOUT_MS), not at t = Infinity", () => {
    const p = provider({ ttft_ms: 10, error_rate: 1, error_mix: { timeout: 1 } });
    const [r] = runFarm([p], [{ atMs: 5 }]);
    expect(r).toMatchObject({ status: 408, error: "timeout", endMs: 5 + CLIENT_TIMEOUT_MS });
  });
});

describe("a client letting go in live mode (cancel)", () => {
  // One slot; A would run 100 ms + 1 s of decode; the client leaves at 300 ms; B arrives at 400 ms.
  function run(on_cancel: "stop" | "continue"): number {
    const sim = new Simulator();
    const p = provider({ ttft_ms: 100, tokens_per_s: 100, concurrency: 1, on_cancel });
    let bEnd = Number.NaN;
    const farm: ProviderFarm = new ProviderFarm(sim, [p], [], 1, {
      attemptDone: (a) => {
        if (a.requestId === 2) bEnd = a.endMs;
        farm.release(a);
      },
    });
    const attempt = (id: number) => {
      const a = farm.acquire();
      Object.assign(a, { endpoint: 0, requestId: id, tryKey: 0, promptTokens: 10, completionTokens: 100 });
      a.deadlineMs = Number.POSITIVE_INFINITY;
      return a;
    };
    const a = attempt(1);
    sim.schedule(
      0,
      sim.handler(() => farm.submit(a)),
    );
    sim.schedule(
      300,
      sim.handler(() => farm.cancel(a)),
    );
    sim.schedule(
      400,
      sim.handler(() => farm.submit(attempt(2))),
    );
    sim.run();
    return bEnd;
  }

  it("stop: the slot frees when the client leaves; continue: when the work is done", () => {
    expect(run("stop")).toBe(400 + 1100);
    expect(run("continue")).toBe(1100 + 1100);
  });
});
