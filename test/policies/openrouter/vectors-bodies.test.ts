/**
 * Spec test vectors for whole request bodies (docs/openrouter-routing.md §13): TV97–TV100, TV104,
 * TV105, TV107, TV108, TV111, TV112, and what the body says (R18 keys, R20 max_completion_tokens).
 * Bodies go through the scenario schema (RequestBody.parse), as a pasted body does.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/rng/rng.js";
import { RequestBody } from "../../../src/scenario/request-body.js";
import type { AttemptRecord, Endpoint, Outcome } from "../../../src/types.js";
import { attemptRecord, expectFirstShare, Harness, request } from "./fixture.js";

const body = (b: Record<string, unknown>): RequestBody => RequestBody.parse(b);
const M1 = { model: "acme/m1" };

function tags(h: Harness, b: RequestBody, n = 400): Set<string> {
  const s = new Set<string>();
  for (const k of h.orders(b, n).keys()) for (const t of k.split(",")) s.add(t);
  return s;
}

describe("TV97 (R97): a body with messages or prompt routes like the bare model", () => {
  it("messages and prompt leave the TV1 order distribution unchanged (same draws)", () => {
    const plain = new Harness().orders(body(M1), 3000);
    const withMessages = new Harness().orders(
      body({ ...M1, messages: [{ role: "user", content: "hi" }], temperature: 0.7, user: "u1" }),
      3000,
    );
    const withPrompt = new Harness().orders(body({ ...M1, prompt: "hi" }), 3000);
    expect(withMessages).toEqual(plain);
    expect(withPrompt).toEqual(plain);
    expectFirstShare(
      new Harness(),
      body({ ...M1, messages: [{ role: "user", content: "hi" }] }),
      "alpha",
      36 / 49,
    );
  });
});

describe("TV98 (R98): null means not set", () => {
  const models = ["acme/m1", "acme/m3"];
  it("sort {by: price, partition: null} → A, B, C, F (partition defaults to model)", () => {
    expect(
      new Harness().order(body({ models, provider: { sort: { by: "price", partition: null } } })),
    ).toEqual(["alpha", "beta", "gamma", "phi"]);
  });
  it("order: null with sort price → A, B, C; provider: null → TV1", () => {
    expect(new Harness().order(body({ ...M1, provider: { order: null, sort: "price" } }))).toEqual([
      "alpha",
      "beta",
      "gamma",
    ]);
    expect(new Harness().orders(body({ ...M1, provider: null }), 2000)).toEqual(
      new Harness().orders(body(M1), 2000),
    );
  });
  it("preferred_max_latency {p50: 0.8, p90: null}, sort price → B, A, C (only the p50 cutoff)", () => {
    expect(
      new Harness().order(
        body({ ...M1, provider: { sort: "price", preferred_max_latency: { p50: 0.8, p90: null } } }),
      ),
    ).toEqual(["beta", "alpha", "gamma"]);
  });
  it("service_tier, max_tokens, allow_fallbacks: null behave as absent", () => {
    const h = new Harness();
    expect(h.order(body({ model: "acme/m4", service_tier: null }))).toEqual(["openai"]);
    expect(tags(h, body({ ...M1, max_tokens: null, provider: { allow_fallbacks: null } }))).toEqual(
      new Set(["alpha", "beta", "gamma"]),
    );
  });
});

describe("TV99 (R99): provider display names in order / only / ignore", () => {
  const claude = [
    { name: "anthropic", model: "anthropic/claude", price: { prompt: 3, completion: 3 } },
    { name: "amazon-bedrock", model: "anthropic/claude", price: { prompt: 3.3, completion: 3.3 } },
    { name: "google-vertex", model: "anthropic/claude", price: { prompt: 3.6, completion: 3.6 } },
  ];
  const gemini = [
    { name: "google-ai-studio", model: "google/gemini", price: { prompt: 1, completion: 1 } },
    { name: "google-vertex", model: "google/gemini", price: { prompt: 1, completion: 1 } },
  ];
  const C = { model: "anthropic/claude" };
  it('order ["Amazon Bedrock"], allow_fallbacks false → exactly amazon-bedrock', () => {
    const h = new Harness({}, claude);
    for (let i = 0; i < 20; i++)
      expect(
        h.order(body({ ...C, provider: { order: ["Amazon Bedrock"], allow_fallbacks: false } }), new Rng(i)),
      ).toEqual(["amazon-bedrock"]);
  });
  it('only ["Google AI Studio"] → google-ai-studio; ignore ["Amazon Bedrock"] → anthropic, google-vertex', () => {
    expect(
      tags(
        new Harness({}, gemini),
        body({ model: "google/gemini", provider: { only: ["Google AI Studio"] } }),
      ),
    ).toEqual(new Set(["google-ai-studio"]));
    expect(tags(new Harness({}, claude), body({ ...C, provider: { ignore: ["Amazon Bedrock"] } }))).toEqual(
      new Set(["anthropic", "google-vertex"]),
    );
  });
  it("case-insensitive; slugs still work; SpaceXAI and xAI both mean xAI (hyphen-insensitive)", () => {
    const grok = [
      { name: "x-ai", model: "x-ai/grok", price: { prompt: 1, completion: 1 } },
      { name: "other", model: "x-ai/grok", price: { prompt: 1, completion: 1 } },
    ];
    const h = new Harness({}, grok);
    for (const name of ["xAI", "SpaceXAI", "x-ai", "X-AI", "spacexai"])
      expect(tags(h, body({ model: "x-ai/grok", provider: { only: [name] } })), name).toEqual(
        new Set(["x-ai"]),
      );
    expect(
      tags(new Harness({}, claude), body({ ...C, provider: { only: ["amazon bedrock", "ANTHROPIC"] } })),
    ).toEqual(new Set(["anthropic", "amazon-bedrock"]));
  });
  it("R99 order: a slug of the catalog wins over the display name it also is", () => {
    const both = [
      { name: "google", model: "g/m", price: { prompt: 1, completion: 1 } },
      { name: "google-vertex", model: "g/m", price: { prompt: 1, completion: 1 } },
    ];
    expect(tags(new Harness({}, both), body({ model: "g/m", provider: { only: ["Google"] } }))).toEqual(
      new Set(["google"]),
    );
    expect(
      tags(new Harness({}, gemini), body({ model: "google/gemini", provider: { only: ["Google"] } })),
    ).toEqual(new Set(["google-vertex"]));
  });
  it("R29: a display name matching nothing is skipped silently", () => {
    expect(
      new Harness({}, claude).order(body({ ...C, provider: { order: ["Groq", "Google"], sort: "price" } })),
    ).toEqual(["google-vertex", "anthropic", "amazon-bedrock"]);
  });
});

describe("TV100 (R100): service_tier auto and scale opt into nothing", () => {
  const h = new Harness();
  it('acme/m4 with "auto" or "scale" → O only', () => {
    expect(h.order(body({ model: "acme/m4", service_tier: "auto" }))).toEqual(["openai"]);
    expect(h.order(body({ model: "acme/m4", service_tier: "scale" }))).toEqual(["openai"]);
  });
  it('acme/m4:nitro + "auto" → OP then O (only "default" cancels admission)', () => {
    expect(h.order(body({ model: "acme/m4:nitro", service_tier: "auto" }))).toEqual([
      "openai/priority",
      "openai",
    ]);
    expect(h.order(body({ model: "acme/m4:nitro", service_tier: "default" }))).toEqual(["openai"]);
  });
});

describe("TV104 (R104, R83, R84): prompt_cache_key is the third conversation key", () => {
  function served(e: Endpoint): { o: Outcome; attempts: AttemptRecord[] } {
    const a = attemptRecord(e, 200, { completionTokens: 10 });
    return {
      o: { kind: "served", endpoint: e, attempts: 1, costUsd: 0, latencyMs: 1, ttftMs: 1 },
      attempts: [a],
    };
  }
  it('two requests with prompt_cache_key "k1", first served by B → the second tries B first', () => {
    const h = new Harness();
    const b = body({ ...M1, prompt_cache_key: "k1" });
    const s = served(h.catalog[h.id("beta")]);
    h.policy.settle!(request(b), s.o, s.attempts, h.view);
    for (let i = 0; i < 100; i++) expect(h.order(b, new Rng(i))[0]).toBe("beta");
  });
  it("prompt_cache_key: null → no record without cached tokens", () => {
    const h = new Harness();
    const b = body({ ...M1, prompt_cache_key: null });
    const s = served(h.catalog[h.id("beta")]);
    h.policy.settle!(request(b), s.o, s.attempts, h.view);
    expect(h.policy.sticky.size).toBe(0);
  });
  it("session_id (and the traffic's session) come before prompt_cache_key", () => {
    const h = new Harness();
    const b = body({ ...M1, session_id: "s1", prompt_cache_key: "k1" });
    const s = served(h.catalog[h.id("beta")]);
    h.policy.settle!(request(b), s.o, s.attempts, h.view);
    expect(h.policy.sticky.lookup("acme/m1", "s1", h.now)).toBe(h.id("beta"));
    expect(h.policy.sticky.lookup("acme/m1", "k1", h.now)).toBe(-1);
    const k = body({ ...M1, prompt_cache_key: "k1" });
    h.policy.settle!(request(k, { session: "t1" }), s.o, s.attempts, h.view);
    expect(h.policy.sticky.lookup("acme/m1", "t1", h.now)).toBe(h.id("beta"));
    expect(h.policy.sticky.lookup("acme/m1", "k1", h.now)).toBe(-1);
  });
});

describe("TV105 (R105): modalities", () => {
  function withOutputs(): Harness {
    const h = new Harness({}, [
      { name: "x", model: "acme/v", price: { prompt: 1, completion: 1 } },
      {
        name: "y",
        model: "acme/v",
        price: { prompt: 1, completion: 1 },
        input_modalities: ["text", "image"],
      },
    ]);
    // Output modalities are not a provider fixture field yet: set on the endpoint directly.
    h.catalog[1] = { ...h.catalog[1], outputModalities: ["text", "image"] } as Endpoint;
    return h;
  }
  it('output modalities ["image", "text"] → Y only; ["text"] → X, Y', () => {
    const h = withOutputs();
    expect(tags(h, body({ model: "acme/v", modalities: ["image", "text"] }))).toEqual(new Set(["y"]));
    expect(tags(h, body({ model: "acme/v", modalities: ["text"] }))).toEqual(new Set(["x", "y"]));
  });
  it("input modalities come from content parts: an image_url part → image-capable endpoints only", () => {
    const h = withOutputs();
    const image = body({
      model: "acme/v",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What's in this image?" },
            { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
          ],
        },
      ],
    });
    expect(tags(h, image)).toEqual(new Set(["y"]));
    expect(tags(h, body({ model: "acme/v", messages: [{ role: "user", content: "text only" }] }))).toEqual(
      new Set(["x", "y"]),
    );
    // routesim's own input_modalities field overrides what the parts say.
    expect(tags(h, body({ ...image, input_modalities: ["text"] }))).toEqual(new Set(["x", "y"]));
  });
  it("audio, file and video parts need those input modalities (excluded_by modality when none has them)", () => {
    const h = withOutputs();
    for (const part of [
      { type: "input_audio", input_audio: { data: "…", format: "wav" } },
      { type: "file", file: { filename: "a.pdf", file_data: "…" } },
      { type: "video_url", video_url: { url: "https://example.com/v.mp4" } },
    ])
      expect(
        h.decide(body({ model: "acme/v", messages: [{ role: "user", content: [part] }] })),
      ).toMatchObject({
        kind: "reject",
        status: 404,
        excludedBy: ["modality"],
      });
  });
});

describe("TV107 (R107, R19): tool_choice", () => {
  const tools = [{ type: "function", function: { name: "f", parameters: {} } }];
  it('TV24 with tool_choice "required" → A, C (A first w.p. 0.9)', () => {
    const b = body({ ...M1, tools, tool_choice: "required", parallel_tool_calls: false });
    expect(tags(new Harness(), b)).toEqual(new Set(["alpha", "gamma"]));
    expectFirstShare(new Harness(), b, "alpha", 0.9, 5000);
  });
  it("tool_choice without tools does not filter, even with require_parameters", () => {
    expect(
      tags(new Harness(), body({ ...M1, tool_choice: "auto", provider: { require_parameters: true } })),
    ).toEqual(new Set(["alpha", "beta", "gamma"]));
  });
});

describe("TV108 (R108): reasoning controls", () => {
  it("equal reasoning.effort and reasoning_effort route like TV1", () => {
    const b = body({ ...M1, reasoning: { effort: "high" }, reasoning_effort: "high" });
    expect(new Harness().orders(b, 2000)).toEqual(new Harness().orders(body(M1), 2000));
  });
  it("reasoning_effort counts as the reasoning parameter under require_parameters (R18, interp.)", () => {
    const providers = [
      { name: "a", model: "x/r", price: { prompt: 1, completion: 1 }, supported_parameters: ["reasoning"] },
      { name: "b", model: "x/r", price: { prompt: 1, completion: 1 }, supported_parameters: ["temperature"] },
    ];
    const h = new Harness({}, providers);
    expect(
      tags(h, body({ model: "x/r", reasoning_effort: "low", provider: { require_parameters: true } })),
    ).toEqual(new Set(["a"]));
    expect(tags(h, body({ model: "x/r", reasoning_effort: "low" }))).toEqual(new Set(["a", "b"]));
  });
});

describe("R18, R20: what the body sends", () => {
  it("every sent parameter counts under require_parameters (seed, logprobs, penalties, …)", () => {
    const providers = [
      {
        name: "a",
        model: "x/p",
        price: { prompt: 1, completion: 1 },
        supported_parameters: ["seed", "logprobs"],
      },
      { name: "b", model: "x/p", price: { prompt: 1, completion: 1 }, supported_parameters: ["seed"] },
    ];
    const h = new Harness({}, providers);
    const rp = { require_parameters: true };
    expect(tags(h, body({ model: "x/p", seed: 7, provider: rp }))).toEqual(new Set(["a", "b"]));
    expect(tags(h, body({ model: "x/p", seed: 7, logprobs: true, provider: rp }))).toEqual(new Set(["a"]));
    expect(h.decide(body({ model: "x/p", frequency_penalty: 0.5, provider: rp }))).toMatchObject({
      kind: "reject",
      excludedBy: ["require_parameters"],
    });
    // Fields that are not parameters (user, metadata, stream) never filter.
    expect(
      tags(h, body({ model: "x/p", user: "u", metadata: { a: "b" }, stream: true, provider: rp })),
    ).toEqual(new Set(["a", "b"]));
  });
  it("TV25 with max_completion_tokens: 8000 → A excluded (4096 < 8000)", () => {
    const b = body({ ...M1, max_completion_tokens: 8000 });
    expect(tags(new Harness(), b)).toEqual(new Set(["beta", "gamma"]));
    expectFirstShare(new Harness(), b, "beta", 9 / 13, 5000);
  });
});

describe("TV111 (R111), R110: legacy fields and provider.options", () => {
  it('transforms ["middle-out"] turns context compression on; [] off (interp.)', () => {
    const providers = [
      { name: "s", model: "x/c", price: { prompt: 1, completion: 1 }, context_length: 16_384 },
    ];
    const h = new Harness({}, providers);
    const big = { promptTokens: 20_000, completionTokens: 100 };
    expect(h.decide(body({ model: "x/c" }), new Rng(1), big)).toMatchObject({ kind: "reject" });
    expect(h.decide(body({ model: "x/c", transforms: ["middle-out"] }), new Rng(1), big)).toMatchObject({
      kind: "route",
    });
    const small = new Harness({}, [{ ...providers[0], context_length: 8192 }]);
    const mid = { promptTokens: 9000, completionTokens: 100 };
    expect(small.decide(body({ model: "x/c" }), new Rng(1), mid).kind).toBe("route");
    expect(small.decide(body({ model: "x/c", transforms: [] }), new Rng(1), mid).kind).toBe("reject");
  });
  it("acceptLegacyFields / acceptProviderOptions false → 400 before routing", () => {
    const legacy = new Harness({ acceptLegacyFields: false });
    expect(legacy.decide(body({ ...M1, usage: { include: true } }))).toMatchObject({
      kind: "reject",
      status: 400,
    });
    expect(legacy.order(body(M1)).length).toBe(3);
    const opts = body({
      ...M1,
      provider: { options: { "google-vertex": { output_config: { effort: "low" } } } },
    });
    expect(new Harness().order(opts).length).toBe(3);
    expect(new Harness({ acceptProviderOptions: false }).decide(opts)).toMatchObject({ status: 400 });
  });
  it('route: null ≡ absent; route "sort" still pools models (R32)', () => {
    const models = ["acme/m1", "acme/m3"];
    expect(new Harness().order(body({ models, route: null, provider: { sort: "price" } }))).toEqual([
      "alpha",
      "beta",
      "gamma",
      "phi",
    ]);
  });
});

describe("TV112 (R112): max_price strings", () => {
  it('max_price.prompt "1.5" keeps A only (B at $2 and C at $3 exceed it)', () => {
    expect(tags(new Harness(), body({ ...M1, provider: { max_price: { prompt: "1.5" } } }))).toEqual(
      new Set(["alpha"]),
    );
  });
});
