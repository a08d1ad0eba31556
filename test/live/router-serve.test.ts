/**
 * `routesim serve --router <policy>`: a scenario policy as a local OpenRouter, called with the
 * official `openai` and `@openrouter/sdk` clients as an app would. scenarios/live/router-outage.yaml:
 * both llama providers answer 503 for the first 20 scenario seconds, qwen stays up. At time scale 20
 * the outage lasts one wall second from the server's start (each test starts its own server).
 */
import { resolve } from "node:path";
import { OpenRouter } from "@openrouter/sdk";
import OpenAI, { APIError } from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { type RouterServer, startRouterServe } from "../../src/live/router-serve.js";
import { type LoadedScenario, loadScenario, scenarioFromObject } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import { runCli } from "../support/cli.js";

const FILE = resolve(import.meta.dirname, "../../scenarios/live/router-outage.yaml");
const LLAMA = "meta-llama/llama-3.3-70b-instruct";
const QWEN = "qwen/qwen-2.5-72b-instruct";
const SCALE = 20;
const OUTAGE_WALL_MS = (20 * 1000) / SCALE;
const messages = [{ role: "user" as const, content: "hello" }];

let server: RouterServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(
  loaded: LoadedScenario = loadScenario(FILE),
  policy = "fallback",
): Promise<RouterServer> {
  server = await startRouterServe({
    loaded,
    policy,
    timeScale: SCALE,
    lifetimeS: 30,
  });
  return server;
}

const openai = (s: RouterServer, maxRetries = 0) =>
  new OpenAI({ baseURL: s.baseUrl, apiKey: "sk-test", maxRetries });

describe("serve --router with the openai client", () => {
  it("answers a completion with the serving model, provider, usage with cost and a gen- id", async () => {
    const s = await start();
    const r = await openai(s).chat.completions.create({ model: QWEN, messages });
    expect(r.model).toBe(QWEN);
    expect((r as unknown as { provider: string }).provider).toBe("qwen");
    expect(r.id).toMatch(/^gen-/);
    expect(r.usage?.completion_tokens).toBe(40); // the scenario's completion size
    expect((r.usage as unknown as { cost: number }).cost).toBeGreaterThan(0);
    expect(r.choices[0].finish_reason).toBe("stop");
  });

  it("streams chunks, then a usage chunk, then ends", async () => {
    const s = await start();
    const stream = await openai(s).chat.completions.create({ model: QWEN, messages, stream: true });
    let text = "";
    let chunks = 0;
    let usage: { completion_tokens: number } | null = null;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta?.content ?? "";
      if (c.usage) usage = c.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text.trim().split(" ")).toHaveLength(40);
    expect(usage?.completion_tokens).toBe(40);
  });

  it("falls back to the next of `models` while the first model's providers are down (R44)", async () => {
    const s = await start();
    const body = {
      model: LLAMA,
      models: [LLAMA, QWEN],
      messages,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const r = await openai(s).chat.completions.create(body);
    expect(r.model).toBe(QWEN);
    const j = s.journal()[0];
    expect(j.attempts.map((a) => a.model)).toContain(LLAMA); // llama was tried first and failed
    expect(j.served_model).toBe(QWEN);
  });

  it("surfaces the outage as a 503 with OpenRouter's error body (R60)", async () => {
    const s = await start();
    const err = await openai(s)
      .chat.completions.create({ model: LLAMA, messages })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(APIError);
    const e = err as APIError;
    expect(e.status).toBe(503);
    expect((e.error as { code: number }).code).toBe(503);
    // R59/R62: the availability code, its error type, and every attempt in previous_errors.
    expect(e.error).toMatchObject({
      error_type: "provider_overloaded",
      metadata: { error_type: "provider_overloaded", provider_code: 503 },
      availability: { code: "temporarily_unavailable", retryable: true, requested_models: [LLAMA] },
    });
    const previous = (e.error as { metadata: { previous_errors: { provider: string; status: number }[] } })
      .metadata.previous_errors;
    expect(previous.map((p) => p.provider).sort()).toEqual(["llama-a", "llama-b"]);
    expect(previous.every((p) => p.status === 503)).toBe(true);
    expect(e.headers?.get("x-generation-id")).toMatch(/^gen-/);
    expect(s.journal()[0].attempts.length).toBeGreaterThanOrEqual(2); // both llama providers tried
  });

  it("the client's own retries hit the outage, then succeed after it ends", async () => {
    const s = await start();
    const t0 = performance.now();
    const r = await openai(s, 6).chat.completions.create({ model: LLAMA, messages });
    expect(r.model).toBe(LLAMA);
    expect(performance.now() - t0).toBeGreaterThan(OUTAGE_WALL_MS * 0.9);
    const j = s.journal();
    expect(j[0].status).toBe(503);
    expect(j.at(-1)?.status).toBe(200);
    expect(j.at(-1)?.arrival_ms).toBeGreaterThanOrEqual(20_000);
  }, 15_000);

  it("a stream that fails before its first token gets the HTTP error status", async () => {
    const s = await start();
    const err = await openai(s)
      .chat.completions.create({ model: LLAMA, messages, stream: true })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((err as APIError).status).toBe(503);
  });

  it("a stream cut after its first token ends with an SSE error chunk (R46: no fallback)", async () => {
    const s = await start(cutting(), "or");
    const res = await fetch(`${s.baseUrl}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: LLAMA, messages, stream: true }),
    });
    expect(res.status).toBe(200);
    const events = (await res.text()).split("\n\n").filter((e) => e.startsWith("data: "));
    const last = JSON.parse(events.at(-1)!.slice(6)) as { error: { code: number } };
    expect(last.error.code).toBeGreaterThanOrEqual(500);
    expect(events.some((e) => e.includes('"content":"tok'))).toBe(true);
    expect(s.journal()[0].attempts).toHaveLength(1);
  });

  it("rejects a bad body with a 400 naming the field", async () => {
    const s = await start();
    const res = await fetch(`${s.baseUrl}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: QWEN, messages, provider: { sort: "cheapest" } }),
    });
    expect(res.status).toBe(400);
    const b = (await res.json()) as { error: { code: number; message: string } };
    expect(b.error.code).toBe(400);
    expect(b.error.message).toContain("provider.sort");
  });
});

describe("serve --router with @openrouter/sdk", () => {
  const sdk = (s: RouterServer) => new OpenRouter({ serverURL: s.baseUrl, apiKey: "sk-or-test" });

  it("answers chat.send, plain and streaming", async () => {
    const s = await start();
    const r = await sdk(s).chat.send({ chatRequest: { model: QWEN, messages } });
    expect("choices" in r && r.model).toBe(QWEN);
    const stream = await sdk(s).chat.send({ chatRequest: { model: QWEN, messages, stream: true } });
    let text = "";
    for await (const c of stream as AsyncIterable<{ choices: { delta?: { content?: string | null } }[] }>)
      text += c.choices[0]?.delta?.content ?? "";
    expect(text.trim().split(" ")).toHaveLength(40);
  });

  it("falls back with `models` and reports the outage as the SDK's 503 error", async () => {
    const s = await start();
    const r = await sdk(s).chat.send({ chatRequest: { models: [LLAMA, QWEN], messages } });
    expect("model" in r && r.model).toBe(QWEN);
    const err = await sdk(s)
      .chat.send({ chatRequest: { model: LLAMA, messages } }, { retries: { strategy: "none" } })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((err as { statusCode: number }).statusCode).toBe(503);
  });
});

/** Two always-up llama providers; `cut` makes every stream fail after its first token. */
function cutting(cut = 1): LoadedScenario {
  const p = (name: string, price: number) => ({
    name,
    model: LLAMA,
    price: { prompt: price, completion: price },
    ttft_ms: 100,
    tokens_per_s: 200,
    midstream_error_rate: cut,
  });
  return scenarioFromObject({
    name: "router-serve-test",
    seed: 5,
    traffic: {
      arrivals: { process: "uniform", rate_per_s: 20 },
      requests: 400,
      prompt_tokens: 100,
      completion_tokens: 40,
      model: LLAMA,
    },
    providers: [p("cheap", 0.5), p("dear", 1)],
    policies: [{ name: "or", request: { model: LLAMA } }],
  });
}

describe("serve --router agrees with the simulation", () => {
  it("splits requests between providers as the simulated policy does (price-weighted, wide bounds)", async () => {
    const loaded = cutting(0);
    const simShare = simulate(loaded).summary.policies[0].providerShare.cheap;
    const s = await start(loaded, "or");
    const client = openai(s);
    const n = 120;
    let cheap = 0;
    for (let i = 0; i < n; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, () => client.chat.completions.create({ model: LLAMA, messages })),
      );
      for (const r of batch) if ((r as unknown as { provider: string }).provider === "cheap") cheap++;
    }
    // Binomial sd at n = 120 is under 0.05: ±0.2 never flakes and still tells 80/20 from 50/50.
    expect(simShare).toBeGreaterThan(0.6);
    expect(Math.abs(cheap / n - simShare)).toBeLessThan(0.2);
  });
});

/** One llama provider that takes one request per scenario second (a token bucket of one). */
function rateLimited(): LoadedScenario {
  return scenarioFromObject({
    name: "router-serve-429",
    seed: 5,
    traffic: { arrivals: { process: "uniform", rate_per_s: 5 }, requests: 50, model: LLAMA },
    providers: [
      {
        name: "tight",
        model: LLAMA,
        price: { prompt: 0.5, completion: 0.5 },
        ttft_ms: 100,
        tokens_per_s: 200,
        rate_limit: { rpm: 60, burst: 1 },
      },
    ],
    policies: [{ name: "or", request: { model: LLAMA } }],
  });
}

describe("serve --router under a rate limit", () => {
  it("a burst gets 429s with Retry-After in wall seconds; the client's retries then succeed", async () => {
    const s = await start(rateLimited(), "or");
    const settled = await Promise.allSettled(
      Array.from({ length: 6 }, () => openai(s).chat.completions.create({ model: LLAMA, messages })),
    );
    const limited = settled.flatMap((r) =>
      r.status === "rejected" && r.reason instanceof APIError && r.reason.status === 429 ? [r.reason] : [],
    );
    // One token in the bucket: one request is served, the others are limited.
    expect(settled.filter((r) => r.status === "fulfilled").length).toBeGreaterThanOrEqual(1);
    expect(limited.length).toBeGreaterThanOrEqual(3);
    for (const e of limited) {
      expect(e.error).toMatchObject({
        code: 429,
        availability: { code: "capacity_exhausted", retryable: true },
      });
      const avail = (e.error as { availability: { retry_after: number } }).availability;
      // The bucket refills one scenario second (50 wall ms at 20×) per request.
      const ms = Number(e.headers?.get("retry-after-ms"));
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(1000);
      expect(Number(e.headers?.get("retry-after"))).toBe(Math.ceil(ms / 1000));
      expect(avail.retry_after * 1000).toBeCloseTo(ms, 0);
    }
    // The openai client waits retry-after-ms between tries: every request gets through.
    const patient = await Promise.all(
      Array.from({ length: 4 }, () => openai(s, 8).chat.completions.create({ model: LLAMA, messages })),
    );
    expect(patient.map((r) => (r as unknown as { provider: string }).provider)).toEqual(
      Array(4).fill("tight"),
    );
  });
});

describe("serve --router input errors", () => {
  it("an unknown policy name exits 2 naming it", async () => {
    const r = await runCli(["serve", FILE, "--router", "no-such-policy", "--lifetime-s", "1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no-such-policy");
  });
});
