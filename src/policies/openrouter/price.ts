/** R24a: the single price load balancing and `sort: "price"` compare. */
import type { Endpoint } from "../../types.js";
import type { OpenRouterConfig } from "./config.js";

export function weightingPrice(e: Endpoint, cfg: OpenRouterConfig): number {
  const p = e.price;
  const base =
    cfg.priceBasis === "prompt"
      ? p.prompt
      : cfg.priceBasis === "completion"
        ? p.completion
        : cfg.inputShare * p.prompt + (1 - cfg.inputShare) * p.completion;
  return (base + (cfg.includeRequestFee ? p.request * 1e6 : 0)) * (1 - p.discount);
}
