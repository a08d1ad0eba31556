/** Kept for import compatibility: the OpenRouter policy lives in `./openrouter/`. */
export * from "./openrouter/index.js";
