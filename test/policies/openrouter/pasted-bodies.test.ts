/** scenarios/openrouter/pasted-bodies.yaml: docs bodies load and route as spec §13 says. */
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../src/scenario/load.js";
import { estimatedPromptTokens } from "../../../src/scenario/request-body.js";
import { simulate } from "../../../src/simulate.js";

describe("pasted-bodies.yaml (R97–R99, R102, R105, R107)", () => {
  const loaded = loadScenario("scenarios/openrouter/pasted-bodies.yaml", { requests: 600 });
  const scenario = loaded.scenario;
  const { summary } = simulate(loaded);
  const p = (name: string) => summary.policies.find((x) => x.name === name)!;
  // google-vertex serves two models here: reports name each endpoint with its model.
  const GEMINI = "google-vertex · google/gemini-3-flash-preview";
  const SONNET = "google-vertex · anthropic/claude-sonnet-4.5";
  it("quickstart: ~openai/gpt-latest → openai/gpt-5-mini, load-balanced over its three endpoints", () => {
    expect(p("quickstart").modelShare).toEqual({ "openai/gpt-5-mini": 1 });
    expect(Object.keys(p("quickstart").providerShare).sort()).toEqual(["azure", "groq", "openai"]);
  });
  it("provider routing: sort throughput, partition none over three models → groq", () => {
    expect(p("partition-throughput").providerShare).toEqual({ groq: 1 });
  });
  it("tool calling: never google-ai-studio (no tools parameter, R19)", () => {
    expect(p("tool-calling").providerShare).toEqual({ [GEMINI]: 1 });
  });
  it("image input from content parts: only the image-capable endpoint (R105)", () => {
    expect(p("image-input").providerShare).toEqual({ [GEMINI]: 1 });
  });
  it('display names: order ["Amazon Bedrock"] without fallbacks → amazon-bedrock only; its 503s stay failures (R99)', () => {
    const d = p("display-names");
    expect(d.providerShare).toEqual({ "amazon-bedrock": 1 });
    expect(d.errors["503"]).toBeGreaterThan(0);
    expect(d.attemptsPerRequest).toBe(1);
  });
  it("nulls behave as absent: sort {by: price, partition: null} → the cheapest endpoint (R98)", () => {
    expect(p("nulls").providerShare).toEqual({ anthropic: 1 });
    expect(p("nulls").successRate).toBe(1);
  });
  it("presets page: @preset/ravenel-bridge → its model, only its providers (R102, R99 display names)", () => {
    const spec = scenario.policies.find((x) => x.name === "preset")!;
    expect(spec.request.model).toBe("anthropic/claude-sonnet-4.5");
    expect(Object.keys(p("preset").providerShare).sort()).toEqual(["anthropic", SONNET]);
  });
  it("prompt_tokens_from: body: same traffic and endpoint, costs differ by the bodies' prompt estimates", () => {
    const est = (name: string) => {
      const spec = scenario.policies.find((x) => x.name === name)!;
      return estimatedPromptTokens(spec.request)!;
    };
    const n = p("tool-calling").succeeded;
    expect(n).toBe(p("image-input").succeeded);
    const promptPrice = 0.5 / 1e6; // google-vertex's gemini price; completions are the same draws
    expect(p("tool-calling").costUsd - p("image-input").costUsd).toBeCloseTo(
      (est("tool-calling") - est("image-input")) * promptPrice * n,
      9,
    );
  });
});
