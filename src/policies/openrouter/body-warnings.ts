/** What a policy's OpenRouter body asks for that routesim does not model (listed in the report). */
import { REQUEST_BODY_FIELDS, type RequestBody } from "../../types.js";

const KNOWN: ReadonlySet<string> = new Set(REQUEST_BODY_FIELDS);

/** Plugin ids routesim models (R20 compression, R77 Auto Router settings, R118 switchyard). */
const MODELLED_PLUGINS = new Set([
  "context-compression",
  "auto-router",
  "auto-beta-router",
  "switchyard-router",
]);

/**
 * Warnings for a policy body (`request` at `path`): fields OpenRouter acts on that routesim does not
 * model, and top-level fields that are not chat fields of SDK 1.3.19 (accepted, ignored). Fields
 * with no routing effect at OpenRouter either (user, metadata, trace, …) are not warned about.
 */
export function requestBodyWarnings(body: RequestBody, path: string): string[] {
  const out: string[] = [];
  for (const k of Object.keys(body))
    if (!KNOWN.has(k))
      out.push(`${path}.${k}: not a chat request field of @openrouter/sdk 1.3.19; accepted and ignored`);
  (body.plugins ?? []).forEach((p, i) => {
    // R118 (interp.): the switchyard chooses among Auto Router candidates; other models have none.
    if (p.id === "switchyard-router" && !String(body.model ?? "").startsWith("openrouter/auto"))
      out.push(`${path}.plugins[${i}]: switchyard-router acts only with an openrouter/auto* model; ignored`);
    if (!MODELLED_PLUGINS.has(String(p.id)))
      out.push(
        `${path}.plugins[${i}]: plugin "${String(p.id)}" does not affect routing in routesim; ignored`,
      );
  });
  return out;
}
