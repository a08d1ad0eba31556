/**
 * Test your own routing policy against routesim's invariants.
 *
 *   node --import tsx examples/custom-policy.ts
 *
 * (Outside this repository import from "routesim" instead of "../src/index.js".)
 */
import {
  allPassed,
  checkInvariants,
  formatTable,
  OpenRouterConfig,
  openRouterPolicy,
  type Policy,
} from "../src/index.js";

/** OpenRouter's default routing, but endpoints that failed in the last minute are tried last. */
function cautious(): Policy {
  const openrouter = openRouterPolicy("openrouter", OpenRouterConfig.parse({}));
  return {
    name: "cautious",
    route(req, view, rng) {
      const decision = openrouter.route(req, view, rng);
      if (decision.kind !== "route") return decision;
      const failedRecently = (id: number) => view.health.lastFailureMs(id) > view.now - 60_000;
      const healthy = decision.candidates.filter((id) => !failedRecently(id));
      const shaky = decision.candidates.filter(failedRecently);
      return { kind: "route", candidates: [...healthy, ...shaky] };
    },
  };
}

// Demoting shaky endpoints deliberately breaks `:floor`/`:nitro` (cheapest/fastest first), so check the
// invariants this policy promises to keep. Drop `invariants` to run them all and see the difference.
const results = checkInvariants(cautious, {
  runs: 50,
  invariants: [
    "conservation",
    "filters",
    "once",
    "billing",
    "commit",
    "outage",
    "final-status",
    "determinism",
    "crn",
  ],
});
console.log(formatTable(results));
for (const r of results.filter((x) => x.status === "fail")) console.log(`\n${r.message}\n${r.yaml}`);
process.exitCode = allPassed(results) ? 0 : 1;
