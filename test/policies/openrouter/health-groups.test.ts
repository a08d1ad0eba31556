/**
 * The load balancer's health groups kept from request to request (`HealthGroups`, fed by the
 * health tracker's change log): after any mix of records, time passing (out of the outage window,
 * across minute buckets of the uptime window) and list changes, the groups are exactly what
 * `healthClassOf` gives for each endpoint at that moment (R25, R90, R93).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  defaultConfig,
  type OpenRouterConfig,
  outageWindowMs,
} from "../../../src/policies/openrouter/config.js";
import { HealthGroups } from "../../../src/policies/openrouter/groups.js";
import { LazyOrder, LoadBalancer } from "../../../src/policies/openrouter/lb.js";
import { healthClassOf } from "../../../src/policies/openrouter/stats.js";
import type { EndpointView, HealthView } from "../../../src/policies/types.js";
import { Rng } from "../../../src/rng/rng.js";
import { HealthTracker } from "../../../src/router/health.js";
import type { Endpoint } from "../../../src/types.js";
import { catalogOf } from "./fixture.js";

const N = 6;

function catalog(n = N): Endpoint[] {
  const ps = [];
  for (let i = 0; i < n; i++)
    ps.push({ name: `p${i}`, model: "acme/m", price: { prompt: 0.5 + i, completion: 1 + 2 * i } });
  return catalogOf(ps);
}

interface World {
  now: number;
  readonly health: HealthTracker;
  readonly view: EndpointView;
  record(e: number, status: number): void;
}

function world(n = N): World {
  let now = 0;
  const health = new HealthTracker(n, () => now);
  const cat = catalog(n);
  const w: World = {
    get now() {
      return now;
    },
    set now(t: number) {
      now = t;
    },
    health,
    view: {
      get now() {
        return now;
      },
      catalog: cat,
      endpointsOf: () => cat,
      health,
    },
    record(e, status) {
      health.started(e);
      health.record(e, now, status, "none", 100, 50);
    },
  };
  return w;
}

/** The groups as `healthClassOf` gives them now, one endpoint at a time. */
function expected(list: readonly Endpoint[], h: HealthView, cfg: OpenRouterConfig, now: number) {
  const since = now - outageWindowMs(cfg);
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < list.length; i++) {
    const c = healthClassOf(list[i].id, h, cfg, since);
    if (c === 0) m0 |= 1 << i;
    else if (c === 1) m1 |= 1 << i;
  }
  return { m0, m1 };
}

function groupsOf(g: HealthGroups, list: readonly Endpoint[], w: World, cfg: OpenRouterConfig) {
  expect(g.update(list, w.health, w.now, w.now - outageWindowMs(cfg))).toBe(true);
  return { m0: g.m0, m1: g.m1 };
}

// Uptime tiers that move with a handful of records: 2 requests make a tier, 95 % / 80 % as default.
const TIERS = { minRequests: 2 };
const CONFIGS = [
  {},
  { uptimeTiers: TIERS },
  { uptimeTiers: { ...TIERS, windowMs: 90_500 } }, // from and to move at different moments
  { uptimeTiers: { ...TIERS, enabled: false } },
  { uptimeTiers: TIERS, outageWindowMs: 5_000 },
  { uptimeTiers: TIERS, lbMode: "v1" as const },
];

const step = fc.oneof(
  fc.record({
    kind: fc.constant("record" as const),
    e: fc.integer({ min: 0, max: N - 1 }),
    status: fc.constantFrom(200, 200, 200, 503, 429, 400),
    times: fc.constantFrom(1, 1, 3, 70), // 70 > the log's 64 records
  }),
  fc.record({
    kind: fc.constant("advance" as const),
    // Nothing, a little, about an outage window, about a minute bucket, a long quiet spell.
    ms: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 2_000 }),
      fc.integer({ min: 4_000, max: 31_000 }),
      fc.integer({ min: 55_000, max: 65_000 }),
      fc.integer({ min: 100_000, max: 2_000_000 }),
    ),
  }),
  fc.record({ kind: fc.constant("route" as const), list: fc.integer({ min: 0, max: 2 }) }),
);

describe("health groups kept between requests", () => {
  it("equal healthClassOf's after any records, time and list changes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: CONFIGS.length - 1 }),
        fc.array(step, { maxLength: 80 }),
        (c, steps) => {
          const cfg = defaultConfig(CONFIGS[c]);
          const w = world();
          const all = w.view.catalog;
          // The full list (kept), a sub-list, and a copy of the full list (another identity).
          const lists = [all, all.slice(1, 4), all.slice()];
          const g = new HealthGroups(cfg);
          const lb = new LoadBalancer(cfg);
          const rng = new Rng(1, "lb");
          for (const s of steps) {
            if (s.kind === "record") for (let k = 0; k < s.times; k++) w.record(s.e, s.status);
            else if (s.kind === "advance") w.now += s.ms;
            else {
              const list = lists[s.list];
              const want = expected(list, w.health, cfg, w.now);
              expect(groupsOf(g, list, w, cfg)).toEqual(want);
              const d = lb.route(list, w.view, rng);
              expect(d).toBeInstanceOf(LazyOrder);
              const lazy = d as LazyOrder;
              expect({ m0: lazy.m0, m1: lazy.m1 }).toEqual(want);
            }
          }
        },
      ),
      { numRuns: 300, seed: 20261207 },
    );
  });

  it("a failure makes an endpoint unstable, and leaving the outage window makes it normal again", () => {
    const cfg = defaultConfig();
    const w = world();
    const list = w.view.catalog;
    const g = new HealthGroups(cfg);
    w.now = 1_000;
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111111, m1: 0 });
    w.record(2, 503);
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111011, m1: 0 });
    w.record(2, 200); // a success does not end the outage
    w.now += outageWindowMs(cfg);
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111011, m1: 0 }); // failure at since: still in
    w.now += 1;
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111111, m1: 0 }); // no record, time alone
  });

  it("the uptime tier follows records and the minute buckets leaving the window", () => {
    const cfg = defaultConfig({ uptimeTiers: { minRequests: 10, windowMs: 120_000 } });
    const w = world();
    const list = w.view.catalog;
    const g = new HealthGroups(cfg);
    w.now = 10_000;
    for (let k = 0; k < 9; k++) w.record(0, 200);
    w.record(0, 429); // not counted (R90)
    expect(groupsOf(g, list, w, cfg).m1).toBe(0); // 9 counted requests: too few for a tier
    w.now = 50_000;
    w.record(0, 503); // 9 of 10: degraded, once the failure leaves the outage window
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111110, m1: 0 });
    w.now = 80_001;
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111110, m1: 0b000001 });
    // Minute 0 leaves the 120-s window at 180 000: back under the minimum, normal.
    w.now = 179_999;
    expect(groupsOf(g, list, w, cfg).m1).toBe(0b000001);
    w.now = 180_000;
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b111111, m1: 0 });
  });

  it("starts over when records outrun the change log, time goes back, or the list or view changes", () => {
    const cfg = defaultConfig();
    const w = world();
    const list = w.view.catalog;
    const g = new HealthGroups(cfg);
    w.record(1, 503);
    w.now = 100_000;
    expect(groupsOf(g, list, w, cfg).m0).toBe(0b111111); // endpoint 1 failed long ago
    w.record(3, 503);
    for (let k = 0; k < 100; k++) w.record(5, 200); // endpoint 3's record no longer in the log
    expect(groupsOf(g, list, w, cfg).m0).toBe(0b110111);
    w.now = 10_000; // back in time, no record: endpoint 1's failure is recent again
    expect(groupsOf(g, list, w, cfg)).toEqual({ m0: 0b110101, m1: 0 });
    // Another tracker at the same time and record count.
    const other = world();
    other.now = w.now;
    for (let k = 0; k < w.health.recordCount(); k++) other.record(4, 200);
    expect(groupsOf(g, list, other, cfg).m0).toBe(0b111111);
    // A list naming an endpoint twice.
    const twice = [list[3], list[0], list[3]];
    w.now = 20_000;
    expect(groupsOf(g, twice, w, cfg)).toEqual(expected(twice, w.health, cfg, w.now));
    w.now = 140_000; // endpoint 3's failure (at 100 000) leaves the outage window
    expect(groupsOf(g, twice, w, cfg)).toEqual({ m0: 0b111, m1: 0 });
    w.record(3, 503);
    expect(groupsOf(g, twice, w, cfg)).toEqual({ m0: 0b010, m1: 0 });
  });

  it("starts over when time goes back within the same minute buckets", () => {
    const cfg = defaultConfig({ uptimeTiers: { enabled: false } });
    const w = world();
    const list = w.view.catalog;
    const g = new HealthGroups(cfg);
    w.record(1, 503);
    w.now = 40_000;
    expect(groupsOf(g, list, w, cfg).m0).toBe(0b111111);
    w.now = 20_000;
    expect(groupsOf(g, list, w, cfg).m0).toBe(0b111101);
  });

  it("reads the health of the endpoints recorded since the last request only", () => {
    const cfg = defaultConfig();
    const w = world();
    const list = w.view.catalog;
    let reads = 0;
    const counting: HealthView = {
      lastFailureMs: (e) => {
        reads++;
        return w.health.lastFailureMs(e);
      },
      failuresSince: (e, t) => w.health.failuresSince(e, t),
      lastRateLimitedMs: (e) => w.health.lastRateLimitedMs(e),
      window: (e, ms) => w.health.window(e, ms),
      inflight: (e) => w.health.inflight(e),
      ttftEwmaMs: (e) => w.health.ttftEwmaMs(e),
      recordCount: () => w.health.recordCount(),
      recordedEndpoint: (k) => w.health.recordedEndpoint(k),
    };
    const g = new HealthGroups(cfg);
    w.now = 1_000;
    g.update(list, counting, w.now, w.now - 30_000);
    expect(reads).toBe(N);
    for (let k = 0; k < 10; k++) {
      w.now += 100;
      w.record(k % N, k % 3 === 0 ? 503 : 200);
      g.update(list, counting, w.now, w.now - 30_000);
    }
    expect(reads).toBe(N + 10);
    expect({ m0: g.m0, m1: g.m1 }).toEqual(expected(list, w.health, cfg, w.now));
  });

  it("is not used without a change log or with several failures to be unstable", () => {
    const w = world();
    const g = new HealthGroups(defaultConfig({ outageMinFailures: 2 }));
    expect(g.update(w.view.catalog, w.health, 0, -30_000)).toBe(false);
    const plain: HealthView = {
      lastFailureMs: (e) => w.health.lastFailureMs(e),
      failuresSince: (e, t) => w.health.failuresSince(e, t),
      lastRateLimitedMs: (e) => w.health.lastRateLimitedMs(e),
      window: (e, ms) => w.health.window(e, ms),
      inflight: (e) => w.health.inflight(e),
      ttftEwmaMs: (e) => w.health.ttftEwmaMs(e),
    };
    expect(new HealthGroups(defaultConfig()).update(w.view.catalog, plain, 0, -30_000)).toBe(false);
  });
});

describe("health tracker change log", () => {
  it("names the endpoint of each of the latest 64 records, -1 before and after", () => {
    const w = world();
    expect(w.health.recordCount()).toBe(0);
    expect(w.health.recordedEndpoint(0)).toBe(-1);
    for (let k = 0; k < 100; k++) w.record(k % N, 200);
    expect(w.health.recordCount()).toBe(100);
    expect(w.health.recordedEndpoint(100)).toBe(-1);
    expect(w.health.recordedEndpoint(99)).toBe(99 % N);
    expect(w.health.recordedEndpoint(36)).toBe(36 % N);
    expect(w.health.recordedEndpoint(35)).toBe(-1);
  });
});
