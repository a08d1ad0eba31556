/**
 * The routing invariants. Each one says which spec rules it checks, how its cases are generated and
 * how one case is judged. They look only at public contracts — a policy's `Decision`s against an
 * `EndpointView`, and the attempts and outcomes a run reports — so they hold for any implementation
 * of the rules, including user policies.
 *
 * Two levels: route-level invariants call `policy.route` directly on a synthetic view (fast; the
 * health state is generated), run-level ones simulate a small scenario with the real router and mock
 * providers.
 *
 * One file per family; shared.ts holds the invariant's shape and the helpers several families use.
 *   conservation.ts    conservation, once, commit
 *   filters.ts         filters, fallbacks
 *   billing.ts         billing
 *   ordering.ts        floor, nitro, preferred, partition
 *   load-balancing.ts  weights, price-monotone
 *   health.ts          outage, uptime
 *   byok.ts            byok
 *   sticky.ts          sticky
 *   auto.ts            auto
 *   final-status.ts    final-status
 *   determinism.ts     determinism, crn, rename
 *   capacity.ts        capacity
 * A new invariant goes into its family's file and into INVARIANTS below, where reports list it.
 */
import { auto } from "./auto.js";
import { billing } from "./billing.js";
import { byok } from "./byok.js";
import { capacity } from "./capacity.js";
import { commit, conservation, once } from "./conservation.js";
import { crn, determinism, rename } from "./determinism.js";
import { fallbacks, filters } from "./filters.js";
import { finalStatus } from "./final-status.js";
import { outage, uptime } from "./health.js";
import { priceMonotone, weights } from "./load-balancing.js";
import { floor, nitro, partition, preferred } from "./ordering.js";
import type { Invariant } from "./shared.js";
import { sticky } from "./sticky.js";

export { fingerprint } from "./determinism.js";
export type { Invariant, InvariantContext } from "./shared.js";
export { mergeBody } from "./shared.js";

/** Every invariant, in the order reports list them. */
export const INVARIANTS: readonly Invariant[] = [
  conservation,
  filters,
  fallbacks,
  once,
  billing,
  commit,
  floor,
  nitro,
  weights,
  priceMonotone,
  outage,
  uptime,
  byok,
  sticky,
  auto,
  preferred,
  partition,
  finalStatus,
  determinism,
  crn,
  rename,
  capacity,
];
