/**
 * Scenario `request` bodies as users paste them (docs/openrouter-routing.md §13: R97, R98, R100,
 * R104, R108, R109, R111–R113, §13.2), and the field set against the pinned @openrouter/sdk.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ChatRequest$Outbound } from "@openrouter/sdk/models";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/scenario/errors.js";
import { scenarioFromObject } from "../../src/scenario/load.js";
import {
  estimatedPromptTokens,
  type KnownField,
  knownFields,
  providerFields,
  RequestBody,
  requestBodyWarnings,
  stripNulls,
} from "../../src/scenario/request-body.js";

const SDK = "node_modules/@openrouter/sdk";
const FIXTURES = "test/fixtures/openrouter-bodies";

/** The keys of an exported `type Name = { … }` in one of the SDK's .d.ts files. */
function sdkKeys(file: string, type: string): string[] {
  const text = readFileSync(join(SDK, "esm/models", file), "utf8");
  const start = text.indexOf(`export type ${type} = {`);
  expect(start, `${type} in ${file}`).toBeGreaterThanOrEqual(0);
  const keys: string[] = [];
  let depth = 0;
  for (const line of text.slice(start).split("\n").slice(1)) {
    if (depth === 0 && /^};/.test(line)) break;
    const m = /^ {4}([a-z_]+)\??:/.exec(line);
    if (depth === 0 && m) keys.push(m[1]);
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return keys;
}

/** A scenario whose policies are `{name, request}` for each body. */
function scenario(...requests: unknown[]) {
  return {
    name: "bodies",
    traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: "acme/m1" },
    providers: [{ name: "alpha", model: "acme/m1", price: { prompt: 1, completion: 1 } }],
    policies: requests.map((request, i) => ({ name: `p${i}`, request })),
  };
}

function loadError(...requests: unknown[]): string {
  try {
    scenarioFromObject(scenario(...requests));
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error("expected an InputError");
}

const parse = (b: unknown) => RequestBody.parse(b);

describe("§13.2: the field set follows @openrouter/sdk (pinned in package.json)", () => {
  it("the SDK version is pinned exactly and is the spec's 1.3.19", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    expect(pkg.devDependencies["@openrouter/sdk"]).toBe("1.3.19");
    expect(JSON.parse(readFileSync(join(SDK, "package.json"), "utf8")).version).toBe("1.3.19");
  });
  it("every ChatRequest field of the SDK is a named field of RequestBody", () => {
    const keys = sdkKeys("chatrequest.d.ts", "ChatRequest$Outbound");
    expect(keys.length).toBeGreaterThanOrEqual(41); // 41 in 1.3.19
    expect(keys.filter((k) => !knownFields().has(k))).toEqual([]);
  });
  it("R109: the provider object has exactly the SDK's ProviderPreferences fields (+ options, R110)", () => {
    const keys = sdkKeys("providerpreferences.d.ts", "ProviderPreferences$Outbound");
    expect([...providerFields()].sort()).toEqual([...keys, "options"].sort());
  });
  it("type level: every key of ChatRequest$Outbound is an input key of RequestBody", () => {
    // The shape's keys, not z.input (the open top level has a string index signature).
    type Missing = Exclude<keyof ChatRequest$Outbound, KnownField>;
    const none: [Missing] extends [never] ? true : false = true;
    expect(none).toBe(true);
  });
});

describe("R97: whole bodies load", () => {
  it("TV97: messages or prompt next to model load; the top level is open (unknown fields kept)", () => {
    const s = scenarioFromObject(
      scenario(
        { model: "acme/m1", messages: [{ role: "user", content: "hi" }] },
        { model: "acme/m1", prompt: "hi" },
        { model: "acme/m1", audio: { voice: "alloy" }, some_future_field: 1 },
      ),
    ).scenario;
    expect(s.policies[0].request.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(s.policies[1].request.prompt).toBe("hi");
    expect((s.policies[2].request as Record<string, unknown>).some_future_field).toBe(1);
  });
  it("R97: an empty messages array is rejected (minItems 1) naming the path", () => {
    expect(loadError({}, { messages: [] })).toContain("policies[1].request.messages");
  });
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".json"));
  it("has a pasted body for each docs page the issue lists", () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  for (const f of files)
    it(`docs body ${f} loads unchanged as a policy request (nulls aside)`, () => {
      const body = JSON.parse(readFileSync(join(FIXTURES, f), "utf8"));
      // A preset reference (R102) loads when the scenario defines the preset; its model replaces the ref.
      const slug = /^@preset\/(.+)$/.exec(body.model ?? "")?.[1];
      const input = { ...scenario(body), ...(slug ? { presets: { [slug]: { model: "acme/m1" } } } : {}) };
      const s = scenarioFromObject(input).scenario;
      expect(s.policies[0].request).toEqual(
        slug ? { ...stripNulls(body), model: "acme/m1" } : stripNulls(body),
      );
    });
});

describe("R98: null ≡ absent at every level", () => {
  it("TV98: nulls at the top level, inside provider, provider.sort and percentile cutoffs vanish", () => {
    const b = parse({
      model: "acme/m1",
      temperature: null,
      service_tier: null,
      max_tokens: null,
      stop: null,
      provider: {
        order: null,
        only: null,
        sort: { by: "price", partition: null },
        preferred_max_latency: { p50: 0.8, p90: null },
        allow_fallbacks: null,
        zdr: null,
      },
    });
    expect(b).toEqual({
      model: "acme/m1",
      provider: { sort: { by: "price" }, preferred_max_latency: { p50: 0.8 } },
    });
    expect(parse({ provider: null })).toEqual({});
  });
  it("R98: even fields OAS does not type nullable (model, messages item content) accept null", () => {
    expect(parse({ model: null, messages: [{ role: "assistant", content: null }] })).toEqual({
      messages: [{ role: "assistant" }],
    });
  });
});

describe("400-class errors at load, naming the field (R100, R108, R83, R109, R112, R113)", () => {
  it("TV100: service_tier auto/default/fast/flex/priority/scale load; turbo is rejected", () => {
    for (const t of ["auto", "default", "fast", "flex", "priority", "scale"])
      expect(parse({ service_tier: t }).service_tier).toBe(t);
    const msg = loadError({}, {}, { service_tier: "turbo" });
    expect(msg).toContain("policies[2].request.service_tier");
    expect(msg).toContain('"scale"');
  });
  it("TV108: reasoning.effort and reasoning_effort differing → error; equal → loads", () => {
    const msg = loadError({ reasoning: { effort: "high" }, reasoning_effort: "low" });
    expect(msg).toContain("policies[0].request.reasoning_effort");
    expect(msg).toContain("differs from reasoning.effort");
    expect(parse({ reasoning: { effort: "high" }, reasoning_effort: "high" }).reasoning_effort).toBe("high");
    expect(parse({ reasoning: { effort: null }, reasoning_effort: "low" }).reasoning).toEqual({});
    expect(loadError({ reasoning_effort: "extreme" })).toContain("policies[0].request.reasoning_effort");
  });
  it("R83: session_id longer than 256 characters is rejected", () => {
    expect(parse({ session_id: "x".repeat(256) }).session_id).toHaveLength(256);
    expect(loadError({ session_id: "x".repeat(257) })).toContain("policies[0].request.session_id");
  });
  it("TV109: the provider object is closed: an unknown key is named, with a suggestion", () => {
    const msg = loadError({ provider: { fallbacks: false } });
    expect(msg).toContain("policies[0].request.provider");
    expect(msg).toContain('"fallbacks"');
    expect(msg).toContain("allow_fallbacks");
    expect(loadError({ provider: { sort: { by: "price", partitions: "none" } } })).toContain('"partitions"');
  });
  it("TV112: max_price members as strings or numbers; non-numeric or negative strings rejected", () => {
    expect(parse({ provider: { max_price: { prompt: "1.5", completion: 2 } } }).provider?.max_price).toEqual({
      prompt: "1.5",
      completion: 2,
    });
    expect(loadError({ provider: { max_price: { prompt: "cheap" } } })).toContain(
      "policies[0].request.provider.max_price.prompt",
    );
    expect(loadError({ provider: { max_price: { completion: "-1" } } })).toContain("max_price.completion");
    expect(loadError({ provider: { max_price: { completion: -1 } } })).toContain("max_price.completion");
  });
  it("TV113: verbosity low…max loads; other values are rejected", () => {
    for (const v of ["low", "medium", "high", "xhigh", "max"])
      expect(parse({ verbosity: v }).verbosity).toBe(v);
    expect(loadError({ verbosity: "extreme" })).toContain("policies[0].request.verbosity");
  });
  it("§13.2 limits: top_logprobs 0–20, stop ≤ 4, metadata ≤ 16 pairs, plugins need an id", () => {
    expect(loadError({ top_logprobs: 21 })).toContain("request.top_logprobs");
    expect(loadError({ stop: ["a", "b", "c", "d", "e"] })).toContain("request.stop");
    const md = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    expect(loadError({ metadata: md })).toContain("request.metadata");
    expect(loadError({ plugins: [{ enabled: true }] })).toContain("request.plugins[0].id");
    expect(loadError({ tool_choice: "sometimes" })).toContain("request.tool_choice");
  });
  it("TV104: prompt_cache_key and prompt_cache_options load; null keys are absent", () => {
    const b = parse({ prompt_cache_key: "k1", prompt_cache_options: { mode: "explicit", ttl: "30m" } });
    expect(b.prompt_cache_key).toBe("k1");
    expect(parse({ prompt_cache_key: null, prompt_cache_options: null })).toEqual({});
  });
  it("TV111: legacy route: null, transforms, usage and stream_options load", () => {
    expect(
      parse({ route: null, transforms: ["middle-out"], usage: { include: true }, stream_options: null }),
    ).toEqual({ transforms: ["middle-out"], usage: { include: true } });
  });
});

describe("item 2: the prompt size a body stands for (docs/openrouter-implementation.md)", () => {
  it("⌈chars/4⌉ over string contents and text parts, plus 4 tokens per message; null without a prompt", () => {
    const b = parse({
      messages: [
        { role: "system", content: "x".repeat(40) },
        {
          role: "user",
          content: [
            { type: "text", text: "y".repeat(21) },
            { type: "image_url", image_url: { url: "https://e/x.png" } },
          ],
        },
      ],
    });
    expect(estimatedPromptTokens(b)).toBe(Math.ceil(61 / 4) + 8);
    expect(estimatedPromptTokens(parse({ prompt: "z".repeat(400) }))).toBe(100);
    expect(estimatedPromptTokens(parse({ model: "acme/m1" }))).toBeNull();
  });
});

describe("warnings for what a pasted body asks and routesim does not model", () => {
  it("unknown top-level fields, speed and unmodelled plugins are named; presets and plain fields are not", () => {
    const b = parse({
      model: "acme/m1@preset/cheap",
      messages: [{ role: "user", content: "hi" }],
      user: "u",
      metadata: { a: "b" },
      audio: { voice: "alloy" },
      speed: "fast",
      preset: "cheap",
      plugins: [{ id: "web" }, { id: "context-compression" }],
    });
    const w = requestBodyWarnings(b, "policies[0].request");
    expect(w).toHaveLength(2); // speed is modelled since R101
    expect(w[0]).toMatch(/^policies\[0\]\.request\.audio: not a chat request field/);
    // presets are resolved (R102, test/scenario/presets.test.ts), so they warn no more
    expect(w.join("\n")).not.toContain("preset");
    expect(w.join("\n")).not.toContain("policies[0].request.speed");
    expect(w.join("\n")).toContain('policies[0].request.plugins[0]: plugin "web"');
    expect(requestBodyWarnings(parse({ model: "acme/m1", user: "u", temperature: 1 }), "r")).toEqual([]);
  });
});
