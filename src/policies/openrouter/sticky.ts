/**
 * Provider sticky routing for prompt caching (R82–R88): per (model, conversation key) the endpoint
 * a conversation was last served by, kept `stickyTtlMs` after its last success.
 */
import type { Endpoint } from "../../types.js";
import type { OpenRouterConfig } from "./config.js";

interface StickyRecord {
  endpoint: number;
  lastMs: number;
}

export class StickyStore {
  private readonly records = new Map<string, StickyRecord>();

  constructor(private readonly cfg: OpenRouterConfig) {}

  private static key(model: string, conversation: string): string {
    return `${model}\u0000${conversation}`;
  }

  /** The live sticky endpoint id for the conversation on this model, or -1 (R87 expiry). */
  lookup(model: string, conversation: string, now: number): number {
    const r = this.records.get(StickyStore.key(model, conversation));
    if (r === undefined) return -1;
    if (now - r.lastMs > this.cfg.stickyTtlMs) {
      this.records.delete(StickyStore.key(model, conversation));
      return -1;
    }
    return r.endpoint;
  }

  /**
   * After a successful request (R84, R85, R87, R88): writes or refreshes the record. `explicit`
   * = the request carried a conversation key; otherwise only a cache read activates stickiness.
   */
  served(e: Endpoint, conversation: string, explicit: boolean, cachedTokens: number, now: number): void {
    const p = e.price;
    if (p.cacheRead === null || p.cacheRead >= p.prompt) return; // R85: no cache discount, no pin
    if (!explicit && cachedTokens <= 0) return; // R84
    const k = StickyStore.key(e.model, conversation);
    const r = this.records.get(k);
    if (r !== undefined && r.endpoint !== e.id && now - r.lastMs <= this.cfg.stickyTtlMs) {
      if (!this.cfg.stickyRepinOnFallbackSuccess) return;
    }
    this.records.set(k, { endpoint: e.id, lastMs: now });
  }

  get size(): number {
    return this.records.size;
  }
}
