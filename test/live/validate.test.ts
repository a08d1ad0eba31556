/** Live-mode pieces that need no gateway: validation statistics and the Portkey config mapping. */
import { describe, expect, it } from "vitest";
import { portkeyLiveConfig } from "../../src/live/portkey.js";
import type { MockPorts } from "../../src/live/serve.js";
import { type RequestRow, validateRows } from "../../src/live/validate.js";
import { InputError } from "../../src/scenario/errors.js";
import { scenarioFromObject } from "../../src/scenario/load.js";

const row = (provider: string, attempts = 1, status = 200, latencyMs = 200): RequestRow => ({
  policy: "p",
  id: 0,
  attempts,
  status,
  provider: status === 200 ? provider : "",
  latencyMs,
  ttftMs: latencyMs / 2,
});
const many = (n: number, f: (i: number) => RequestRow) => Array.from({ length: n }, (_, i) => f(i));
const verdict = (sim: RequestRow[], live: RequestRow[]) =>
  Object.fromEntries(validateRows(sim, live).map((c) => [c.metric, c.agree]));

describe("validateRows", () => {
  it("agrees on samples drawn from the same mix, and on a latency shift within the gateway allowance", () => {
    const sim = many(400, (i) =>
      row(i % 10 < 7 ? "a" : "b", 1 + (i % 4 === 0 ? 1 : 0), 200, 100 + (i % 50) * 10),
    );
    const live = many(300, (i) =>
      row((i + 3) % 10 < 7 ? "a" : "b", 1 + (i % 4 === 1 ? 1 : 0), 200, 120 + (i % 50) * 10),
    );
    const v = verdict(sim, live);
    expect(Object.values(v).every(Boolean)).toBe(true);
    expect(Object.keys(v)).toEqual(
      expect.arrayContaining(["successRate", "attemptsPerRequest", "providerShare a", "latencyMs p50"]),
    );
  });

  it("disagrees on swapped provider shares, a doubled retry rate, a new failure status and slow latency", () => {
    const sim = many(400, (i) => row(i % 10 < 7 ? "a" : "b", 1, 200, 100 + (i % 50) * 10));
    const live = many(400, (i) =>
      i % 10 === 9
        ? row("", 2, 503, 900)
        : row(i % 10 < 3 ? "a" : "b", 1 + (i % 2), 200, 400 + (i % 50) * 10),
    );
    const v = verdict(sim, live);
    expect(v).toMatchObject({
      successRate: false,
      "status 503": false,
      attemptsPerRequest: false,
      "providerShare a": false,
      "providerShare b": false,
      "latencyMs p50": false,
    });
  });
});

describe("portkeyLiveConfig", () => {
  const loaded = scenarioFromObject({
    name: "map",
    seed: 1,
    traffic: {
      arrivals: { process: "uniform", rate_per_s: 1 },
      requests: 1,
      prompt_tokens: 1,
      completion_tokens: 1,
      model: "m/x",
    },
    providers: [
      { name: "groq", model: "m/x", price: { prompt: 1, completion: 1 }, ttft_ms: 1, tokens_per_s: 1 },
      { name: "deepinfra", model: "m/x", price: { prompt: 1, completion: 1 }, ttft_ms: 1, tokens_per_s: 1 },
    ],
    policies: [
      {
        name: "fb",
        kind: "portkey",
        options: {
          strategy: { mode: "fallback" },
          request_timeout: 8000,
          targets: [
            { provider: "groq", api_key: "sk-real-looking", retry: { attempts: 2 } },
            {
              provider: "deepinfra",
              virtual_key: "vk",
              requestTimeout: 4000,
              override_params: { model: "m/x" },
            },
          ],
        },
      },
    ],
  });
  const mock: MockPorts = {
    host: "127.0.0.1",
    pid: 1,
    timeScale: 4,
    gatewayClock: "wall",
    scenario: "map",
    journal: null,
    providers: [
      { tag: "groq", model: "m/x", port: 18101, baseUrl: "http://127.0.0.1:18101/v1" },
      { tag: "deepinfra", model: "m/x", port: 18102, baseUrl: "http://127.0.0.1:18102/v1" },
    ],
  };

  it("sends every leaf to its mock as provider openai, keeps strategy and retry, and scales request_timeout", () => {
    const c = portkeyLiveConfig(loaded, loaded.scenario.policies[0], mock) as {
      request_timeout: number;
      strategy: unknown;
      targets: Record<string, unknown>[];
    };
    expect(c.strategy).toEqual({ mode: "fallback" });
    expect(c.request_timeout).toBe(2000);
    expect(c.targets[0]).toEqual({
      provider: "openai",
      api_key: "sk-routesim-mock",
      custom_host: "http://127.0.0.1:18101/v1",
      retry: { attempts: 2 },
    });
    expect(c.targets[1]).toMatchObject({ custom_host: "http://127.0.0.1:18102/v1", requestTimeout: 1000 });
    expect(c.targets[1].virtual_key).toBeUndefined();
  });

  it("keeps request_timeout as written when the gateway's own timers are scaled", () => {
    const c = portkeyLiveConfig(loaded, loaded.scenario.policies[0], { ...mock, gatewayClock: "scaled" }) as {
      request_timeout: number;
    };
    expect(c.request_timeout).toBe(8000);
  });

  it("names the config path of a target that maps to no scenario provider", () => {
    const bad = { provider: "openai", api_key: "x" };
    expect(() => portkeyLiveConfig(loaded, loaded.scenario.policies[0], mock, bad)).toThrow(InputError);
  });
});
