/**
 * Generated gateway logs with known parameters (issue 26): the same requests written as LiteLLM
 * spend logs (CSV/JSON, or rows for PostgreSQL), OpenRouter generation records and OTLP GenAI
 * spans, so calibration can be checked against the truth it should recover.
 */
import { Rng } from "../../src/rng/rng.js";

export interface TrueProvider {
  provider: string;
  /** As each log names it (LiteLLM custom_llm_provider, OpenRouter provider_name, OTel gen_ai.provider.name). */
  litellm: string;
  openrouter: string;
  share: number;
  ttftMedianMs: number;
  ttftSigma: number;
  tokensPerS: number;
  errorRate: number;
  errorStatus: number;
  /** USD per million tokens. */
  prompt: number;
  completion: number;
  /** Every call fails with `status` in [startS, endS). */
  outage?: { startS: number; endS: number; status: number };
}

export const MODEL = "meta-llama/llama-3.3-70b-instruct";
export const T0 = Date.UTC(2026, 10, 3, 9, 0, 0);

export const TRUTH: TrueProvider[] = [
  {
    provider: "together",
    litellm: "together_ai",
    openrouter: "Together",
    share: 0.6,
    ttftMedianMs: 300,
    ttftSigma: 0.5,
    tokensPerS: 80,
    errorRate: 0.05,
    errorStatus: 503,
    prompt: 0.88,
    completion: 0.88,
    outage: undefined,
  },
  {
    provider: "deepinfra",
    litellm: "deepinfra",
    openrouter: "DeepInfra",
    share: 0.4,
    ttftMedianMs: 500,
    ttftSigma: 0.4,
    tokensPerS: 40,
    errorRate: 0.1,
    errorStatus: 429,
    prompt: 0.23,
    completion: 0.4,
    outage: { startS: 1200, endS: 1500, status: 503 },
  },
];

export interface TrueCall {
  id: number;
  startMs: number;
  ttftMs: number;
  endMs: number;
  p: TrueProvider;
  promptTokens: number;
  completionTokens: number;
  status: number;
  costUsd: number;
  session: string;
}

/** `n` requests over `spanS` seconds (Poisson), each sent to one provider by share. */
export function generateCalls(n = 4000, spanS = 3600, seed = 7): TrueCall[] {
  const rng = new Rng(seed, "test-logs");
  const normal = () => Math.sqrt(-2 * Math.log(rng.nextOpen())) * Math.cos(2 * Math.PI * rng.next());
  const calls: TrueCall[] = [];
  let t = 0;
  for (let id = 0; id < n; id++) {
    t += (-Math.log(rng.nextOpen()) * spanS * 1000) / n;
    const p = rng.next() < TRUTH[0].share ? TRUTH[0] : TRUTH[1];
    const promptTokens = 200 + rng.int(1800);
    const completionTokens = 20 + rng.int(400);
    const down = p.outage && t >= p.outage.startS * 1000 && t < p.outage.endS * 1000;
    const failed = down || rng.next() < p.errorRate;
    const ttft = p.ttftMedianMs * Math.exp(p.ttftSigma * normal());
    const end = failed ? t + 50 + rng.int(100) : t + ttft + (completionTokens / p.tokensPerS) * 1000;
    calls.push({
      id,
      startMs: T0 + t,
      ttftMs: ttft,
      endMs: T0 + (end - 0),
      p,
      promptTokens,
      completionTokens: failed ? 0 : completionTokens,
      status: failed ? (down ? p.outage!.status : p.errorStatus) : 200,
      costUsd: failed ? 0 : (promptTokens * p.prompt + completionTokens * p.completion) / 1e6,
      session: `s${id % 97}`,
    });
  }
  return calls;
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** PostgreSQL's text form of a timestamp without a zone, as LiteLLM's rows hold them. */
export const pgTime = (ms: number): string => iso(ms).replace("T", " ").replace("Z", "");

/** A LiteLLM_SpendLogs row (the columns routesim reads, plus some it must ignore). */
export function spendLogRow(c: TrueCall): Record<string, unknown> {
  const ok = c.status === 200;
  return {
    request_id: `chatcmpl-${c.id}`,
    call_type: "acompletion",
    api_key: "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
    spend: c.costUsd,
    total_tokens: c.promptTokens + c.completionTokens,
    prompt_tokens: c.promptTokens,
    completion_tokens: c.completionTokens,
    startTime: pgTime(c.startMs),
    endTime: pgTime(c.endMs),
    completionStartTime: ok ? pgTime(c.startMs + c.ttftMs) : pgTime(c.endMs),
    model: `${c.p.litellm}/meta-llama/Llama-3.3-70B-Instruct`,
    model_group: MODEL,
    custom_llm_provider: c.p.litellm,
    user: "alice@example.com",
    metadata: JSON.stringify(
      ok
        ? { user_api_key_alias: "prod" }
        : {
            error_information: {
              error_code: String(c.status),
              error_class: "APIError",
              error_message: 'x, "y"',
            },
          },
    ),
    messages: JSON.stringify([{ role: "user", content: "secret prompt,\nwith a newline" }]),
    session_id: c.session,
    status: ok ? "success" : "failure",
    cache_hit: "False",
  };
}

export function spendLogsCsv(calls: readonly TrueCall[]): string {
  const rows = calls.map(spendLogRow);
  const head = Object.keys(rows[0]);
  const q = (v: unknown) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `${[head.join(","), ...rows.map((r) => head.map((h) => q(r[h])).join(","))].join("\n")}\n`;
}

/** OpenRouter generation records: a failed call is a failed provider response before a success elsewhere. */
export function openRouterGenerations(calls: readonly TrueCall[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  // A failed call rides along with the next generation, as the provider response tried first.
  let failed: TrueCall[] = [];
  for (const c of calls) {
    if (c.status !== 200) {
      failed.push(c);
      continue;
    }
    const tried = failed.map((f) => ({
      provider_name: f.p.openrouter,
      status: f.status,
      latency: Math.round(f.endMs - f.startMs),
    }));
    failed = [];
    out.push({
      id: `gen-${c.id}`,
      created_at: iso(c.startMs),
      model: MODEL,
      provider_name: c.p.openrouter,
      latency: Math.round(c.endMs - c.startMs),
      generation_time: Math.round(c.endMs - c.startMs - c.ttftMs),
      tokens_prompt: c.promptTokens,
      tokens_completion: c.completionTokens,
      total_cost: c.costUsd,
      streamed: true,
      cancelled: false,
      finish_reason: "stop",
      provider_responses: [
        ...tried,
        { provider_name: c.p.openrouter, status: 200, latency: Math.round(c.ttftMs) },
      ],
    });
  }
  return out;
}

/** One OTLP JSON export with a span per call. */
export function otlpExport(calls: readonly TrueCall[]): unknown {
  const ns = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
  const a = (key: string, v: string | number) =>
    typeof v === "string"
      ? { key, value: { stringValue: v } }
      : Number.isInteger(v)
        ? { key, value: { intValue: String(v) } }
        : { key, value: { doubleValue: v } };
  return {
    resourceSpans: [
      {
        resource: { attributes: [a("service.name", "app")] },
        scopeSpans: [
          {
            scope: { name: "openllmetry" },
            spans: calls.map((c) => ({
              traceId: "0af7651916cd43dd8448eb211c80319c",
              spanId: "b7ad6b7169203331",
              name: `chat ${MODEL}`,
              kind: 3,
              startTimeUnixNano: ns(c.startMs),
              endTimeUnixNano: ns(c.endMs),
              attributes: [
                a("gen_ai.operation.name", "chat"),
                a("gen_ai.provider.name", c.p.provider),
                a("gen_ai.request.model", MODEL),
                a("gen_ai.usage.input_tokens", c.promptTokens),
                a("gen_ai.usage.output_tokens", c.completionTokens),
                ...(c.status === 200
                  ? [
                      a("gen_ai.response.time_to_first_token", c.ttftMs / 1000),
                      a("gen_ai.usage.cost", c.costUsd),
                    ]
                  : [a("error.type", String(c.status))]),
              ],
              status: c.status === 200 ? { code: 1 } : { code: 2, message: "upstream error" },
            })),
          },
        ],
      },
    ],
  };
}
