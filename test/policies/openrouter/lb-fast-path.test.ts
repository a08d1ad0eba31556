/**
 * The policy routes plain load-balancing requests (one model, no order/sort/tier/BYOK/preferences)
 * on a cached fast path; with the decision log on it always takes the full pipeline. Both must give
 * the same decision and (when the fast path is eager) consume the same draws, over health states that
 * move endpoints between the R25/R93 groups (R24, R24b, R20 context filtering).
 */
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../../../src/policies/openrouter/config.js";
import { healthClass, isUnstable, openRouterPolicy } from "../../../src/policies/openrouter/index.js";
import type { EndpointView } from "../../../src/policies/types.js";
import { Rng } from "../../../src/rng/rng.js";
import { HealthTracker } from "../../../src/router/health.js";
import type { RequestBody } from "../../../src/scenario/schema.js";
import type { Endpoint } from "../../../src/types.js";
import { catalogOf, fixtureProviders, request } from "./fixture.js";

function providers(): Record<string, unknown>[] {
  const extra = [];
  for (let i = 0; i < 12; i++)
    extra.push({
      name: `p${i}`,
      model: "acme/m1",
      price: { prompt: i % 4 === 0 ? 0 : 0.5 + 0.3 * i, completion: 1 + i },
      context_length: i % 3 === 0 ? 4096 : 32_000,
      quantization: i % 2 ? "fp8" : "bf16",
    });
  return [...fixtureProviders(), ...extra];
}

const BODIES: RequestBody[] = [
  { model: "acme/m1" },
  { model: "acme/m1", provider: { ignore: ["p3", "beta"] } },
  { model: "acme/m1", provider: { quantizations: ["fp8"] } },
  { model: "acme/m1", provider: { max_price: { prompt: 2 } } },
  { model: "acme/m1", max_tokens: 3000 },
  { model: "acme/m1", provider: { only: ["p1"] } },
  { model: "acme/m2" },
  { model: "acme/none" },
];

interface World {
  now: number;
  readonly catalog: Endpoint[];
  readonly health: HealthTracker;
  readonly view: EndpointView;
  /** Advances the clock by `dtMs` and records one finished attempt of endpoint `e`. */
  step(dtMs: number, e: number, status: number): void;
}

/** The extended catalog with a real health tracker and a stable view, at a settable time. */
function world(): World {
  const catalog: Endpoint[] = catalogOf(providers());
  const byModel = new Map<string, Endpoint[]>();
  for (const e of catalog) byModel.set(e.model, [...(byModel.get(e.model) ?? []), e]);
  let now = 0;
  const health = new HealthTracker(catalog.length, () => now);
  const view: EndpointView = {
    get now() {
      return now;
    },
    catalog,
    endpointsOf: (m) => byModel.get(m) ?? [],
    health,
  };
  return {
    get now() {
      return now;
    },
    set now(t: number) {
      now = t;
    },
    catalog,
    health,
    view,
    step(dtMs, e, status) {
      now += dtMs;
      health.started(e);
      health.record(e, now, status, "none", 200, 50);
    },
  };
}

describe("load-balancing fast path (R24, R24b, R25, R93, R20)", () => {
  it("matches the full pipeline decision for decision and draws", () => {
    const w = world();
    const { catalog, view } = w;
    for (const cfg of [
      {},
      { lbMode: "v1" as const },
      { fallbackOrder: "priceAsc" as const },
      { lbCandidateTopK: 2 },
    ]) {
      const fast = openRouterPolicy("fast", defaultConfig(cfg));
      const full = openRouterPolicy("full", defaultConfig(cfg));
      full.enableExplain?.();
      const noise = new Rng(9, "health");
      let compared = 0;
      let lazies = 0;
      for (let i = 0; i < 3000; i++) {
        // Failures and successes move endpoints between the normal, degraded and unstable groups.
        w.step(50, noise.int(catalog.length), noise.next() < 0.02 ? 503 : 200);
        const body = BODIES[i % BODIES.length];
        const req = request(body, { id: i, promptTokens: [500, 5000, 40_000][i % 3] });
        const ra = new Rng(3, i);
        const rb = new Rng(3, i);
        const a = fast.route(req, view, ra);
        // A lazy order (Decision.candidateAt) defers its draws: it must not depend on the generator
        // afterwards, so use it before reading the candidates (the router reuses it likewise).
        const lazy = a.kind === "route" && a.candidateAt !== undefined;
        if (lazy) {
          ra.next();
          lazies++;
        }
        const { explain: _x, ...b } = full.route(req, view, rb) as { explain?: unknown };
        expect(a.kind === "route" ? { kind: a.kind, candidates: [...a.candidates] } : a).toEqual(b);
        if (lazy)
          expect(a.kind === "route" && a.candidateAt?.(1)).toBe(
            (b as { candidates: number[] }).candidates[1] ?? -1,
          );
        else expect(ra.next()).toBe(rb.next()); // eager: same number of draws
        if (a.kind === "route" && a.candidates.length > 1) compared++;
      }
      expect(compared).toBeGreaterThan(1000);
      // Lazy orders: v1/v2 without top-K (always eager with it).
      if (cfg.lbCandidateTopK === undefined) expect(lazies).toBeGreaterThan(1000);
      else expect(lazies).toBe(0);
    }
  });
});

describe("R93 health class from the latest failure", () => {
  it("puts an endpoint in the unstable group exactly when it has a counted failure in the window", () => {
    const w = world();
    const { catalog, view } = w;
    const cfg = defaultConfig({ uptimeTiers: { enabled: false } });
    const r = new Rng(5, "failures");
    let unstable = 0;
    for (let i = 0; i < 4000; i++) {
      w.step(1000, r.int(catalog.length), [200, 200, 200, 200, 200, 200, 200, 200, 503, 429, 408][r.int(11)]);
      const x = catalog[r.int(catalog.length)];
      const u = isUnstable(x, view, cfg);
      expect(healthClass(x, view, cfg)).toBe(u ? 2 : 0);
      if (u) unstable++;
    }
    expect(unstable).toBeGreaterThan(400);
    expect(unstable).toBeLessThan(3600);
  });
});
