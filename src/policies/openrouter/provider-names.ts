/**
 * Provider display names → slugs (R99). `order`/`only`/`ignore` are typed `(ProviderName | string)[]`
 * where ProviderName is the SDK's open enum of display names ("Amazon Bedrock", "Google AI Studio").
 *
 * Source: the names are every value of `ProviderName` in `@openrouter/sdk` 1.3.19
 * (`esm/models/providername.d.ts`, 2026-09-23; test/policies/openrouter/provider-names.test.ts fails
 * when a pinned SDK has a name missing here) plus "SpaceXAI" (docs commit b36f7b0 renamed xAI's
 * display name; R99 says accept both). Slugs marked `snapshot` are the `provider_slug` of that
 * `provider_name` in data/openrouter-snapshot; the others are OpenRouter's provider slugs as known
 * (amazon-bedrock, google-vertex, moonshotai, …) or the name lowercased and hyphenated. Slugs are
 * compared ignoring hyphens, dots and underscores (`slugKey`), so `x-ai` and `xai` both match xAI.
 */
export const PROVIDER_DISPLAY_NAMES: readonly (readonly [string, string])[] = [
  ["Modal", "modal"],
  ["AkashML", "akashml"],
  ["AI21", "ai21"],
  ["AionLabs", "aion-labs"],
  ["Alibaba", "alibaba"],
  ["Ambient", "ambient"],
  ["Baidu", "baidu"],
  ["Amazon Bedrock", "amazon-bedrock"],
  ["Amazon Nova", "amazon-nova"],
  ["Anthropic", "anthropic"],
  ["Arcee AI", "arcee-ai"],
  ["AssemblyAI", "assemblyai"],
  ["AtlasCloud", "atlas-cloud"],
  ["Avian", "avian"],
  ["Azure", "azure"],
  ["BaseTen", "baseten"], // snapshot
  ["BytePlus", "byteplus"],
  ["Black Forest Labs", "black-forest-labs"],
  ["Cerebras", "cerebras"],
  ["Chutes", "chutes"],
  ["Cirrascale", "cirrascale"],
  ["Claude Platform on AWS", "claude-platform-on-aws"],
  ["Clarifai", "clarifai"],
  ["Cloudflare", "cloudflare"],
  ["Cohere", "cohere"],
  ["CoreWeave", "coreweave"],
  ["Cosine", "cosine"],
  ["Crucible", "crucible"],
  ["Crusoe", "crusoe"], // snapshot
  ["Darkbloom", "darkbloom"],
  ["Databricks", "databricks"],
  ["Decart", "decart"],
  ["Deepgram", "deepgram"],
  ["DeepInfra", "deepinfra"], // snapshot
  ["DeepSeek", "deepseek"], // snapshot
  ["DekaLLM", "dekallm"],
  ["DigitalOcean", "digitalocean"],
  ["Featherless", "featherless"],
  ["Fireworks", "fireworks"], // snapshot
  ["Fish Audio", "fish-audio"],
  ["Friendli", "friendli"],
  ["GMICloud", "gmicloud"], // snapshot
  ["Google", "google-vertex"],
  ["Google AI Studio", "google-ai-studio"],
  ["Groq", "groq"],
  ["HeyGen", "heygen"],
  ["Inception", "inception"],
  ["Inceptron", "inceptron"],
  ["InferenceNet", "inference-net"], // snapshot
  ["Ionstream", "ionstream"],
  ["Infermatic", "infermatic"],
  ["Io Net", "io-net"],
  ["Inferact vLLM", "inferact-vllm"],
  ["Inflection", "inflection"],
  ["Liquid", "liquid"],
  ["Makora", "makora"],
  ["Mara", "mara"],
  ["Mancer 2", "mancer"],
  ["Meta", "meta"],
  ["Minimax", "minimax"],
  ["ModelRun", "modelrun"],
  ["Mistral", "mistral"],
  ["Modular", "modular"],
  ["Moonshot AI", "moonshotai"],
  ["Morph", "morph"],
  ["VoyageAI by MongoDB", "voyageai-by-mongodb"],
  ["TypeSafe", "typesafe"],
  ["Near AI", "near-ai"],
  ["Nebius", "nebius"], // snapshot
  ["Nex AGI", "nex-agi"],
  ["NextBit", "nextbit"],
  ["Novita", "novita"], // snapshot
  ["Nvidia", "nvidia"],
  ["Ollama", "ollama"],
  ["OpenAI", "openai"],
  ["OpenInference", "open-inference"],
  ["Parasail", "parasail"], // snapshot
  ["Poolside", "poolside"],
  ["PrimeIntellect", "prime-intellect"],
  ["Perceptron", "perceptron"],
  ["Perplexity", "perplexity"],
  ["Phala", "phala"], // snapshot
  ["Recraft", "recraft"],
  ["Reka", "reka"],
  ["Relace", "relace"],
  ["Sail Research", "sail-research"],
  ["Sakana AI", "sakana-ai"],
  ["SambaNova", "sambanova"], // snapshot
  ["Seed", "seed"],
  ["SiliconFlow", "siliconflow"],
  ["Sourceful", "sourceful"],
  ["StepFun", "stepfun"],
  ["Stealth", "stealth"],
  ["StreamLake", "streamlake"],
  ["Switchpoint", "switchpoint"],
  ["Tencent", "tencent"],
  ["Tenstorrent", "tenstorrent"],
  ["Thinking Machines", "thinking-machines"],
  ["Together", "together"], // snapshot
  ["Unbiased", "unbiased"],
  ["Upstage", "upstage"],
  ["Venice", "venice"],
  ["Wafer", "wafer"],
  ["WandB", "wandb"],
  ["Quiver", "quiver"],
  ["Krea", "krea"],
  ["Runway", "runway"],
  ["Xiaomi", "xiaomi"],
  ["xAI", "xai"],
  ["Z.AI", "z-ai"],
  ["FakeProvider", "fakeprovider"],
  ["SpaceXAI", "xai"], // docs rename of xAI (2026-08-04); the SDK enum still says xAI
];

const BY_NAME = new Map(PROVIDER_DISPLAY_NAMES.map(([name, slug]) => [name.toLowerCase(), slug]));

/** A slug without separators: what display-name matches compare (`amazon-bedrock` → `amazonbedrock`). */
export function slugKey(s: string): string {
  return s.toLowerCase().replace(/[-._\s]+/g, "");
}

/** The slug a display name stands for (case-insensitive), or undefined. */
export function slugOfDisplayName(name: string): string | undefined {
  return BY_NAME.get(name.toLowerCase());
}
