/**
 * OpenRouter response caching (spec R106), ahead of routing: a request whose body repeats an
 * earlier one (same traffic `bodyKey`, model and streaming mode) within the TTL gets the stored 200
 * without any provider call. Entries are stored when a response completes, never at arrival, so
 * identical requests in flight together all miss (no coalescing). Errors are never stored.
 */
import type { Endpoint, PolicySpec, RoutedRequest } from "../types.js";

export interface ResponseCacheSettings {
  /** Entry lifetime in ms (R106: 1..86,400 s, default 300 s). */
  readonly ttlMs: number;
}

export const DEFAULT_CACHE_TTL_S = 300;
export const MAX_CACHE_TTL_S = 86_400;

/**
 * R106 precedence for one policy: preset `cache_enabled: false` beats everything; the policy-level
 * `response_cache` (the spec's header) decides next; a preset `cache_enabled: true` enables when
 * the policy is silent; neither → off (null). TTL: the policy's `ttl_s`, else the preset's
 * `cache_ttl_seconds`, else 300 s. OpenRouter only; other kinds never cache.
 */
export function responseCacheFor(spec: PolicySpec): ResponseCacheSettings | null {
  if (spec.kind !== "openrouter") return null;
  const preset = spec.request.cache_enabled;
  const header = spec.response_cache;
  if (preset === false || header?.enabled === false) return null;
  if (header?.enabled !== true && preset !== true) return null;
  const ttlS = header?.ttl_s ?? spec.request.cache_ttl_seconds ?? DEFAULT_CACHE_TTL_S;
  return { ttlMs: ttlS * 1000 };
}

interface Entry {
  readonly storedMs: number;
  readonly endpoint: Endpoint;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(private readonly settings: ResponseCacheSettings) {}

  /** The cache key, or null for a request without a body key (it never hits nor stores). */
  keyOf(req: RoutedRequest): string | null {
    const k = req.bodyKey;
    if (k === undefined) return null;
    // Model and stream flag of the body (the traffic model when the body names none).
    const model = req.body.model ?? req.body.models?.join(",") ?? req.model;
    return `${k}\u0000${model}\u0000${req.body.stream === true ? 1 : 0}`;
  }

  /** The endpoint whose stored response answers `key` at `nowMs`, or null (a miss). */
  lookup(key: string, nowMs: number): Endpoint | null {
    const e = this.entries.get(key);
    if (e !== undefined && nowMs - e.storedMs < this.settings.ttlMs) {
      this.hits++;
      return e.endpoint;
    }
    if (e !== undefined) this.entries.delete(key); // expired
    this.misses++;
    return null;
  }

  /** A 200 completed at `nowMs`: (re)store it, restarting the TTL. */
  store(key: string, endpoint: Endpoint, nowMs: number): void {
    this.entries.delete(key); // re-insert: the map stays in storage order for pruning
    this.entries.set(key, { storedMs: nowMs, endpoint });
    // Entries are kept in storage order, so expired ones are at the front: drop a few per store
    // to keep memory bounded by the TTL window.
    for (let i = 0; i < 2; i++) {
      const first = this.entries.entries().next();
      if (first.done || nowMs - first.value[1].storedMs < this.settings.ttlMs) break;
      this.entries.delete(first.value[0]);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
