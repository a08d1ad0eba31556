/** Scenario provider entries → the static endpoint catalog policies see. */
import { compileDist } from "../rng/distributions.js";
import type { Endpoint, PercentileStats, Provider } from "../types.js";

export function buildCatalog(providers: readonly Provider[]): Endpoint[] {
  const uses = new Map<string, number>();
  for (const p of providers) uses.set(p.name, (uses.get(p.name) ?? 0) + 1);
  return providers.map((p, id) => {
    const slash = p.name.indexOf("/");
    return Object.freeze({
      id,
      tag: p.name,
      label: uses.get(p.name)! > 1 ? `${p.name} · ${p.model}` : p.name,
      provider: slash < 0 ? p.name : p.name.slice(0, slash),
      model: p.model,
      price: Object.freeze({
        prompt: p.price.prompt,
        completion: p.price.completion,
        request: p.price.request,
        cacheRead: p.price.cache_read ?? null,
        cacheWrite: p.price.cache_write ?? null,
        discount: p.price.discount,
      }),
      contextLength: p.context_length,
      maxCompletionTokens: p.max_completion_tokens,
      quantization: p.quantization,
      supportedParameters: new Set(p.supported_parameters),
      dataPolicy: Object.freeze({ training: p.data_policy.training, zdr: p.data_policy.zdr }),
      tier: p.tier,
      status: p.status,
      advertised: Object.freeze({
        throughput: p.stats?.throughput ?? { p50: compileDist(p.tokens_per_s).median },
        latencyS: p.stats?.latency_s ?? { p50: compileDist(p.ttft_ms).median / 1000 },
      }) as { throughput: PercentileStats; latencyS: PercentileStats },
      ...openRouterExtras(p),
    });
  });
}

/** Optional OpenRouter-specific attributes (BYOK, prompt cache, modalities, quality, R101, R119). */
function openRouterExtras(p: Provider): Partial<Endpoint> {
  const x: { -readonly [K in keyof Endpoint]?: Endpoint[K] } = {};
  if (p.byok) x.byok = Object.freeze({ section: p.byok.section, alwaysUse: p.byok.always_use });
  if (p.cache)
    x.cache = Object.freeze({
      ttlMs: p.cache.ttl_s * 1000,
      hitShare: p.cache.hit_share,
      ttftFactor: p.cache.ttft_factor,
    });
  if (p.input_modalities) x.inputModalities = Object.freeze([...p.input_modalities]);
  if (p.output_modalities) x.outputModalities = Object.freeze([...p.output_modalities]);
  if (p.quality) x.quality = Object.freeze({ ...p.quality });
  if (p.tool_choice_support) x.toolChoiceSupport = Object.freeze({ ...p.tool_choice_support });
  if (p.fast_sibling) x.fastSibling = p.fast_sibling;
  return x;
}

/** The catalog's endpoints per model, each list in catalog order (what `EndpointView.endpointsOf` answers). */
export function endpointsByModel(catalog: readonly Endpoint[]): Map<string, Endpoint[]> {
  const byModel = new Map<string, Endpoint[]>();
  for (const e of catalog) {
    const list = byModel.get(e.model);
    if (list === undefined) byModel.set(e.model, [e]);
    else list.push(e);
  }
  return byModel;
}

/** Cost of serving `prompt` + `completion` tokens on an endpoint, in USD. */
export function attemptCostUsd(e: Endpoint, promptTokens: number, completionTokens: number): number {
  const p = e.price;
  return ((promptTokens * p.prompt + completionTokens * p.completion) / 1e6 + p.request) * (1 - p.discount);
}
