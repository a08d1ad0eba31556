/** The input caps live below every layer (src/limits.ts); re-exported for the edge code. */
export * from "../limits.js";
