// Regenerates the files derived from data/: the catalog and validation scenarios (from the
// OpenRouter snapshot) and the LLMPerf calibration (provider blocks + fit table).
// Run: node --import tsx scripts/derive-data.ts
import { main } from "../src/cli/main.js";

const steps: string[][] = [
  [
    "catalog",
    "import",
    "data/openrouter-snapshot/per_model_endpoints/meta-llama_llama-3.3-70b-instruct.csv",
    "--scenario",
    "llama-3.3-70b",
    "-o",
    "scenarios/catalog/llama-3.3-70b.yaml",
  ],
  [
    "catalog",
    "import",
    "data/openrouter-snapshot/deepseek-chat-v3-0324_endpoints_full.json",
    "--scenario",
    "deepseek-v3",
    "-o",
    "scenarios/validation/deepseek-v3.yaml",
  ],
  [
    "calibrate",
    "data/llmperf",
    "-o",
    "data/llmperf/calibrated-providers.yaml",
    "--table",
    "data/llmperf/calibration-fit.md",
  ],
];
for (const args of steps) {
  const code = await main(args);
  if (code !== 0) process.exit(code);
  console.log(`routesim ${args.join(" ")}`);
}
