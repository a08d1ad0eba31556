/**
 * `routesim serve --router <policy>`: one of the scenario's policies as a local OpenRouter-compatible
 * endpoint (`POST /api/v1/chat/completions`, `GET /api/v1/models`) in front of the mock fleet. The
 * simulator's own world (buildWorld: kernel, farm, router) runs on a scaled wall clock: an HTTP
 * request arrives at the current scenario time, the router's attempts go to the farm, and the
 * request's outcome answers the call, with OpenRouter's body and error shapes.
 *
 * Live mode is the one place with a wall clock: it is injected (`now`) and read only here.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { openRouterErrorBody } from "../policies/openrouter/errors.js";
import { buildPolicy } from "../policies/registry.js";
import { buildCatalog } from "../providers/catalog.js";
import type { LiveAttempt } from "../providers/farm.js";
import type { RunObserver } from "../router/router.js";
import { InputError } from "../scenario/errors.js";
import type { LoadedScenario } from "../scenario/load.js";
import { estimatedPromptTokens, RequestBody } from "../scenario/request-body.js";
import { buildWorld, requestBody } from "../simulate.js";
import { makeRequest } from "../traffic/request.js";
import type { AttemptRecord, Outcome, RoutedRequest } from "../types.js";
import { TrafficSizes } from "./fleet.js";
import { closeOnce, LOOPBACK, readJsonObject } from "./serve.js";

const TOKENS_PER_EVENT = 8;
const MIN_EVENT_GAP_MS = 10;
/** Requests served in one lifetime (ids are dense; the kernel keeps one state per request in flight). */
const MAX_REQUESTS = 1_000_000;

export interface RouterServeOptions {
  loaded: LoadedScenario;
  /** The scenario policy to run (any kind). */
  policy: string;
  /** undefined = an ephemeral port. */
  port?: number;
  timeScale: number;
  journalFile?: string | null;
  lifetimeS: number;
  now?: () => number;
}

/** One line of the journal: one request through the router, with its attempts (scenario ms). */
export interface RouterJournalEntry {
  id: string;
  rid: number;
  model: string;
  stream: boolean;
  arrival_ms: number;
  end_ms: number;
  /** The HTTP status answered (200 also for a stream cut mid-way: its error went in the stream). */
  status: number;
  code: string;
  provider: string | null;
  served_model: string | null;
  cost_usd: number;
  attempts: {
    attempt: number;
    provider: string;
    model: string;
    start_ms: number;
    end_ms: number;
    status: number;
    error: string;
    retry_after_s: number | null;
  }[];
  /** answered: the outcome reached the client; client_closed: it left first. */
  outcome: "answered" | "client_closed";
}

export interface RouterServer {
  readonly port: number;
  /** OpenRouter-style base URL (ends in /api/v1). */
  readonly baseUrl: string;
  readonly closed: Promise<void>;
  close(): Promise<void>;
  journal(): RouterJournalEntry[];
}

/** An HTTP call waiting for its request's outcome. */
interface Call {
  readonly rid: number;
  readonly id: string;
  readonly res: ServerResponse;
  readonly stream: boolean;
  /** The requested model, then the serving one once a stream is committed to an endpoint. */
  model: string;
  /** `model` and `models` as the client sent them (R59's requested_models). */
  readonly requested: readonly string[];
  readonly promptTokens: number;
  readonly created: number;
  /** Stream state: its course is known (events scheduled), headers out, tokens written, timers. */
  claimed: boolean;
  started: boolean;
  sent: number;
  readonly timers: Set<ReturnType<typeof setTimeout>>;
  gone: boolean;
}

/** OpenRouter's error body: `{"error": {"code": <status>, "message", "metadata"}}`. */
function errorBody(status: number, message: string, metadata: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code: status, message, metadata } });
}

/** USD per million tokens as OpenRouter lists it: USD per token, a decimal string. */
const perToken = (perMillion: number): string => String(Number((perMillion / 1e6).toPrecision(6)));

export async function startRouterServe(opts: RouterServeOptions): Promise<RouterServer> {
  const { loaded, timeScale } = opts;
  const s = loaded.scenario;
  const spec = s.policies.find((p) => p.name === opts.policy);
  if (spec === undefined)
    throw new InputError(loaded.file, [
      {
        path: "policies",
        message: `no policy named "${opts.policy}"; expected one of ${s.policies.map((p) => `"${p.name}"`).join(", ")}`,
      },
    ]);
  const catalog = buildCatalog(s.providers);
  const built = buildPolicy(spec, {
    catalog,
    scenario: s,
    baseDir: loaded.baseDir,
    file: loaded.file,
    path: `policies[${s.policies.indexOf(spec)}]`,
  });
  const now = opts.now ?? (() => performance.now());
  const sizes = new TrafficSizes(loaded);
  const calls = new Map<number, Call>();
  const entries: RouterJournalEntry[] = [];
  let fd = opts.journalFile ? openSync(opts.journalFile, "w") : null;
  let t0 = now();
  let nextId = 0;
  let closing = false;

  const observer: RunObserver = {
    attempt: () => {},
    outcome: (req, o, attempts) => answer(req, o, attempts),
  };
  const world = buildWorld(loaded, spec.request, built, catalog, {
    observer: () => observer,
    scheduleTraffic: false,
  });
  const { sim, farm, router } = world;

  const scenarioAt = (wall: number): number => Math.max(0, (wall - t0) * timeScale);
  const wallAt = (t: number): number => t0 + t / timeScale;

  // The farm decides an attempt's course when it starts: a stream learns its first token then, not
  // at its end. Queued attempts start later and are checked after every advance.
  const queued = new Map<LiveAttempt, number>();
  const submit = farm.submit.bind(farm);
  farm.submit = (a: LiveAttempt): void => {
    submit(a);
    if (a.phase === 1) queued.set(a, a.requestId);
    else startedAttempt(a);
  };
  const startedAttempt = (a: LiveAttempt): void => {
    const call = calls.get(a.requestId);
    // A first token commits the request to this attempt (R46): its stream starts then.
    if (call === undefined || !call.stream || call.claimed || a.ttftMs !== a.ttftMs) return;
    call.model = catalog[a.endpoint].model;
    playStream(call, a.submitMs + a.ttftMs, a.endMs, a.tokensOut);
  };

  let timer: ReturnType<typeof setTimeout> | null = null;
  let timerAt = Number.POSITIVE_INFINITY;
  const advance = (): void => {
    if (closing) return;
    sim.run(Math.max(sim.now, scenarioAt(now())));
    for (const [a, rid] of queued) {
      if (a.phase === 1 && a.requestId === rid) continue;
      queued.delete(a);
      if (a.phase === 2 && a.requestId === rid) startedAttempt(a);
    }
    arm();
  };
  const arm = (): void => {
    if (closing) return;
    const next = sim.peekTime();
    if (!Number.isFinite(next)) return;
    const at = wallAt(next);
    if (timer !== null && at >= timerAt) return;
    if (timer !== null) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = null;
        timerAt = Number.POSITIVE_INFINITY;
        advance();
      },
      Math.max(0, at - now()),
    );
  };

  const text = (n: number) => "tok ".repeat(n);
  const chunk = (call: Call, extra: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id: call.id, object: "chat.completion.chunk", created: call.created, model: call.model, ...extra })}\n\n`;
  const at = (call: Call, scenarioMs: number, fn: () => void): void => {
    const t = setTimeout(
      () => {
        call.timers.delete(t);
        fn();
      },
      Math.max(0, wallAt(scenarioMs) - now()),
    );
    call.timers.add(t);
  };
  const startStream = (call: Call): void => {
    call.started = true;
    call.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-generation-id": call.id,
    });
  };
  const content = (call: Call, n: number): void => {
    if (n <= 0 || call.gone) return;
    const delta = call.sent === 0 ? { role: "assistant", content: text(n) } : { content: text(n) };
    call.sent += n;
    call.res.write(chunk(call, { choices: [{ index: 0, delta, finish_reason: null }] }));
  };
  /** Headers and the first event at the first token, then events spread to the attempt's end. */
  const playStream = (call: Call, firstMs: number, endMs: number, tokens: number): void => {
    const span = Math.max(0, endMs - firstMs);
    const events = Math.max(
      1,
      Math.min(Math.ceil(tokens / TOKENS_PER_EVENT), Math.floor(span / timeScale / MIN_EVENT_GAP_MS) + 1),
    );
    const emit = (i: number): void => {
      if (call.gone) return;
      if (!call.started) startStream(call);
      content(call, Math.floor(((i + 1) * tokens) / events) - Math.floor((i * tokens) / events));
      if (i + 1 < events) at(call, firstMs + ((i + 1) * span) / events, () => emit(i + 1));
    };
    call.claimed = true;
    at(call, firstMs, () => emit(0));
  };

  const answer = (req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[]): void => {
    const call = calls.get(req.id);
    if (call === undefined) return;
    calls.delete(req.id);
    for (const t of call.timers) clearTimeout(t);
    call.timers.clear();
    const last = attempts.length > 0 ? attempts[attempts.length - 1] : null;
    const served = o.kind === "served" ? o.endpoint : null;
    let status = 200;
    let code = "ok";
    if (!call.gone) {
      const res = call.res;
      if (o.kind === "served") {
        const tokens = last?.completionTokens ?? 0;
        const usage = {
          prompt_tokens: call.promptTokens,
          completion_tokens: tokens,
          total_tokens: call.promptTokens + tokens,
          cost: o.costUsd,
        };
        const who = { model: o.endpoint.model, provider: o.endpoint.tag };
        if (call.stream) {
          if (!call.started) startStream(call);
          content(call, tokens - call.sent);
          res.write(chunk(call, { ...who, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }));
          res.write(chunk(call, { ...who, choices: [], usage }));
          res.end("data: [DONE]\n\n");
        } else {
          res.writeHead(200, { "content-type": "application/json", "x-generation-id": call.id });
          res.end(
            JSON.stringify({
              id: call.id,
              object: "chat.completion",
              created: call.created,
              ...who,
              system_fingerprint: null,
              choices: [
                {
                  index: 0,
                  message: { role: "assistant", content: text(tokens) },
                  finish_reason: "stop",
                  native_finish_reason: "stop",
                },
              ],
              usage,
            }),
          );
        }
      } else {
        status = o.status;
        code = o.code;
        let hint = Number.POSITIVE_INFINITY;
        for (const a of attempts) if (a.retryAfterS !== undefined) hint = Math.min(hint, a.retryAfterS);
        const retryAfterS = Number.isFinite(hint) && (status === 429 || status === 503) ? hint : undefined;
        // Scenario seconds on the wire as wall time: the client waits the scaled hint.
        const wallHint = retryAfterS === undefined ? undefined : retryAfterS / timeScale;
        const body = openRouterErrorBody(
          { status, code: o.code, ...(wallHint !== undefined ? { retryAfterS: wallHint } : {}) },
          attempts,
          call.requested.length ? call.requested : [call.model],
        );
        if (call.started) {
          // A stream already under way: the error goes in the stream, as OpenRouter sends it.
          res.write(
            chunk(call, {
              ...body,
              choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
            }),
          );
          res.end();
        } else {
          const headers: Record<string, string> = {
            "content-type": "application/json",
            "x-generation-id": call.id,
          };
          if (wallHint !== undefined) {
            headers["retry-after"] = String(Math.ceil(wallHint));
            headers["retry-after-ms"] = String(Math.round(wallHint * 1000));
          }
          res.writeHead(status, headers);
          res.end(JSON.stringify(body));
        }
      }
    }
    record({
      id: call.id,
      rid: req.id,
      model: req.model,
      stream: call.stream,
      arrival_ms: req.arrivalMs,
      end_ms: sim.now,
      status,
      code,
      provider: served?.tag ?? null,
      served_model: served?.model ?? null,
      cost_usd: o.costUsd,
      attempts: attempts.map((a) => ({
        attempt: a.attempt,
        provider: a.endpoint.tag,
        model: a.endpoint.model,
        start_ms: a.startMs,
        end_ms: a.endMs,
        status: a.status,
        error: a.error,
        retry_after_s: a.retryAfterS ?? null,
      })),
      outcome: call.gone ? "client_closed" : "answered",
    });
  };

  const record = (e: RouterJournalEntry): void => {
    entries.push(e);
    if (fd !== null) writeSync(fd, `${JSON.stringify(e)}\n`);
  };

  const json = (res: ServerResponse, status: number, body: string): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body);
  };

  const models = (): string => {
    const seen = new Map<string, (typeof s.providers)[number]>();
    for (const p of s.providers) if (!seen.has(p.model)) seen.set(p.model, p);
    const created = Math.floor(Date.now() / 1000);
    const data = [...seen.values()].map((p) => ({
      id: p.model,
      canonical_slug: p.model,
      name: p.model,
      created,
      object: "model",
      owned_by: "routesim",
      pricing: { prompt: perToken(p.price.prompt), completion: perToken(p.price.completion) },
    }));
    return JSON.stringify({ object: "list", data });
  };

  const completion = (res: ServerResponse, raw: Record<string, unknown>): void => {
    const parsed = RequestBody.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue.path.join(".") || "(body)";
      json(res, 400, errorBody(400, `invalid request body: ${field}: ${issue.message}`, { field }));
      return;
    }
    const posted = parsed.data;
    const own = posted.model !== undefined || posted.models !== undefined;
    // A body without a model takes the policy's request (and so the scenario's traffic model).
    const body = requestBody(own ? posted : { ...spec.request, ...posted }, s.traffic.model ?? "");
    if (nextId >= MAX_REQUESTS) {
      json(res, 503, errorBody(503, "routesim serve --router: request limit reached"));
      return;
    }
    advance();
    const rid = nextId++;
    const size = sizes.get(rid);
    const maxTokens = body.max_tokens ?? body.max_completion_tokens;
    const promptTokens = estimatedPromptTokens(body) ?? size?.prompt ?? 100;
    const completionTokens = Math.max(
      1,
      Math.min(size?.completion ?? 16, typeof maxTokens === "number" ? maxTokens : Number.POSITIVE_INFINITY),
    );
    const model = body.model ?? body.models?.[0] ?? s.traffic.model ?? "";
    const call: Call = {
      rid,
      id: `gen-rs-${rid}`,
      res,
      stream: body.stream === true,
      model,
      requested: [...new Set([body.model, ...(body.models ?? [])].filter((m): m is string => !!m))],
      promptTokens,
      created: Math.floor(Date.now() / 1000),
      claimed: false,
      started: false,
      sent: 0,
      timers: new Set(),
      gone: false,
    };
    calls.set(rid, call);
    res.on("close", () => {
      // The router keeps the request (a gateway does not recall its attempts); nobody hears the end.
      if (!res.writableFinished) call.gone = true;
      for (const t of call.timers) clearTimeout(t);
    });
    const req = makeRequest(rid, sim.now, promptTokens, completionTokens, model, undefined, undefined, body);
    router.arrive(req);
    arm();
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? "/", `http://${LOOPBACK}`);
    if (closing) {
      res.setHeader("connection", "close");
      json(res, 503, errorBody(503, "routesim serve is shutting down"));
      return;
    }
    if (req.method === "GET" && /^(\/api)?\/v1\/models$/.test(url.pathname)) {
      json(res, 200, models());
      return;
    }
    if (req.method !== "POST" || !/^(\/api)?\/v1\/chat\/completions$/.test(url.pathname)) {
      json(res, 404, errorBody(404, `no route ${req.method} ${url.pathname}`));
      return;
    }
    readJsonObject(req, (body) => {
      if (body === null) {
        json(res, 400, errorBody(400, "expected a JSON object body"));
        return;
      }
      completion(res, body);
    });
  };

  const server: Server = createServer({ keepAliveTimeout: 5000 }, handler);
  try {
    await new Promise<void>((ok, bad) => {
      server.once("error", bad);
      server.listen(opts.port ?? 0, LOOPBACK, () => ok());
    });
  } catch (e) {
    if (fd !== null) closeSync(fd);
    throw e;
  }
  // Scenario time starts when the port is up, not when the scenario was read.
  t0 = now();
  const port = (server.address() as AddressInfo).port;

  const { closed, close } = closeOnce(opts.lifetimeS, [server], {
    begin: () => {
      closing = true;
      if (timer !== null) clearTimeout(timer);
      for (const c of calls.values()) for (const t of c.timers) clearTimeout(t);
    },
    end: () => {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  });
  return {
    port,
    baseUrl: `http://${LOOPBACK}:${port}/api/v1`,
    closed,
    close,
    journal: () => entries.slice(),
  };
}
