/**
 * How gateway deployments map to scenario endpoints (documented in docs/gateways-model.md):
 *
 * 1. An explicit id (LiteLLM `model_info.id`) equal to an endpoint tag selects that endpoint.
 * 2. Otherwise the provider slug (LiteLLM: the text before the first `/` of `litellm_params.model`;
 *    Portkey: `provider`) is normalised through a small alias table (`together_ai`, `together-ai`
 *    → `together`, …) and compared with the scenario's provider slugs.
 * 3. If that provider has one endpoint, it is the match. If it has several (several models), the
 *    model id must pick one: equal ignoring case, or the endpoint model's last path segment occurs
 *    in the configured model's last segment, ignoring case (`Meta-Llama-3.1-8B-Instruct` →
 *    `llama-3.1-8b-instruct`); the longest such segment wins, a tie is an error.
 * Anything else is an error message naming what was tried.
 */
import type { Endpoint } from "../../types.js";

const ALIASES: Record<string, string> = {
  together_ai: "together",
  "together-ai": "together",
  togetherai: "together",
  fireworks_ai: "fireworks",
  "fireworks-ai": "fireworks",
  fireworksai: "fireworks",
  vertex_ai: "google-vertex",
  "vertex-ai": "google-vertex",
  gemini: "google-ai-studio",
  google: "google-ai-studio",
  bedrock: "amazon-bedrock",
  "mistral-ai": "mistral",
  mistralai: "mistral",
  "perplexity-ai": "perplexity",
  azure_ai: "azure",
  "azure-openai": "azure",
  "azure-ai": "azure",
  "nebius-ai": "nebius",
  "lambda-labs": "lambda",
  lambda_ai: "lambda",
  "sambanova-ai": "sambanova",
  "cerebras-ai": "cerebras",
};

export function normaliseProvider(slug: string): string {
  const s = slug.toLowerCase();
  return ALIASES[s] ?? s;
}

function lastSegment(m: string): string {
  const i = m.lastIndexOf("/");
  return (i < 0 ? m : m.slice(i + 1)).toLowerCase();
}

/** Narrows endpoints of one provider to the one serving `model`, or returns null if unclear. */
function byModel(eps: readonly Endpoint[], model: string | undefined): Endpoint | null {
  if (eps.length === 1) return eps[0];
  if (model === undefined) return null;
  const exact = eps.filter((e) => e.model.toLowerCase() === model.toLowerCase());
  if (exact.length === 1) return exact[0];
  const seg = lastSegment(model);
  let best: Endpoint | null = null;
  let bestLen = -1;
  let tie = false;
  for (const e of eps) {
    const es = lastSegment(e.model);
    if (!seg.includes(es)) continue;
    if (es.length > bestLen) {
      best = e;
      bestLen = es.length;
      tie = false;
    } else if (es.length === bestLen) tie = true;
  }
  return tie ? null : best;
}

export type Match = { ok: true; endpoint: Endpoint } | { ok: false; message: string };

/** Applies the mapping rule; `id` is an explicit deployment id (may be undefined). */
export function matchEndpoint(
  catalog: readonly Endpoint[],
  provider: string,
  model: string | undefined,
  id?: string,
): Match {
  if (id !== undefined) {
    const tagged = catalog.filter((e) => e.tag === id);
    const hit = byModel(tagged, model);
    if (hit) return { ok: true, endpoint: hit };
  }
  const slug = normaliseProvider(provider);
  const same = catalog.filter((e) => e.provider.toLowerCase() === slug);
  if (same.length === 0) {
    const known = [...new Set(catalog.map((e) => e.provider))].join(", ");
    return {
      ok: false,
      message: `provider "${provider}" (normalised "${slug}") matches no scenario provider; scenario providers: ${known}`,
    };
  }
  const hit = byModel(same, model);
  if (hit) return { ok: true, endpoint: hit };
  return {
    ok: false,
    message: `provider "${provider}" has ${same.length} endpoints (${same.map((e) => `${e.tag}: ${e.model}`).join("; ")}) and model "${model ?? "(none)"}" picks none of them unambiguously`,
  };
}

/** Words in model ids that say nothing about which model it is. */
const GENERIC = new Set([
  "instruct",
  "chat",
  "models",
  "model",
  "accounts",
  "latest",
  "preview",
  "versatile",
  "turbo",
  "meta",
]);

/** The words of a model id that name it: `llama`, `70b`, `mixtral` (not `3`, `instruct`). */
function nameWords(m: string): Set<string> {
  return new Set(
    m
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length >= 3 && /[a-z]/.test(w) && !GENERIC.has(w)),
  );
}

/**
 * A warning when the endpoint a deployment maps to (its provider's only one, or an explicit id)
 * serves a model the configured one does not name at all: the simulation then runs that
 * endpoint's model (issue 25 item 3). Providers' own spellings of one model
 * (`llama-3.3-70b-versatile`, `accounts/fireworks/models/llama-v3p3-70b-instruct`) share a word
 * with the endpoint's model and pass. Null when no model is configured.
 */
export function modelMismatch(e: Endpoint, model: string | undefined): string | null {
  if (model === undefined || model === "") return null;
  if (e.model.toLowerCase() === model.toLowerCase()) return null;
  if (lastSegment(model).includes(lastSegment(e.model))) return null;
  const served = nameWords(e.model);
  for (const w of nameWords(model)) if (served.has(w)) return null;
  return `configures model "${model}" but maps to endpoint ${e.label}, which serves "${e.model}": the simulation runs it as ${e.model}`;
}
