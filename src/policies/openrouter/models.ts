/** Model ids, variants (R35–R43) and the candidate model list (R51). */
import type { SortBy } from "./config.js";

export type DynamicVariant = "nitro" | "floor" | "exacto" | "online";

export interface ModelRoute {
  /** The id as requested (with any suffix). */
  readonly requested: string;
  /** Catalog model id: dynamic variants stripped, static ones (`:free`) kept (R35). */
  readonly model: string;
  readonly variant: DynamicVariant | null;
  /** Sort implied by the variant (R36–R38), or null. */
  readonly sort: SortBy | null;
  /** Service tier the variant admits (R12d). */
  readonly admitsTier: "priority" | "flex" | null;
}

const DYNAMIC: Record<string, DynamicVariant> = {
  nitro: "nitro",
  floor: "floor",
  exacto: "exacto",
  online: "online",
};

/** Splits `vendor/model:variant`; dynamic variants become a sort, static ones stay in the id. */
export function parseModel(id: string): ModelRoute {
  const colon = id.lastIndexOf(":");
  const variant = colon > 0 ? (DYNAMIC[id.slice(colon + 1)] ?? null) : null;
  if (variant === null) return { requested: id, model: id, variant: null, sort: null, admitsTier: null };
  return {
    requested: id,
    model: id.slice(0, colon),
    variant,
    sort:
      variant === "nitro"
        ? "throughput"
        : variant === "floor"
          ? "price"
          : variant === "exacto"
            ? "exacto"
            : null,
    admitsTier: variant === "nitro" ? "priority" : variant === "floor" ? "flex" : null,
  };
}

/** Memoised parse: model strings repeat across requests, so parse each once. */
export class ModelParser {
  private readonly cache = new Map<string, ModelRoute>();
  parse(id: string): ModelRoute {
    let r = this.cache.get(id);
    if (r === undefined) {
      r = parseModel(id);
      this.cache.set(id, r);
    }
    return r;
  }
}

/** R51: `[model]` + `models`, de-duplicated keeping the first occurrence. */
export function candidateIds(
  model: string | undefined,
  models: readonly string[] | undefined,
  dedupe: boolean,
): string[] {
  const ids: string[] = [];
  if (model !== undefined) ids.push(model);
  if (models) for (const m of models) if (!dedupe || !ids.includes(m)) ids.push(m);
  return ids;
}

/** R77 glob: `*` matches any run of characters, no `*` = exact match (case-insensitive, interp.). */
export function globMatch(pattern: string, id: string): boolean {
  const p = pattern.toLowerCase();
  const s = id.toLowerCase();
  if (!p.includes("*")) return p === s;
  const parts = p.split("*");
  if (!s.startsWith(parts[0])) return false;
  let at = parts[0].length;
  for (let i = 1; i < parts.length - 1; i++) {
    const k = s.indexOf(parts[i], at);
    if (k < 0) return false;
    at = k + parts[i].length;
  }
  const last = parts[parts.length - 1];
  return s.length - last.length >= at && s.endsWith(last);
}
