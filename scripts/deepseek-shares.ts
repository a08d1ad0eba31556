// Compares the default policy's simulated provider shares on scenarios/validation/deepseek-v3.yaml
// with the real per-endpoint request counts in the OpenRouter snapshot (README "traces" section).
// Run: node --import tsx scripts/deepseek-shares.ts
import { readFileSync } from "node:fs";
import { loadScenario, simulate } from "../src/index.js";

interface Ep {
  provider_slug: string;
  provider_name: string;
  quantization: string | null;
  pricing: { prompt: string; completion: string };
  stats: { p50_throughput: number; p50_latency: number; request_count: number };
  status: number;
}
const eps = (
  JSON.parse(readFileSync("data/openrouter-snapshot/deepseek-chat-v3-0324_endpoints_full.json", "utf8")) as {
    data: Ep[];
  }
).data;
const loaded = loadScenario("scenarios/validation/deepseek-v3.yaml");
const { summary } = simulate(loaded, { policies: ["default"] });
const share = summary.policies[0].providerShare;
const total = eps.reduce((s, e) => s + e.stats.request_count, 0);
// Inverse-square weights of the blended price (½ prompt + ½ completion, the default policy's
// weighting price) over routable endpoints.
const price = (e: Ep) => Number(e.pricing.prompt) * 1e6;
const blend = (e: Ep) => 0.5 * price(e) + 0.5 * Number(e.pricing.completion) * 1e6;
const w = eps.map((e) => (e.status === 0 ? 1 / blend(e) ** 2 : 0));
const wsum = w.reduce((a, b) => a + b, 0);
const rows = eps
  .map((e, i) => ({
    e,
    obs: e.stats.request_count / total,
    sim: share[e.provider_slug] ?? 0,
    inv: w[i] / wsum,
  }))
  .sort((a, b) => b.obs - a.obs);
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
console.log(
  "| endpoint | quant | prompt / completion $/M | p50 tok/s | p50 latency ms | observed share | simulated (default) | inverse-square blended price |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const { e, obs, sim, inv } of rows)
  console.log(
    `| ${e.provider_slug}${e.status !== 0 ? ` (status ${e.status})` : ""} | ${e.quantization ?? "–"} | ${price(e).toFixed(2)} / ${(Number(e.pricing.completion) * 1e6).toFixed(2)} | ${e.stats.p50_throughput} | ${e.stats.p50_latency} | ${pct(obs)} | ${pct(sim)} | ${pct(inv)} |`,
  );
const tv = rows.reduce((s, r) => s + Math.abs(r.obs - r.sim), 0) / 2;
console.log(
  `\nTotal variation distance observed vs simulated: ${pct(tv)} (${summary.requests} simulated requests).`,
);
