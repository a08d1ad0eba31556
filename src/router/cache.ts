/**
 * Provider-side prompt caches: a conversation's prefix stays cached at an endpoint for the
 * endpoint's `cache.ttlMs` after its last successful use there. A hit reads `hitShare` of the
 * prompt from the cache (billed at the cache-read price) and scales TTFT by `ttftFactor`.
 */
import type { Endpoint } from "../types.js";

export class ProviderCaches {
  private readonly last = new Map<string, number>();

  /** Cached prompt tokens for this attempt (0 = miss or no cache). */
  cachedTokens(e: Endpoint, conversation: string | undefined, promptTokens: number, now: number): number {
    if (e.cache === undefined || conversation === undefined) return 0;
    const t = this.last.get(`${e.id}\u0000${conversation}`);
    if (t === undefined || now - t > e.cache.ttlMs) return 0;
    return Math.floor(promptTokens * e.cache.hitShare);
  }

  /** A successful attempt (re)writes the conversation's prefix to the endpoint's cache. */
  served(e: Endpoint, conversation: string | undefined, now: number): void {
    if (e.cache === undefined || conversation === undefined) return;
    this.last.set(`${e.id}\u0000${conversation}`, now);
  }
}
