/** OpenRouter response caching ahead of routing (spec R106, TV106), repeats and the cache scenario. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lastAttemptError } from "../../src/policies/errors.js";
import type { Policy, RouterBehaviour } from "../../src/policies/types.js";
import { buildCatalog } from "../../src/providers/catalog.js";
import { HealthTracker } from "../../src/router/health.js";
import { type ResponseCacheSettings, responseCacheFor } from "../../src/router/response-cache.js";
import { InputError } from "../../src/scenario/errors.js";
import { loadScenario, scenarioFromObject } from "../../src/scenario/load.js";
import type { Provider } from "../../src/scenario/schema.js";
import { Simulator } from "../../src/sim/kernel.js";
import { simulate } from "../../src/simulate.js";
import type { AttemptRecord, Outcome } from "../../src/types.js";
import { provider } from "../providers/helpers.js";
import { testRouter } from "../support/router.js";

/** Counts every health update (attempt started / recorded). */
class CountingHealth extends HealthTracker {
  updates = 0;
  override started(e: number): void {
    this.updates++;
    super.started(e);
  }
  override record(...args: Parameters<HealthTracker["record"]>): void {
    this.updates++;
    super.record(...args);
  }
}

interface Send {
  atMs: number;
  key?: string;
  stream?: boolean;
}

/** Requests through a router whose policy always picks endpoint 0; records what happened. */
function run(providers: Provider[], sends: Send[], cache: ResponseCacheSettings | null) {
  const sim = new Simulator();
  const catalog = buildCatalog(providers);
  const health = new CountingHealth(catalog.length, () => sim.now);
  let routed = 0;
  let settled = 0;
  const policy: Policy = {
    name: "p",
    route: () => {
      routed++;
      return { kind: "route", candidates: [0] };
    },
    settle: () => {
      settled++;
    },
  };
  const behaviour: RouterBehaviour = {
    timeoutMs: 60_000,
    maxAttempts: 3,
    onFailure: () => "next",
    finalError: lastAttemptError,
  };
  const attempts: AttemptRecord[] = [];
  const outcomes = new Map<number, Outcome>();
  const { router: r } = testRouter({
    sim,
    providers,
    catalog,
    health,
    policy,
    behaviour,
    observer: {
      attempt: (a) => attempts.push(a),
      outcome: (req, o) => {
        expect(outcomes.has(req.id)).toBe(false); // exactly one outcome per request
        outcomes.set(req.id, o);
      },
    },
    responseCache: cache,
  });
  const healthAt = new Map<number, number>();
  const h = sim.handler((i) => {
    const s = sends[i];
    healthAt.set(i, health.updates);
    r.arrive({
      id: i,
      arrivalMs: s.atMs,
      promptTokens: 1000,
      completionTokens: 100,
      model: "m",
      bodyKey: s.key,
      body: s.stream ? { model: "m", stream: true } : { model: "m" },
    });
  });
  for (const [i, s] of sends.entries()) sim.schedule(s.atMs, h, i);
  sim.run();
  expect(outcomes.size).toBe(sends.length);
  return { outcomes, attempts, routed, settled, health, healthAt, cache: r.responseCache };
}

/** A 300 ms response (200 ms TTFT + 100 tokens at 1000 tokens/s), no errors. */
const fastA = provider({
  name: "a",
  ttft_ms: { dist: "constant", value: 200 },
  tokens_per_s: { dist: "constant", value: 1000 },
});
/** A 2 s response. */
const slowA = provider({
  name: "a",
  ttft_ms: { dist: "constant", value: 1000 },
  tokens_per_s: { dist: "constant", value: 100 },
});
const TTL_300 = { ttlMs: 300_000 };

describe("R106 response cache (TV106)", () => {
  it("TV106: a repeat at 60 s hits (0 attempts, cost 0, health untouched); at 301 s it misses", () => {
    const { outcomes, attempts, routed, settled, health, healthAt } = run(
      [fastA],
      [
        { atMs: 0, key: "R" },
        { atMs: 60_000, key: "R" },
        { atMs: 301_000, key: "R" },
      ],
      TTL_300,
    );
    const first = outcomes.get(0)!;
    expect(first.kind).toBe("served");
    expect(first.attempts).toBe(1);
    expect(first.costUsd).toBeGreaterThan(0); // charged
    expect(first.kind === "served" && first.cacheHit).toBeFalsy();

    const hit = outcomes.get(1)!;
    expect(hit).toMatchObject({ kind: "served", attempts: 0, costUsd: 0, latencyMs: 0, cacheHit: true });
    expect(hit.kind === "served" && hit.endpoint.tag).toBe("a"); // the stored response came from A
    // A's health: nothing recorded between the hit's arrival and the next request's.
    expect(healthAt.get(2)).toBe(healthAt.get(1));

    const late = outcomes.get(2)!; // stored at 0.3 s: 300.7 s old at 301 s, past the TTL
    expect(late).toMatchObject({ kind: "served", attempts: 1 });
    expect(late.kind === "served" && late.cacheHit).toBeFalsy();
    expect(late.costUsd).toBeGreaterThan(0);

    expect(attempts.map((a) => a.requestId)).toEqual([0, 2]); // no provider contact for the hit
    expect(routed).toBe(2); // the policy is not asked on a hit
    expect(settled).toBe(2); // nor told about it (no sticky updates)
    expect(health.updates).toBe(4); // started + recorded, for the two routed requests only
  });

  it("TV106: two identical requests at 0 and 0.1 s when A takes 2 s are both routed and charged", () => {
    const { outcomes, attempts } = run(
      [slowA],
      [
        { atMs: 0, key: "R" },
        { atMs: 100, key: "R" },
      ],
      TTL_300,
    );
    expect(attempts[0].endMs - attempts[0].startMs).toBeCloseTo(2000, 6);
    for (const id of [0, 1]) {
      expect(outcomes.get(id)).toMatchObject({ kind: "served", attempts: 1 });
      expect(outcomes.get(id)!.costUsd).toBeGreaterThan(0);
    }
  });

  it("TV106: the same R with stream: true at 60 s misses (the stream flag is part of the key)", () => {
    const { outcomes } = run(
      [fastA],
      [
        { atMs: 0, key: "R" },
        { atMs: 60_000, key: "R", stream: true },
        { atMs: 61_000, key: "R", stream: true },
      ],
      TTL_300,
    );
    expect(outcomes.get(1)).toMatchObject({ attempts: 1 });
    expect(outcomes.get(2)).toMatchObject({ attempts: 0, cacheHit: true }); // the streamed one stored
  });

  it("the TTL runs from when the response was stored, not from the first arrival", () => {
    // Stored at 0.3 s: still fresh at 300.2 s (299.9 s old).
    const { outcomes } = run(
      [fastA],
      [
        { atMs: 0, key: "R" },
        { atMs: 300_200, key: "R" },
      ],
      TTL_300,
    );
    expect(outcomes.get(1)).toMatchObject({ attempts: 0, cacheHit: true });
  });

  it("errors are never stored; requests without a key never hit; caching off never hits", () => {
    const failing = provider({ name: "a", error_rate: 1, error_mix: { "503": 1 } });
    const errs = run(
      [failing],
      [
        { atMs: 0, key: "R" },
        { atMs: 1000, key: "R" },
      ],
      TTL_300,
    );
    expect([...errs.outcomes.values()].map((o) => o.kind)).toEqual(["failed", "failed"]);
    expect(errs.cache!.size).toBe(0);

    const sends = [{ atMs: 0 }, { atMs: 1000 }];
    expect([...run([fastA], sends, TTL_300).outcomes.values()].map((o) => o.attempts)).toEqual([1, 1]);
    const off = run(
      [fastA],
      [
        { atMs: 0, key: "R" },
        { atMs: 1000, key: "R" },
      ],
      null,
    );
    expect([...off.outcomes.values()].map((o) => o.attempts)).toEqual([1, 1]);
    expect(off.cache).toBeNull();
  });
});

const base = {
  name: "rc",
  seed: 3,
  traffic: {
    arrivals: { process: "poisson", rate_per_s: 5 },
    requests: 2000,
    model: "m",
    repeats: { share: 0.3, window_s: 120 },
  },
  providers: [{ name: "a", model: "m", price: { prompt: 1, completion: 2 }, error_rate: 0 }],
};

describe("R106 settings and precedence", () => {
  const specOf = (policy: Record<string, unknown>, presets?: Record<string, unknown>) =>
    scenarioFromObject({ ...base, presets, policies: [{ name: "p", ...policy }] }).scenario.policies[0];

  it("policy-level response_cache (the header) turns caching on with its TTL, default 300 s", () => {
    expect(responseCacheFor(specOf({ response_cache: { enabled: true } }))).toEqual({ ttlMs: 300_000 });
    expect(responseCacheFor(specOf({ response_cache: { enabled: true, ttl_s: 60 } }))).toEqual({
      ttlMs: 60_000,
    });
    expect(responseCacheFor(specOf({}))).toBeNull(); // neither → off
  });

  it("precedence: preset false beats the header; header false beats preset true; preset true alone enables", () => {
    const on = { cache_enabled: true, cache_ttl_seconds: 30 };
    const off = { cache_enabled: false };
    const pre = (p: Record<string, unknown>) => ({ presets: { c: p } });
    const withPreset = (p: Record<string, unknown>, policy: Record<string, unknown>) =>
      specOf({ request: { model: "m", preset: "c" }, ...policy }, pre(p).presets);
    expect(responseCacheFor(withPreset(off, { response_cache: { enabled: true } }))).toBeNull();
    expect(responseCacheFor(withPreset(on, { response_cache: { enabled: false } }))).toBeNull();
    expect(responseCacheFor(withPreset(on, {}))).toEqual({ ttlMs: 30_000 });
    // The header's TTL overrides the preset's.
    expect(responseCacheFor(withPreset(on, { response_cache: { enabled: true, ttl_s: 90 } }))).toEqual({
      ttlMs: 90_000,
    });
  });

  it("bad input names the path: ttl_s 0 or > 86400, share outside [0, 1], non-OpenRouter kinds", () => {
    const problems = (over: Record<string, unknown>, policy: Record<string, unknown> = {}) => {
      try {
        scenarioFromObject({ ...base, ...over, policies: [{ name: "p", ...policy }] });
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).problems.map((p) => p.path);
      }
      return [];
    };
    expect(problems({}, { response_cache: { enabled: true, ttl_s: 0 } })).toEqual([
      "policies[0].response_cache.ttl_s",
    ]);
    expect(problems({}, { response_cache: { enabled: true, ttl_s: 86_401 } })).toEqual([
      "policies[0].response_cache.ttl_s",
    ]);
    for (const share of [-0.1, 1.5])
      expect(problems({ traffic: { ...base.traffic, repeats: { share } } })).toEqual([
        "traffic.repeats.share",
      ]);
    expect(problems({}, { kind: "random", response_cache: { enabled: true } })).toEqual([
      "policies[0].response_cache",
    ]);
    expect(problems({ presets: { c: { cache_ttl_seconds: 0 } } }, { request: { preset: "c" } })).toContain(
      "presets.c.cache_ttl_seconds",
    );
  });
});

describe("R106 in whole runs", () => {
  const policies = [{ name: "cached", response_cache: { enabled: true, ttl_s: 300 } }, { name: "uncached" }];

  it("hits are successes with 0 attempts and no cost; every request has one outcome (conservation)", () => {
    const { summary } = simulate(scenarioFromObject({ ...base, policies }));
    const [cached, uncached] = summary.policies;
    for (const p of summary.policies) expect(p.succeeded + p.failed).toBe(p.requests);
    expect(uncached.cacheHits).toBe(0);
    // 30 % of requests repeat one from the last 120 s; nearly all of those find a stored entry.
    expect(cached.cacheHitRate).toBeGreaterThan(0.2);
    expect(cached.cacheHitRate).toBeLessThan(0.4);
    expect(cached.attemptsHistogram["0"]).toBe(cached.cacheHits);
    expect(cached.attempts).toBe(uncached.attempts - cached.cacheHits!);
    expect(cached.costUsd).toBeLessThan(uncached.costUsd);
  });

  it("is deterministic, and requests.csv marks hits (cache_hit column)", () => {
    const dir = mkdtempSync(join(tmpdir(), "rc-"));
    const loaded = scenarioFromObject({ ...base, policies });
    const a = simulate(loaded, { outDir: join(dir, "a") });
    const b = simulate(loaded, { outDir: join(dir, "b") });
    expect(a.summary).toEqual(b.summary);
    const rows = readFileSync(join(dir, "a", "requests.csv"), "utf8")
      .trim()
      .split("\n");
    const head = rows[0].split(",");
    expect(head.at(-1)).toBe("cache_hit");
    const hits = rows.slice(1).filter((r) => r.startsWith("cached,") && r.endsWith(",1"));
    expect(hits.length).toBe(a.summary.policies[0].cacheHits);
    for (const r of hits) expect(r.split(",")[head.indexOf("attempts")]).toBe("0");
    const report = readFileSync(join(dir, "a", "report.md"), "utf8");
    expect(report).toContain("## Response cache (R106)");
  });

  it("trace body_hash: equal hashes hit, rows without one never do", () => {
    const dir = mkdtempSync(join(tmpdir(), "rc-trace-"));
    writeFileSync(
      join(dir, "t.csv"),
      ["t,p,c,h", "0,100,10,x", "10,100,10,x", "20,100,10,", "30,100,10,", "40,100,10,y", "50,100,10,x"].join(
        "\n",
      ),
    );
    const loaded = scenarioFromObject(
      {
        ...base,
        traffic: {
          model: "m",
          trace: {
            format: "csv",
            path: "t.csv",
            columns: { time: "t", prompt: "p", completion: "c", body_hash: "h" },
          },
        },
        policies: [policies[0]],
      },
      {},
      dir,
    );
    expect(simulate(loaded).summary.policies[0].cacheHits).toBe(2); // rows 2 and 6 (key x)
  });

  it("scenarios/openrouter/response-cache.yaml: caching cuts cost and attempts", () => {
    const { summary } = simulate(loadScenario("scenarios/openrouter/response-cache.yaml"));
    const by = Object.fromEntries(summary.policies.map((p) => [p.name, p]));
    const cached = by.cached;
    const uncached = by.uncached;
    expect(cached.cacheHits).toBeGreaterThan(0);
    expect(cached.costUsd).toBeLessThan(uncached.costUsd);
    expect(cached.attempts).toBeLessThan(uncached.attempts);
    expect(cached.successRate).toBeGreaterThanOrEqual(uncached.successRate);
    expect(uncached.cacheHits).toBe(0);
  });
});
