/**
 * A router over mock providers for tests that schedule their own arrivals (the scenario's traffic
 * path is `buildWorld` in src/simulate.ts): farm, health books and router wired as buildWorld does.
 */
import type { Policy, RouterBehaviour } from "../../src/policies/types.js";
import { ProviderFarm } from "../../src/providers/farm.js";
import { HealthTracker } from "../../src/router/health.js";
import type { ResponseCacheSettings } from "../../src/router/response-cache.js";
import { Router, type RunObserver } from "../../src/router/router.js";
import type { OutageGroup, Provider } from "../../src/scenario/schema.js";
import type { Simulator } from "../../src/sim/kernel.js";
import type { Endpoint } from "../../src/types.js";

export interface TestRouterOptions {
  sim: Simulator;
  providers: readonly Provider[];
  outageGroups?: readonly OutageGroup[];
  catalog: readonly Endpoint[];
  policy: Policy;
  behaviour: RouterBehaviour;
  observer: RunObserver;
  seed?: number;
  health?: HealthTracker;
  responseCache?: ResponseCacheSettings | null;
}

export function testRouter(o: TestRouterOptions): {
  router: Router;
  farm: ProviderFarm;
  health: HealthTracker;
} {
  const seed = o.seed ?? 1;
  const farm = new ProviderFarm(
    o.sim,
    o.providers as Provider[],
    (o.outageGroups ?? []) as OutageGroup[],
    seed,
  );
  const health = o.health ?? new HealthTracker(o.catalog.length, () => o.sim.now);
  const router = new Router({
    sim: o.sim,
    farm,
    catalog: o.catalog,
    health,
    policy: o.policy,
    behaviour: o.behaviour,
    observer: o.observer,
    seed,
    responseCache: o.responseCache ?? null,
  });
  farm.listen(router);
  return { router, farm, health };
}
