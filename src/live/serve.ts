/**
 * `routesim serve`: the scenario's providers as OpenAI-compatible HTTP endpoints on 127.0.0.1, one
 * port per provider (in scenario order; a gateway or balancer names each as its own upstream),
 * driven by the simulator's provider model (fleet.ts). Every port also answers the control paths
 * `GET /_routesim/state`, `POST /_routesim/reset` (a fresh model whose clock starts now: drive
 * calls it after warm-up) and `GET /_routesim/journal?epoch=N` (that epoch's JSONL journal).
 *
 * A request names itself with the body's `user` field (`rs-<id>`, which gateways forward) or the
 * `x-routesim-request-id` header; its k-th call to a provider is attempt k of that id, and draws are
 * keyed by (provider, id, tries of that provider) exactly as in the simulator. Times in the journal
 * are scenario milliseconds of the epoch (wall time × time scale).
 */
import { closeSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import type { LoadedScenario } from "../scenario/load.js";
import { type AttemptTicket, type Course, FleetEpoch, TrafficSizes } from "./fleet.js";

export const LOOPBACK = "127.0.0.1";
/** Tokens per SSE event, and the least wall gap between events (gateways pay per event). */
const TOKENS_PER_EVENT = 8;
const MIN_EVENT_GAP_MS = 20;
const MAX_BODY_BYTES = 1 << 20;

/** Reads a request body (at most 1 MiB) and hands over the JSON object it holds, or null. */
export function readJsonObject(
  req: IncomingMessage,
  done: (body: Record<string, unknown> | null) => void,
): void {
  const parts: Buffer[] = [];
  let size = 0;
  req.on("data", (b: Buffer) => {
    size += b.length;
    if (size > MAX_BODY_BYTES) req.destroy();
    else parts.push(b);
  });
  req.on("end", () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(parts).toString("utf8"));
    } catch {
      body = null;
    }
    done(
      body !== null && typeof body === "object" && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : null,
    );
  });
}
/**
 * A server's end, once, whoever asks first: `close()`, or its lifetime running out. `begin` runs
 * first (stop taking work), then the servers close with their open connections (in-flight calls
 * end as client_closed), then `end` (files, fleets); `closed` resolves after that.
 */
export function closeOnce(
  lifetimeS: number,
  servers: readonly Server[],
  hooks: { begin: () => void; end: () => void },
): { closed: Promise<void>; close: () => Promise<void> } {
  let resolveClosed!: () => void;
  const closed = new Promise<void>((ok) => {
    resolveClosed = ok;
  });
  const lifetime = setTimeout(() => void close(), lifetimeS * 1000);
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    if (closing) return closing;
    clearTimeout(lifetime);
    hooks.begin();
    closing = Promise.all(
      servers.map(
        (sv) =>
          new Promise<void>((ok) => {
            sv.close(() => ok());
            sv.closeAllConnections();
          }),
      ),
    ).then(() => {
      hooks.end();
      resolveClosed();
    });
    return closing;
  };
  return { closed, close };
}

/** Ids that are not `rs-<n>` (warm-up, hand-made requests) get numbers no traffic request has. */
const FOREIGN_ID_BASE = 2 ** 40;

export interface ServeOptions {
  loaded: LoadedScenario;
  /** First port (provider i listens on portBase + i); undefined = ephemeral ports. */
  portBase?: number;
  timeScale: number;
  journalFile?: string | null;
  portsFile?: string | null;
  /** The servers close by themselves after this long (wall seconds). */
  lifetimeS: number;
  /** Whose timers the gateway runs on (see `GatewayClock`); default "wall". */
  gatewayClock?: GatewayClock;
  now?: () => number;
}

export interface ProviderPort {
  tag: string;
  model: string;
  port: number;
  /** OpenAI-style base URL (ends in /v1). */
  baseUrl: string;
}

/**
 * The clock of the gateway in front: "wall" (its backoffs and timers run in wall time: the mocks send
 * Retry-After and drive sends request_timeout divided by the time scale), or "scaled" (its timers are
 * compressed in-process by the same factor, e.g. startPortkey's timer preload: values stay in
 * scenario units).
 */
export type GatewayClock = "wall" | "scaled";

/** The ports file (`--ports-file`), read by `drive --mock-ports` and test harnesses. */
export interface MockPorts {
  host: string;
  pid: number;
  timeScale: number;
  gatewayClock: GatewayClock;
  scenario: string;
  journal: string | null;
  providers: ProviderPort[];
}

/** One line of the journal: one call to one mock provider. */
export interface JournalEntry {
  epoch: number;
  /** The request id as sent, its number (draws are keyed by it), and this call's number for that id. */
  request: string;
  rid: number;
  attempt: number;
  provider: string;
  /** This request's earlier calls to this provider (the draws' try key). */
  try: number;
  stream: boolean;
  /** Scenario ms of the epoch: arrival, first token written (null = none), end of the exchange. */
  arrival_ms: number;
  ttft_ms: number | null;
  end_ms: number;
  /** What the model decided (status, error kind, tokens generated). */
  status: number;
  error: string;
  tokens: number;
  retry_after_s: number | null;
  /** What happened on the wire: answered in full, cut by us (mid-stream), or closed by the client first. */
  outcome: "complete" | "cut" | "client_closed";
}

export interface MockServer {
  readonly ports: MockPorts;
  /** Resolves when the servers are closed (lifetime, signal or `close`). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
  journal(epoch?: number): JournalEntry[];
}

export async function startServe(opts: ServeOptions): Promise<MockServer> {
  const { loaded, timeScale } = opts;
  const gatewayClock = opts.gatewayClock ?? "wall";
  // What a Retry-After hint (scenario seconds) is divided by on the wire.
  const hintScale = gatewayClock === "wall" ? timeScale : 1;
  const s = loaded.scenario;
  const now = opts.now ?? (() => performance.now());
  const sizes = new TrafficSizes(loaded);
  let epochNo = 0;
  let fleet = new FleetEpoch(loaded, now(), timeScale, now);
  const older: FleetEpoch[] = [];
  const entries: JournalEntry[] = [];
  const calls = new Map<string, { n: number; perProvider: number[] }>();
  const foreign = new Map<string, number>();
  let inflight = 0;
  let closing = false;
  let fd = opts.journalFile ? openSync(opts.journalFile, "w") : null;

  const record = (e: JournalEntry): void => {
    entries.push(e);
    if (fd !== null) writeSync(fd, `${JSON.stringify(e)}\n`);
  };

  const ridOf = (id: string): number => {
    const m = /^rs-(\d+)$/.exec(id) ?? /^(\d+)$/.exec(id);
    if (m) return Number(m[1]);
    let n = foreign.get(id);
    if (n === undefined) {
      n = FOREIGN_ID_BASE + foreign.size;
      foreign.set(id, n);
    }
    return n;
  };

  const control = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const json = (code: number, v: unknown) => {
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    if (url.pathname === "/_routesim/state") {
      json(200, { epoch: epochNo, inflight, now_ms: fleet.scenarioAt(now()) });
      return;
    }
    if (url.pathname === "/_routesim/reset" && req.method === "POST") {
      // The old model keeps playing out its calls; new calls meet a fresh model at time 0.
      older.push(fleet);
      fleet = new FleetEpoch(loaded, now(), timeScale, now);
      epochNo++;
      calls.clear();
      json(200, { epoch: epochNo });
      return;
    }
    if (url.pathname === "/_routesim/journal") {
      const want = url.searchParams.has("epoch") ? Number(url.searchParams.get("epoch")) : epochNo;
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end(
        entries
          .filter((e) => e.epoch === want)
          .map((e) => `${JSON.stringify(e)}\n`)
          .join(""),
      );
      return;
    }
    json(404, { error: { message: `unknown control path ${url.pathname}`, type: "not_found" } });
  };

  const completion = (
    endpoint: number,
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown>,
  ): void => {
    const p = s.providers[endpoint];
    const arrivalWall = now();
    const epoch = fleet;
    const thisEpoch = epochNo;
    const header = req.headers["x-routesim-request-id"];
    const id =
      typeof body.user === "string" && body.user !== ""
        ? body.user
        : typeof header === "string"
          ? header
          : `anon-${foreign.size}`;
    const rid = ridOf(id);
    let c = calls.get(id);
    if (c === undefined) {
      c = { n: 0, perProvider: s.providers.map(() => 0) };
      calls.set(id, c);
    }
    const attempt = ++c.n;
    const tryKey = c.perProvider[endpoint]++;
    const stream = body.stream === true;
    const known = rid < FOREIGN_ID_BASE ? sizes.get(rid) : null;
    const maxTokens = typeof body.max_tokens === "number" ? body.max_tokens : 16;
    const promptTokens = known?.prompt ?? 100;
    const completionTokens = known?.completion ?? Math.max(1, Math.floor(maxTokens));
    const model = typeof body.model === "string" ? body.model : p.model;
    const chatId = `chatcmpl-rs-${thisEpoch}-${rid}-${attempt}`;
    const created = Math.floor(Date.now() / 1000);
    const timers = new Set<ReturnType<typeof setTimeout>>();
    let firstTokenWall = Number.NaN;
    let sent = 0;
    let outcome: JournalEntry["outcome"] | null = null;
    let course: Course | null = null;
    inflight++;

    const at = (scenarioMs: number, fn: () => void): void => {
      const t = setTimeout(
        () => {
          timers.delete(t);
          fn();
        },
        Math.max(0, epoch.wallAt(scenarioMs) - now()),
      );
      timers.add(t);
    };
    const finish = (o: JournalEntry["outcome"]): void => {
      if (outcome !== null) return;
      outcome = o;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      inflight--;
      record({
        epoch: thisEpoch,
        request: id,
        rid,
        attempt,
        provider: p.name,
        try: tryKey,
        stream,
        arrival_ms: epoch.scenarioAt(arrivalWall),
        ttft_ms: firstTokenWall === firstTokenWall ? (firstTokenWall - arrivalWall) * timeScale : null,
        end_ms: epoch.scenarioAt(now()),
        status: course?.status ?? 0,
        error: course?.error ?? "none",
        tokens: sent,
        retry_after_s: course && course.retryAfterS === course.retryAfterS ? course.retryAfterS : null,
        outcome: o,
      });
    };
    res.on("close", () => {
      if (outcome === null) epoch.cancel(ticket); // the gateway let go: so does the provider
      finish("client_closed");
    });
    res.on("finish", () => finish("complete"));

    const usage = (n: number) => ({
      prompt_tokens: promptTokens,
      completion_tokens: n,
      total_tokens: promptTokens + n,
    });
    const text = (n: number) => "tok ".repeat(n);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
      `data: ${JSON.stringify({ id: chatId, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
    const fail = (status: number, error: string, retryAfterS: number) => {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (retryAfterS === retryAfterS) {
        // The hint is in scenario seconds: a gateway on wall time is told the scaled wait.
        headers["retry-after"] = String(Math.ceil(retryAfterS / hintScale));
        headers["retry-after-ms"] = String(Math.round((retryAfterS * 1000) / hintScale));
      }
      res.writeHead(status, headers);
      res.end(JSON.stringify({ error: { message: `mock ${p.name}: ${error}`, type: error, code: status } }));
    };

    const play = (cr: Course): void => {
      course = cr;
      if (outcome !== null) return;
      if (!Number.isFinite(cr.endMs)) return; // the provider hangs: only the client ends this call
      const streamed = cr.firstTokenMs === cr.firstTokenMs;
      if (!streamed) {
        at(cr.endMs, () => fail(cr.status, cr.error, cr.retryAfterS));
        return;
      }
      if (!stream) {
        at(cr.endMs, () => {
          if (cr.status !== 200) {
            fail(500, cr.error, Number.NaN);
            return;
          }
          sent = cr.tokens;
          firstTokenWall = epoch.wallAt(cr.firstTokenMs);
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              id: chatId,
              object: "chat.completion",
              created,
              model,
              choices: [
                { index: 0, message: { role: "assistant", content: text(cr.tokens) }, finish_reason: "stop" },
              ],
              usage: usage(cr.tokens),
            }),
          );
        });
        return;
      }
      // A stream: headers and the first event at the first token, then events spread to the end.
      const span = cr.endMs - cr.firstTokenMs;
      const wallSpan = span / timeScale;
      const events = Math.max(
        1,
        Math.min(Math.ceil(cr.tokens / TOKENS_PER_EVENT), Math.floor(wallSpan / MIN_EVENT_GAP_MS) + 1),
      );
      const emit = (i: number): void => {
        if (i === 0) {
          firstTokenWall = now();
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        }
        const n = Math.floor(((i + 1) * cr.tokens) / events) - Math.floor((i * cr.tokens) / events);
        sent += n;
        res.write(chunk(i === 0 ? { role: "assistant", content: text(n) } : { content: text(n) }, null));
        if (i + 1 < events) at(cr.firstTokenMs + ((i + 1) * span) / events, () => emit(i + 1));
        else at(cr.endMs, end);
      };
      const end = (): void => {
        if (cr.status !== 200) {
          // A mid-stream failure: the connection drops without a final event.
          finish("cut");
          res.destroy();
          return;
        }
        res.write(chunk({}, "stop"));
        res.write(
          `data: ${JSON.stringify({ id: chatId, object: "chat.completion.chunk", created, model, choices: [], usage: usage(sent) })}\n\n`,
        );
        res.end("data: [DONE]\n\n");
      };
      at(cr.firstTokenMs, () => emit(0));
    };

    const ticket: AttemptTicket = {
      endpoint,
      requestId: rid,
      tryKey,
      promptTokens,
      completionTokens,
      decided: play,
    };
    epoch.submit(ticket);
  };

  const handler =
    (endpoint: number) =>
    (req: IncomingMessage, res: ServerResponse): void => {
      const url = new URL(req.url ?? "/", `http://${LOOPBACK}`);
      if (url.pathname.startsWith("/_routesim/")) {
        control(req, res, url);
        return;
      }
      if (closing) {
        res.writeHead(503, { "content-type": "application/json", connection: "close" });
        res.end(
          JSON.stringify({ error: { message: "routesim serve is shutting down", type: "unavailable" } }),
        );
        return;
      }
      if (req.method === "GET" && /\/models$/.test(url.pathname)) {
        const p = s.providers[endpoint];
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ object: "list", data: [{ id: p.model, object: "model", owned_by: p.name }] }),
        );
        return;
      }
      if (req.method !== "POST" || !/(^|\/)chat\/completions$/.test(url.pathname)) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error: { message: `no route ${req.method} ${url.pathname}`, type: "not_found" } }),
        );
        return;
      }
      readJsonObject(req, (body) => {
        if (body === null) {
          res.writeHead(400, { "content-type": "application/json" });
          res.end(
            JSON.stringify({ error: { message: "expected a JSON object body", type: "invalid_request" } }),
          );
          return;
        }
        completion(endpoint, req, res, body);
      });
    };

  const servers: Server[] = [];
  const providers: ProviderPort[] = [];
  try {
    for (let i = 0; i < s.providers.length; i++) {
      const server = createServer({ keepAliveTimeout: 5000 }, handler(i));
      await new Promise<void>((ok, bad) => {
        server.once("error", bad);
        server.listen(opts.portBase === undefined ? 0 : opts.portBase + i, LOOPBACK, () => ok());
      });
      servers.push(server);
      const port = (server.address() as AddressInfo).port;
      providers.push({
        tag: s.providers[i].name,
        model: s.providers[i].model,
        port,
        baseUrl: `http://${LOOPBACK}:${port}/v1`,
      });
    }
  } catch (e) {
    for (const sv of servers) sv.close();
    if (fd !== null) closeSync(fd);
    throw e;
  }
  // The model starts when the ports are up, not when the scenario was read.
  fleet.close();
  fleet = new FleetEpoch(loaded, now(), timeScale, now);
  const ports: MockPorts = {
    host: LOOPBACK,
    pid: process.pid,
    timeScale,
    gatewayClock,
    scenario: s.name,
    journal: opts.journalFile ?? null,
    providers,
  };
  if (opts.portsFile) {
    const tmp = `${opts.portsFile}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(ports, null, 2)}\n`);
    renameSync(tmp, opts.portsFile); // readers never see half a file
  }

  const { closed, close } = closeOnce(opts.lifetimeS, servers, {
    begin: () => {
      closing = true;
    },
    end: () => {
      fleet.close();
      for (const f of older) f.close();
      if (fd !== null) closeSync(fd);
      fd = null; // calls that close after this are in `entries` only
    },
  });
  return {
    ports,
    closed,
    close,
    journal: (epoch = epochNo) => entries.filter((e) => e.epoch === epoch),
  };
}
