/**
 * R28 sort on typed scratch (insertion sort on positions) must order exactly like the plain stable
 * sort by (health rank, key, canonical position): ties on price, missing stats (±∞ keys) and the
 * health partition (sortConsidersHealth) included.
 */
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../../src/policies/openrouter/config.js";
import { sortInto, sortKey } from "../../../src/policies/openrouter/sort.js";
import { isUnstable } from "../../../src/policies/openrouter/stats.js";
import { Rng } from "../../../src/rng/rng.js";
import type { Endpoint } from "../../../src/types.js";
import { catalogOf, FakeHealth, viewOf } from "./fixture.js";

describe("R28 sort order", () => {
  it("matches a plain stable sort by (health, key, position)", () => {
    const r = new Rng(12, "sort");
    for (let t = 0; t < 300; t++) {
      const n = 2 + r.int(20);
      const providers = [];
      for (let i = 0; i < n; i++) {
        const tp = r.int(4) === 0 ? undefined : 10 * (1 + r.int(5));
        providers.push({
          name: `p${i}`,
          model: "acme/m1",
          price: { prompt: 1 + r.int(3), completion: 1 + r.int(3) },
          stats: {
            throughput: tp === undefined ? {} : { p50: tp },
            latency_s: { p50: 0.5 * (1 + r.int(3)) },
          },
        });
      }
      const catalog: Endpoint[] = catalogOf(providers);
      const health = new FakeHealth();
      for (const e of catalog) if (r.int(3) === 0) health.failures.set(e.id, [0]);
      // Observed stats with NaN percentiles for some endpoints (inconsistent keys: library sort path).
      for (const e of catalog)
        if (r.int(4) === 0) {
          const v = r.int(2) === 0 ? Number.NaN : 20 * (1 + r.int(3));
          health.stats.set(e.id, { latencyS: { p50: v }, throughput: { p50: v }, samples: 10 });
        }
      const view = viewOf(catalog, health, 1000);
      for (const by of ["price", "throughput", "latency"] as const)
        for (const cfg of [
          defaultConfig({ sortConsidersHealth: true }),
          defaultConfig({ sortConsidersHealth: false, missingStatsPosition: "first" }),
          defaultConfig({ sortConsidersHealth: true, statsSource: "observedElseAdvertised" }),
        ]) {
          const got: Endpoint[] = [];
          sortInto(catalog, by, view, cfg, got);
          const want = catalog
            .map((e, i) => ({
              e,
              i,
              h: cfg.sortConsidersHealth && isUnstable(e, view, cfg) ? 1 : 0,
              k: sortKey(e, by, view, cfg),
            }))
            .sort((a, b) => a.h - b.h || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) || a.i - b.i)
            .map((x) => x.e);
          expect(got.map((e) => e.tag)).toEqual(want.map((e) => e.tag));
        }
    }
  });
});
