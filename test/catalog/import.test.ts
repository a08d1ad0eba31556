import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { CLIP, DEFAULT_TPS_CV, DEFAULT_TTFT_SIGMA } from "../../src/catalog/providers.js";
import { catalogImport } from "../../src/cli/catalog.js";
import { InputError, scenarioFromObject, simulate } from "../../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "routesim-catalog-"));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

type P = {
  name: string;
  model: string;
  price: { prompt: number; completion: number };
  status?: number;
  quantization: string;
  error_rate?: number;
  ttft_ms: { median: number; sigma: number };
  tokens_per_s: { mean: number; cv: number };
  stats: { throughput: { p50: number }; latency_s: { p50: number } };
};
const providersOf = (yaml: string) => (parseDocument(yaml).toJS() as { providers: P[] }).providers;

const website = {
  data: [
    {
      provider_name: "DeepInfra",
      provider_slug: "deepinfra/fp4",
      model_variant_permaslug: "deepseek/deepseek-chat-v3-0324",
      quantization: "fp4",
      context_length: 163840,
      max_completion_tokens: 16384,
      pricing: { prompt: "0.00000028", completion: "0.00000088", request: "0" },
      stats: { p50_throughput: 17.647, p50_latency: 385, request_count: 28771 },
      status: 0,
    },
    {
      provider_name: "DeepSeek",
      provider_slug: "deepseek/fp8",
      model_variant_permaslug: "deepseek/deepseek-chat-v3-0324",
      quantization: "fp8",
      context_length: 128000,
      pricing: { prompt: "0.00000027", completion: "0.0000011" },
      stats: { p50_throughput: 5000, p50_latency: 65000, request_count: 2167 },
      status: -3,
    },
  ],
};

const api = {
  data: {
    id: "openai/gpt-4",
    name: "GPT-4",
    endpoints: [
      {
        name: "OpenAI: GPT-4",
        context_length: 8192,
        pricing: { prompt: "0.00003", completion: "0.00006", request: "0", image: "0" },
        provider_name: "OpenAI",
        tag: "openai",
        quantization: "fp16",
        max_completion_tokens: 4096,
        supported_parameters: ["temperature"],
        status: "default",
        uptime_last_30m: 99.5,
        latency_last_30m: { p50: 0.25, p75: 0.35, p90: 0.48, p99: 0.85 },
        throughput_last_30m: { p50: 45.2, p75: 38.5, p90: 28.3, p99: 15.1 },
      },
      {
        provider_name: "Azure",
        tag: "azure",
        context_length: 8192,
        pricing: { prompt: "0.00003", completion: "0.00006" },
        quantization: null,
        status: "offline",
      },
    ],
  },
};

const csv = [
  "name,max_completion_tokens,context_length,pricing_prompt,pricing_completion,p50_throughput,p50_latency",
  "Crusoe | meta-llama/llama-3.3-70b-instruct,8192.0,131072,0.000000039,0.00000012,12.615,2669",
  "DeepInfra | meta-llama/llama-3.3-70b-instruct,16384.0,131072,0.00000005,0.00000017,35.294,171",
  "DeepInfra | meta-llama/llama-3.3-70b-instruct,,131072,0.00000023,0.0000004,35.549,545",
  "Google | meta-llama/llama-3.3-70b-instruct,,128000,0.00000072,0.00000072,N/A,N/A",
  "Cerebras | meta-llama/llama-3.3-70b-instruct,32000.0,32000,0.00000085,0.0000012,3142.857,172",
].join("\n");

describe("catalog import", () => {
  it("website stats shape: tags, per-million prices, quantization, status and clipped outliers", () => {
    const ps = providersOf(catalogImport(file("web.json", JSON.stringify(website)), {}));
    expect(ps.map((p) => p.name)).toEqual(["deepinfra/fp4", "deepseek/fp8"]);
    expect(ps[0].model).toBe("deepseek/deepseek-chat-v3-0324");
    expect(ps[0].price).toEqual({ prompt: 0.28, completion: 0.88 });
    expect(ps[0].quantization).toBe("fp4");
    expect(ps[0].ttft_ms).toEqual({ dist: "lognormal", median: 385, sigma: DEFAULT_TTFT_SIGMA });
    expect(ps[0].tokens_per_s).toEqual({ dist: "normal", mean: 17.647, cv: DEFAULT_TPS_CV });
    expect(ps[0].stats).toEqual({ throughput: { p50: 17.647 }, latency_s: { p50: 0.385 } });
    expect(ps[1].status).toBe(-3);
    expect(ps[1].tokens_per_s.mean).toBe(CLIP.throughputMax);
    expect(ps[1].ttft_ms.median).toBe(CLIP.latencyMaxMs);
  });

  it("public API shape: latency in seconds, spreads fitted from p90, uptime as error rate, status words", () => {
    const ps = providersOf(catalogImport(file("api.json", JSON.stringify(api)), {}));
    expect(ps.map((p) => p.name)).toEqual(["openai", "azure"]);
    expect(ps[0].model).toBe("openai/gpt-4");
    expect(ps[0].price).toEqual({ prompt: 30, completion: 60 });
    expect(ps[0].ttft_ms.median).toBe(250);
    expect(ps[0].ttft_ms.sigma).toBeCloseTo(Math.log(0.48 / 0.25) / 1.2816, 2);
    expect(ps[0].tokens_per_s.cv).toBeCloseTo((45.2 - 28.3) / 45.2 / 1.2816, 2);
    expect(ps[0].error_rate).toBeCloseTo(0.005, 6);
    expect(ps[1].status).toBe(-1);
    expect(ps[1].quantization).toBe("unknown");
  });

  it("per-model CSV: names from the provider column, duplicates numbered, missing stats borrowed", () => {
    const yaml = catalogImport(file("m.csv", csv), {});
    const ps = providersOf(yaml);
    expect(ps.map((p) => p.name)).toEqual(["crusoe", "deepinfra", "deepinfra/2", "google", "cerebras"]);
    expect(ps[0].price).toEqual({ prompt: 0.039, completion: 0.12 });
    // Google has no stats: the median of the other four (middle two: 35.294, 35.549 tok/s; 172, 545 ms).
    expect(ps[3].tokens_per_s.mean).toBeCloseTo((35.294 + 35.549) / 2, 4);
    expect(ps[3].ttft_ms.median).toBe((172 + 545) / 2);
    expect(ps[4].tokens_per_s.mean).toBe(CLIP.throughputMax);
    expect(yaml).toContain("note: throughput 3142.857 tok/s clipped to 2500");
    expect(yaml).toContain("# Crusoe: $0.039/$0.12 per M");
  });

  it("--model overrides the model; --scenario emits a scenario that loads and runs", () => {
    const yaml = catalogImport(file("m2.csv", csv), { model: "x/y", scenario: "imported" });
    const obj = parseDocument(yaml).toJS() as { providers: P[] };
    expect(obj.providers.every((p) => p.model === "x/y")).toBe(true);
    const loaded = scenarioFromObject(obj, { requests: 200 });
    const { summary } = simulate(loaded, { policies: ["default"] });
    expect(summary.policies[0].requests).toBe(200);
  });

  it("rejects unknown shapes and bad prices with a path", () => {
    expect(() => catalogImport(file("x.json", '{"data": 3}'), {})).toThrow(InputError);
    const bad = structuredClone(website);
    (bad.data[1].pricing as { prompt: string }).prompt = "free";
    try {
      catalogImport(file("bad.json", JSON.stringify(bad)), {});
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).problems[0].path).toBe("data[1].pricing.prompt");
    }
    expect(() => catalogImport(file("h.csv", "a,b\n1,2\n"), {})).toThrow(/missing "name"/);
  });
});
