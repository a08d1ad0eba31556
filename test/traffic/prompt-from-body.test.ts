/**
 * Issue 21 item 2: `traffic.prompt_tokens_from: body` sizes each policy's prompts from its pasted
 * `messages` / `prompt` (estimatedPromptTokens), for synthetic traffic.
 */
import { describe, expect, it } from "vitest";
import { estimatedPromptTokens, RequestBody } from "../../src/scenario/request-body.js";
import { Traffic } from "../../src/scenario/schema.js";
import { bodyFactory } from "../../src/simulate.js";
import { SyntheticTraffic } from "../../src/traffic/synthetic.js";
import type { RoutedRequest } from "../../src/types.js";

const spec = (extra: Record<string, unknown> = {}) =>
  Traffic.parse({
    arrivals: { process: "poisson", rate_per_s: 5 },
    requests: 200,
    model: "acme/m1",
    ...extra,
  });

function all(traffic: Traffic, template: RequestBody): RoutedRequest[] {
  const src = new SyntheticTraffic(traffic, 7, bodyFactory(template, "acme/m1"));
  const out: RoutedRequest[] = [];
  for (let r = src.next(); r !== null; r = src.next()) out.push(r as RoutedRequest);
  return out;
}

const pasted = RequestBody.parse({
  messages: [
    { role: "system", content: "You are terse." },
    { role: "user", content: "What is the meaning of life?".repeat(50) },
  ],
});

describe("prompt_tokens_from: body", () => {
  it("every request carries the body's estimate; completions, arrivals and models are unchanged", () => {
    const drawn = all(spec(), pasted);
    const fromBody = all(spec({ prompt_tokens_from: "body" }), pasted);
    const est = estimatedPromptTokens(pasted)!;
    expect(est).toBe(Math.ceil((14 + 28 * 50) / 4) + 8);
    expect(fromBody.every((r) => r.promptTokens === est)).toBe(true);
    expect(new Set(drawn.map((r) => r.promptTokens)).size).toBeGreaterThan(50);
    expect(fromBody.map((r) => [r.arrivalMs, r.completionTokens, r.model])).toEqual(
      drawn.map((r) => [r.arrivalMs, r.completionTokens, r.model]),
    );
  });
  it("a policy body without messages or prompt keeps the drawn sizes", () => {
    const plain = RequestBody.parse({ temperature: 0.2 });
    expect(all(spec({ prompt_tokens_from: "body" }), plain)).toEqual(all(spec(), plain));
  });
  it("default (traffic): pasted messages do not change sizes", () => {
    expect(all(spec(), pasted).map((r) => r.promptTokens)).toEqual(
      all(spec(), RequestBody.parse({})).map((r) => r.promptTokens),
    );
  });
});
