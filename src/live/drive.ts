/**
 * `routesim drive`: replays a scenario's traffic open-loop, in scaled wall time, through any
 * OpenAI-compatible gateway in front of `routesim serve`, then joins what the client saw with the
 * mocks' journal into the results format of `routesim run` (requests.csv, attempts.csv,
 * summary.json, run.json, report.md; plus live.json and journal.jsonl).
 *
 * A request carries `user: rs-<id>` (gateways forward it), so its calls to providers are found in
 * the journal. Warm-up requests (ids `warmup-<i>`) go first; then the mocks are reset, so the
 * scenario's clock (outages, rate limits) starts with the first measured request.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runMarkdown } from "../experiment/batch-means.js";
import { UNKNOWN_DECISION } from "../experiment/why.js";
import { ATTEMPT_COLUMNS, PolicyMetrics, REQUEST_COLUMNS } from "../metrics/collector.js";
import { CsvWriter } from "../metrics/csv.js";
import { errorType } from "../policies/errors.js";
import { buildCatalog } from "../providers/catalog.js";
import { openResultsFolder, type ResultsFolder } from "../results/folder.js";
import { readRunFolder } from "../results/run-folder.js";
import { billUsd } from "../router/billing.js";
import { type LoadedScenario, sloOf } from "../scenario/load.js";
import type { PolicySpec } from "../scenario/schema.js";
import {
  describePolicies,
  type RunInfo,
  routesimVersion,
  SUMMARY_SCHEMA_VERSION,
  type Summary,
} from "../simulate.js";
import { openTraffic } from "../traffic/index.js";
import { makeRequest } from "../traffic/request.js";
import type { AttemptRecord, LiveInfo, Outcome, TrafficRequest } from "../types.js";
import { portkeyLiveConfig } from "./portkey.js";
import { sleep } from "./process.js";
import type { JournalEntry, MockPorts } from "./serve.js";
import "../traffic/trace.js";

const WARMUP_ROUND = 8;

export interface DriveOptions {
  loaded: LoadedScenario;
  /** The policy whose request template (stream, model…) is sent; a `kind: portkey` one also gives the gateway config. */
  policy: PolicySpec;
  /** Gateway base URL; requests go to `<gateway>/chat/completions`. */
  gateway: string;
  headers: Record<string, string>;
  /** A Portkey config to send instead of the policy's (leaves are mapped to the mocks). */
  gatewayConfig?: unknown;
  /** Send the mapped Portkey config in `x-portkey-config` (default: when the policy is kind portkey). */
  portkeyHeader?: boolean;
  mock: MockPorts;
  timeScale: number;
  warmup: number;
  outDir: string | null;
  /** Name of the policy in the results (default `<policy>`). */
  label?: string;
  /** Each request is abandoned after this long (wall ms); the whole replay after `maxWallMs`. */
  requestTimeoutMs?: number;
  maxWallMs?: number;
  now?: () => number;
  command?: string;
}

/** What the client saw of one request, in wall ms from its send. */
interface Seen {
  req: TrafficRequest;
  status: number;
  ok: boolean;
  latencyWall: number;
  ttftWall: number;
  code: string;
  lastUsed: string | null;
}

export interface DriveResult {
  summary: Summary;
  run: RunInfo;
  live: LiveInfo;
  outDir: string | null;
}

export async function drive(o: DriveOptions): Promise<DriveResult> {
  const s = o.loaded.scenario;
  const now = o.now ?? (() => performance.now());
  const started = now();
  const control = `http://${o.mock.host}:${o.mock.providers[0].port}/_routesim`;
  const headers: Record<string, string> = { "content-type": "application/json", ...o.headers };
  const sendPortkey = o.portkeyHeader ?? (o.policy.kind === "portkey" || o.gatewayConfig !== undefined);
  if (sendPortkey && headers["x-portkey-config"] === undefined)
    headers["x-portkey-config"] = JSON.stringify(
      portkeyLiveConfig(o.loaded, o.policy, o.mock, o.gatewayConfig),
    );
  const template = o.policy.request;
  const url = `${o.gateway.replace(/\/$/, "")}/chat/completions`;
  const perRequestMs = o.requestTimeoutMs ?? 120_000;
  const abort = new AbortController();
  const overall = setTimeout(() => abort.abort(), o.maxWallMs ?? 600_000);
  overall.unref(); // never what keeps the process alive

  const send = async (req: TrafficRequest, user: string): Promise<Seen> => {
    const stream = template.stream === true;
    const body = {
      model: template.model ?? req.model,
      messages: [{ role: "user", content: `request ${user}` }],
      max_tokens: req.completionTokens,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      user,
    };
    const t0 = now();
    let ttft = Number.NaN;
    try {
      const r = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(perRequestMs)]),
      });
      const lastUsed = r.headers.get("x-portkey-last-used-option-index");
      let text = "";
      let done = false;
      if (stream && r.ok && r.body) {
        const dec = new TextDecoder();
        for await (const part of r.body as unknown as AsyncIterable<Uint8Array>) {
          const t = dec.decode(part, { stream: true });
          if (ttft !== ttft && t.includes('"content"')) ttft = now() - t0;
          text = (text + t).slice(-64);
          if (text.includes("[DONE]")) done = true;
        }
      } else {
        text = await r.text();
        done = r.ok;
      }
      const latency = now() - t0;
      const ok = r.status === 200 && done;
      return {
        req,
        status: ok ? 200 : r.ok ? 502 : r.status,
        ok,
        latencyWall: latency,
        ttftWall: ttft,
        code: ok ? "" : r.ok ? "incomplete_stream" : errorType(r.status),
        lastUsed,
      };
    } catch (e) {
      const timeout = (e as Error).name === "TimeoutError" || (e as Error).name === "AbortError";
      return {
        req,
        status: timeout ? 408 : 502,
        ok: false,
        latencyWall: now() - t0,
        ttftWall: ttft,
        code: timeout ? "client_timeout" : "connection_error",
        lastUsed: null,
      };
    }
  };

  // Warm-up: rounds of the first request, excluded from results (a gateway's first requests are slow).
  const traffic = openTraffic(s.traffic, o.loaded.baseDir, s.seed, o.loaded.file);
  const first = traffic.next();
  if (first === null) throw new Error(`scenario ${s.name} has no traffic`);
  for (let i = 0; i < o.warmup; i += WARMUP_ROUND)
    await Promise.all(
      Array.from({ length: Math.min(WARMUP_ROUND, o.warmup - i) }, (_, j) => send(first, `warmup-${i + j}`)),
    );
  const reset = await fetch(`${control}/reset`, { method: "POST", signal: AbortSignal.timeout(5000) });
  const epoch = ((await reset.json()) as { epoch: number }).epoch;

  // The open loop: each request leaves at its arrival time, whatever the others are doing.
  const t0 = now();
  const pending: Promise<Seen>[] = [];
  let lag = 0;
  for (let r: TrafficRequest | null = first; r !== null && !abort.signal.aborted; r = traffic.next()) {
    const due = t0 + r.arrivalMs / o.timeScale;
    if (due - now() > 1) await sleep(due - now());
    lag = Math.max(lag, now() - due);
    pending.push(send(r, `rs-${r.id}`));
  }
  const seen = await Promise.all(pending);
  // Calls the gateway abandoned may still be open at the mocks: wait (bounded) until they end.
  for (let i = 0; i < 100; i++) {
    const st = (await (await fetch(`${control}/state`, { signal: AbortSignal.timeout(2000) })).json()) as {
      inflight: number;
    };
    if (st.inflight === 0) break;
    await sleep(100);
  }
  clearTimeout(overall);
  const jr = await fetch(`${control}/journal?epoch=${epoch}`, { signal: AbortSignal.timeout(10_000) });
  const journal = (await jr.text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalEntry);
  const cut = abort.signal.aborted ? `replay stopped at its time limit after ${seen.length} requests` : null;
  return write(o, seen, journal, now() - started, lag, cut);
}

function attemptOf(
  policy: string,
  req: TrafficRequest,
  j: JournalEntry,
  e: ReturnType<typeof buildCatalog>[number],
): AttemptRecord {
  // The client (the gateway) hung up first: its timer ran out (after the first token: a cut stream).
  const closed = j.outcome === "client_closed";
  const status = closed ? 408 : j.status;
  const error = closed
    ? j.ttft_ms !== null
      ? "mid_stream"
      : "timeout"
    : j.outcome === "cut"
      ? "mid_stream"
      : j.error;
  const rec: AttemptRecord = {
    policy,
    requestId: req.id,
    attempt: j.attempt,
    endpoint: e,
    startMs: j.arrival_ms,
    endMs: j.end_ms,
    ttftMs: j.ttft_ms ?? Number.NaN,
    status,
    error: error as AttemptRecord["error"],
    promptTokens: req.promptTokens,
    completionTokens: j.tokens,
    costUsd: status === 200 ? billUsd(e, req.promptTokens, 0, j.tokens, 0) : 0,
    ...(j.retry_after_s !== null ? { retryAfterS: j.retry_after_s } : {}),
  };
  return rec;
}

function write(
  o: DriveOptions,
  seen: Seen[],
  journal: JournalEntry[],
  wallMs: number,
  lagMs: number,
  cut: string | null,
): DriveResult {
  const folder = o.outDir ? openResultsFolder(o.outDir) : null;
  try {
    return fill(o, seen, journal, wallMs, lagMs, cut, folder);
  } catch (e) {
    folder?.abort(); // never leave a half-written result
    throw e;
  }
}

function fill(
  o: DriveOptions,
  seen: Seen[],
  journal: JournalEntry[],
  wallMs: number,
  lagMs: number,
  cut: string | null,
  folder: ResultsFolder | null,
): DriveResult {
  const s = o.loaded.scenario;
  const label = o.label ?? o.policy.name;
  const catalog = buildCatalog(s.providers);
  const byTag = new Map(catalog.map((e) => [e.tag, e]));
  const byRid = new Map<number, JournalEntry[]>();
  for (const j of journal) {
    const list = byRid.get(j.rid) ?? [];
    list.push(j);
    byRid.set(j.rid, list);
  }
  const outDir = o.outDir;
  const tmp = folder?.tmp ?? null;
  const attemptsCsv = tmp ? new CsvWriter(join(tmp, "attempts.csv"), ATTEMPT_COLUMNS) : null;
  const requestsCsv = tmp ? new CsvWriter(join(tmp, "requests.csv"), REQUEST_COLUMNS) : null;
  const metrics = new PolicyMetrics(label, attemptsCsv, requestsCsv, catalog, sloOf(s));
  const lastUsedOption: Record<string, number> = {};
  let mismatched = 0;
  const k = o.timeScale;
  for (const x of [...seen].sort((a, b) => a.req.id - b.req.id)) {
    const req = x.req;
    if (x.lastUsed !== null) lastUsedOption[x.lastUsed] = (lastUsedOption[x.lastUsed] ?? 0) + 1;
    const js = (byRid.get(req.id) ?? []).sort((a, b) => a.attempt - b.attempt);
    const attempts = js.map((j) => attemptOf(label, req, j, byTag.get(j.provider)!));
    for (const a of attempts) metrics.attempt(a);
    const spent = attempts.reduce((sum, a) => sum + a.costUsd, 0);
    const servedBy = [...attempts].reverse().find((a) => a.status === 200);
    const latencyMs = x.latencyWall * k;
    let outcome: Outcome;
    if (x.ok && servedBy) {
      // A plain response shows no first token to the client: take the provider's generation time off.
      const ttftMs =
        x.ttftWall === x.ttftWall
          ? x.ttftWall * k
          : latencyMs - (servedBy.endMs - servedBy.startMs - servedBy.ttftMs);
      outcome = {
        kind: "served",
        endpoint: servedBy.endpoint,
        attempts: attempts.length,
        costUsd: spent,
        latencyMs,
        ttftMs,
      };
    } else {
      if (x.ok !== (servedBy !== undefined)) mismatched++;
      outcome = {
        kind: "failed",
        status: x.ok ? 502 : x.status,
        code: x.ok ? "unjoined" : x.code,
        attempts: attempts.length,
        latencyMs,
        ttftMs: x.ttftWall * k,
        costUsd: spent,
      };
    }
    const body = { ...o.policy.request, model: o.policy.request.model ?? req.model };
    const routed = makeRequest(
      req.id,
      req.arrivalMs,
      req.promptTokens,
      req.completionTokens,
      req.model,
      req.session,
      req.priority,
      body,
    );
    metrics.outcome(routed, outcome, attempts, UNKNOWN_DECISION);
  }
  attemptsCsv?.close();
  requestsCsv?.close();
  const warnings: string[] = cut ? [`${label}: ${cut}`] : [];
  if (mismatched > 0)
    warnings.push(
      `${label}: ${mismatched} requests' gateway answer disagrees with the mock journal (200 without a served call, or the reverse)`,
    );
  const summary: Summary = {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    scenario: s.name,
    seed: s.seed,
    requests: seen.length,
    skippedRows: 0,
    policies: [metrics.summary()],
    warnings,
  };
  const run: RunInfo = {
    scenario: s.name,
    scenarioFile: o.loaded.file,
    scenarioHash: o.loaded.hash,
    seed: s.seed,
    routesimVersion: routesimVersion(),
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
    events: 0,
    wallTimeMs: wallMs,
    eventsPerSec: null,
    requestsPerSec: wallMs > 0 ? Math.round(seen.length / (wallMs / 1000)) : null,
    command: o.command ?? null,
    policies: describePolicies(o.loaded, [o.policy.name]).map((p) => ({ ...p, name: label })),
  };
  const live: LiveInfo = {
    gateway: o.gateway,
    timeScale: k,
    warmup: o.warmup,
    requests: seen.length,
    journalEntries: journal.length,
    mismatched,
    lastUsedOption,
    maxSendLagMs: lagMs,
    wallTimeMs: wallMs,
  };
  if (tmp && outDir) {
    writeFileSync(join(tmp, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(join(tmp, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(join(tmp, "live.json"), `${JSON.stringify(live, null, 2)}\n`);
    writeFileSync(join(tmp, "journal.jsonl"), journal.map((j) => `${JSON.stringify(j)}\n`).join(""));
    writeFileSync(join(tmp, "report.md"), runMarkdown(readRunFolder(tmp, o.loaded), undefined).markdown);
    folder?.commit();
  }
  return { summary, run, live, outDir };
}
