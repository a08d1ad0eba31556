/**
 * Retry-After hints. Mock providers do not send headers, so routesim derives the one hint a real
 * provider would send: a 429 from a provider's token-bucket rate limit carries `Retry-After` equal
 * to the time until the bucket refills one request (60 s / rpm), rounded up to whole seconds as
 * HTTP does. Queue-full 429s and all other failures carry no hint.
 */
import type { AttemptRecord, Scenario } from "../../types.js";

export type RetryAfter = (a: AttemptRecord) => number | null;

export function retryAfterFor(scenario: Scenario): RetryAfter {
  // Catalog ids are provider indices (buildCatalog keeps the scenario's order).
  const ms = scenario.providers.map((p) =>
    p.rate_limit ? Math.max(1, Math.ceil(60 / p.rate_limit.rpm)) * 1000 : null,
  );
  return (a) => (a.status === 429 && a.error === "rate_limited" ? (ms[a.endpoint.id] ?? null) : null);
}
