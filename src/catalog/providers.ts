/**
 * Endpoint records → scenario provider entries. The sources give medians only (sometimes a few
 * percentiles), so the spread is assumed: TTFT is lognormal around the median latency with
 * σ = DEFAULT_TTFT_SIGMA (or fitted from p90 when given); throughput is normal around the median
 * with cv = DEFAULT_TPS_CV (or fitted from p90). Outliers are clipped (see CLIP) and missing
 * stats borrow the median of the model's other endpoints; every such change is listed in `notes`.
 */
import { type Document, isMap, parseDocument, stringify, type YAMLMap, type YAMLSeq } from "yaml";
import { Quantization, type ScenarioInput } from "../scenario/schema.js";
import type { SourceEndpoint } from "./sources.js";

type ProviderInput = ScenarioInput["providers"][number];

/** σ of ln(TTFT): p99/p50 ≈ 2.5, about what LLMPerf measured for most 70B providers (docs/traces.md). */
export const DEFAULT_TTFT_SIGMA = 0.4;
/** Coefficient of variation of per-request decode speed. */
export const DEFAULT_TPS_CV = 0.15;
/** Documented outlier clipping. */
export const CLIP = {
  throughputMin: 5,
  throughputMax: 2500,
  latencyMinMs: 50,
  latencyMaxMs: 20_000,
} as const;

const Z90 = 1.2815515655446004;

export interface ImportedProvider {
  provider: ProviderInput;
  source: SourceEndpoint;
  notes: string[];
}

function perMillion(perToken: number): number {
  return Number((perToken * 1e6).toPrecision(10));
}

function round(x: number, digits = 6): number {
  return Number(x.toPrecision(digits));
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "provider"
  );
}

const QUANTS = new Set<string>(Quantization.options);

/** R119: only the flags that are false (the provider schema defaults each one to true). */
function toolChoiceSupport(e: SourceEndpoint): Pick<ProviderInput, "tool_choice_support"> {
  if (e.toolChoice === null) return {};
  const off = Object.entries(e.toolChoice).filter(([, v]) => !v);
  return off.length > 0 ? { tool_choice_support: Object.fromEntries(off) } : {};
}

/** Builds provider entries for one model's endpoints. */
export function toProviders(endpoints: readonly SourceEndpoint[]): ImportedProvider[] {
  const usable = (x: number | undefined) => x !== undefined && x > 0;
  const medT = median(endpoints.map((e) => e.throughput.p50).filter(usable) as number[]) ?? 50;
  const medL = median(endpoints.map((e) => e.latencyMs.p50).filter(usable) as number[]) ?? 500;
  const used = new Map<string, number>();
  return endpoints.map((e) => {
    const notes: string[] = [];
    let base = e.tag && /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/.test(e.tag) ? e.tag : slug(e.providerName);
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    if (n > 1) {
      base = `${base.split("/")[0]}/${n}`;
      notes.push(`second listing of ${e.providerName}: named ${base}`);
    }

    let tps = e.throughput.p50;
    if (!usable(tps)) {
      notes.push(`no throughput in the source: using the model's median ${round(medT)} tok/s`);
      tps = medT;
    }
    const tpsClipped = Math.min(CLIP.throughputMax, Math.max(CLIP.throughputMin, tps!));
    if (tpsClipped !== tps) notes.push(`throughput ${tps} tok/s clipped to ${tpsClipped}`);
    let lat = e.latencyMs.p50;
    if (!usable(lat)) {
      notes.push(`no latency in the source: using the model's median ${round(medL)} ms`);
      lat = medL;
    }
    const latClipped = Math.min(CLIP.latencyMaxMs, Math.max(CLIP.latencyMinMs, lat!));
    if (latClipped !== lat) notes.push(`latency ${lat} ms clipped to ${latClipped}`);

    let sigma = DEFAULT_TTFT_SIGMA;
    if (e.latencyMs.p50 && e.latencyMs.p90 && e.latencyMs.p90 > e.latencyMs.p50)
      sigma = Math.min(1.5, Math.max(0.1, Math.log(e.latencyMs.p90 / e.latencyMs.p50) / Z90));
    let cv = DEFAULT_TPS_CV;
    // Throughput "p90" in OpenRouter's listing may be the slow or the fast side; use the distance.
    if (e.throughput.p50 && e.throughput.p90)
      cv = Math.min(
        0.5,
        Math.max(0.05, Math.abs(e.throughput.p90 - e.throughput.p50) / e.throughput.p50 / Z90),
      );

    const quant = e.quantization && QUANTS.has(e.quantization) ? e.quantization : "unknown";
    const provider: ProviderInput = {
      name: base,
      model: e.model,
      price: {
        prompt: perMillion(e.pricePrompt),
        completion: perMillion(e.priceCompletion),
        ...(e.priceRequest > 0 ? { request: e.priceRequest } : {}),
        ...(e.pricePromptCacheRead !== null ? { cache_read: perMillion(e.pricePromptCacheRead) } : {}),
      },
      ...(e.contextLength ? { context_length: Math.round(e.contextLength) } : {}),
      ...(e.maxCompletionTokens ? { max_completion_tokens: Math.round(e.maxCompletionTokens) } : {}),
      quantization: quant as ProviderInput["quantization"],
      ...(e.status !== 0 ? { status: e.status } : {}),
      ttft_ms: { dist: "lognormal", median: round(latClipped), sigma: round(sigma, 3) },
      tokens_per_s: { dist: "normal", mean: round(tpsClipped), cv: round(cv, 3) },
      ...(e.uptime !== null && e.uptime < 1 ? { error_rate: round(1 - e.uptime, 4) } : {}),
      stats: { throughput: { p50: round(tpsClipped) }, latency_s: { p50: round(latClipped / 1000) } },
      ...toolChoiceSupport(e),
    };
    return { provider, source: e, notes };
  });
}

/** Renders provider entries as YAML (a `providers:` block, each with a comment on its source). */
export function providersYaml(imported: readonly ImportedProvider[], header: string[]): string {
  const doc: Document = parseDocument(
    stringify({ providers: imported.map((p) => p.provider) }, { lineWidth: 0 }),
  );
  if (header.length > 0) doc.commentBefore = header.map((h) => ` ${h}`).join("\n");
  const seq = doc.get("providers", true) as unknown as YAMLSeq<YAMLMap>;
  // One line per nested map (price, ttft_ms, ...) keeps a 20-endpoint catalog readable.
  for (const item of seq.items) for (const pair of item.items) if (isMap(pair.value)) pair.value.flow = true;
  imported.forEach((p, i) => {
    const s = p.source;
    const lines = [
      ` ${s.providerName}${s.tag ? ` (${s.tag})` : ""}: $${perMillion(s.pricePrompt)}/$${perMillion(s.priceCompletion)} per M` +
        `, p50 ${s.throughput.p50 ?? "n/a"} tok/s, p50 ${s.latencyMs.p50 ?? "n/a"} ms` +
        (s.requestCount !== null ? `, ${s.requestCount} requests` : ""),
      ...p.notes.map((n) => ` note: ${n}`),
    ];
    seq.items[i].commentBefore = lines.join("\n");
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
