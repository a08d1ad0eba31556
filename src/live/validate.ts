/**
 * Live vs simulated, on distributions (a gateway draws from its own RNG, so rows never match one
 * for one): rates and means by two-sample z tests, quantiles by distribution-free confidence
 * intervals (order statistics) that must overlap within an allowance for the gateway's own
 * overhead. A first version of `routesim validate` (issue 20 item 3), as a function.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCsv, unfield } from "../metrics/csv.js";
import { InputError } from "../scenario/errors.js";

/** One request as requests.csv has it (the columns validation needs). */
export interface RequestRow {
  policy: string;
  id: number;
  attempts: number;
  status: number;
  provider: string;
  latencyMs: number;
  ttftMs: number;
}

export interface Check {
  metric: string;
  sim: number;
  live: number;
  /** z statistic for rates and means; for quantiles the gap between the two intervals (ms). */
  statistic: number;
  /** The bound the statistic is held to. */
  bound: number;
  agree: boolean;
}

export interface ValidateOptions {
  /** |z| above this disagrees (wide: several metrics are checked at once). Default 4. */
  zLimit?: number;
  /** Latency the gateway may add (scenario ms): its processing, timers, a stream's first event. Default 50. */
  overheadMs?: number;
  quantiles?: readonly number[];
}

/** The records of a CSV file routesim wrote (quoted cells, formula guard undone; blank lines dropped). */
function ownCsv(file: string): string[][] {
  const p = parseCsv(readFileSync(file, "utf8"));
  if (!("records" in p))
    throw new InputError(file, [{ path: `line ${p.brokenAtLine}`, message: "unterminated quoted field" }]);
  return p.records.filter((r) => r.length > 1 || r[0] !== "").map((r) => r.map(unfield));
}

/** Reads requests.csv of a results folder (run or drive), optionally one policy's rows. */
export function readRequests(dir: string, policy?: string): RequestRow[] {
  const [cols, ...lines] = ownCsv(join(dir, "requests.csv"));
  const at = (name: string) => cols.indexOf(name);
  const [p, id, a, st, pr, lat, tt] = [
    "policy",
    "request_id",
    "attempts",
    "status",
    "provider_served",
    "latency_ms",
    "ttft_ms",
  ].map(at);
  return lines
    .filter((f) => policy === undefined || f[p] === policy)
    .map((f) => ({
      policy: f[p],
      id: Number(f[id]),
      attempts: Number(f[a]),
      status: Number(f[st]),
      provider: f[pr],
      latencyMs: Number(f[lat]),
      ttftMs: f[tt] === "" ? Number.NaN : Number(f[tt]),
    }));
}

function proportions(metric: string, x1: number, n1: number, x2: number, n2: number, z: number): Check {
  const p1 = n1 ? x1 / n1 : 0;
  const p2 = n2 ? x2 / n2 : 0;
  const pooled = n1 + n2 ? (x1 + x2) / (n1 + n2) : 0;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / Math.max(n1, 1) + 1 / Math.max(n2, 1)));
  const stat = se > 0 ? (p2 - p1) / se : p1 === p2 ? 0 : Number.POSITIVE_INFINITY;
  return { metric, sim: p1, live: p2, statistic: stat, bound: z, agree: Math.abs(stat) <= z };
}

function means(metric: string, a: readonly number[], b: readonly number[], z: number): Check {
  const m = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / Math.max(v.length, 1);
  const va = (v: readonly number[], mu: number) =>
    v.length > 1 ? v.reduce((s, x) => s + (x - mu) ** 2, 0) / (v.length - 1) : 0;
  const ma = m(a);
  const mb = m(b);
  const se = Math.sqrt(va(a, ma) / Math.max(a.length, 1) + va(b, mb) / Math.max(b.length, 1));
  const stat = se > 0 ? (mb - ma) / se : ma === mb ? 0 : Number.POSITIVE_INFINITY;
  return { metric, sim: ma, live: mb, statistic: stat, bound: z, agree: Math.abs(stat) <= z };
}

/** The sample quantile and its distribution-free interval: order statistics n·q ± z·√(n·q·(1−q)). */
function quantileBand(v: readonly number[], q: number, z: number): { q: number; lo: number; hi: number } {
  const s = [...v].sort((x, y) => x - y);
  const n = s.length;
  if (n === 0) return { q: Number.NaN, lo: Number.NaN, hi: Number.NaN };
  const r = n * q;
  const half = z * Math.sqrt(n * q * (1 - q));
  const pick = (rank: number) => s[Math.min(n - 1, Math.max(0, Math.floor(rank)))];
  return { q: pick(r), lo: pick(r - half), hi: pick(r + half) };
}

function quantile(
  metric: string,
  a: readonly number[],
  b: readonly number[],
  q: number,
  z: number,
  allowance: number,
): Check {
  const x = quantileBand(a, q, z);
  const y = quantileBand(b, q, z);
  // How far apart the two intervals are (0 when they overlap).
  const gap = Math.max(0, y.lo - x.hi, x.lo - y.hi);
  const empty = a.length === 0 || b.length === 0;
  return {
    metric,
    sim: x.q,
    live: y.q,
    statistic: gap,
    bound: allowance,
    agree: empty ? a.length === b.length : gap <= allowance,
  };
}

/** One provider call as attempts.csv has it. */
export interface AttemptRow {
  requestId: string;
  k: number;
  startMs: number;
  endMs: number;
  status: number;
}

/** Reads attempts.csv of a results folder, optionally one policy's rows. */
export function readAttempts(dir: string, policy?: string): AttemptRow[] {
  const [cols, ...lines] = ownCsv(join(dir, "attempts.csv"));
  const [p, id, k, start, end, st] = ["policy", "request_id", "attempt", "start_ms", "end_ms", "status"].map(
    (c) => cols.indexOf(c),
  );
  return lines
    .filter((f) => policy === undefined || f[p] === policy)
    .map((f) => ({
      requestId: f[id],
      k: Number(f[k]),
      startMs: Number(f[start]),
      endMs: Number(f[end]),
      status: Number(f[st]),
    }));
}

/** Gaps (ms) between an attempt's end and the start of the same request's next attempt. */
export function retryGaps(attempts: readonly AttemptRow[]): number[] {
  const byRequest = new Map<string, AttemptRow[]>();
  for (const a of attempts) {
    const list = byRequest.get(a.requestId) ?? [];
    list.push(a);
    byRequest.set(a.requestId, list);
  }
  const gaps: number[] = [];
  for (const list of byRequest.values()) {
    list.sort((a, b) => a.k - b.k);
    for (let i = 1; i < list.length; i++) gaps.push(list[i].startMs - list[i - 1].endMs);
  }
  return gaps;
}

/** Gaps (ms) between an attempt's end and the start of the same request's next attempt (attempts.csv). */
export function readRetryGaps(dir: string, policy?: string): number[] {
  return retryGaps(readAttempts(dir, policy));
}

/** The status mix of provider calls: each status's share of all attempts (a retry storm shows here first). */
function attemptStatusChecks(a: readonly AttemptRow[], b: readonly AttemptRow[], z: number): Check[] {
  const statuses = [...new Set([...a, ...b].map((r) => r.status))].sort((x, y) => x - y);
  if (statuses.length < 2) return [];
  return statuses.map((st) => {
    const c = (rows: readonly AttemptRow[]) => rows.filter((r) => r.status === st).length;
    return proportions(`attempt status ${st}`, c(a), a.length, c(b), b.length, z);
  });
}

/** Every check for a simulated policy (in a `run` folder) and a live one (a `drive` folder). */
export function validateDirs(
  simDir: string,
  policy: string,
  liveDir: string,
  opts: ValidateOptions = {},
): Check[] {
  const checks = validateRows(readRequests(simDir, policy), readRequests(liveDir), opts);
  const simAttempts = readAttempts(simDir, policy);
  const liveAttempts = readAttempts(liveDir);
  checks.push(...attemptStatusChecks(simAttempts, liveAttempts, opts.zLimit ?? 4));
  const a = retryGaps(simAttempts);
  const b = retryGaps(liveAttempts);
  if (a.length > 0 || b.length > 0)
    for (const q of opts.quantiles ?? [0.5, 0.9])
      checks.push(
        quantile(`retryGapMs p${Math.round(q * 100)}`, a, b, q, opts.zLimit ?? 4, opts.overheadMs ?? 50),
      );
  return checks;
}

/** Every check for one simulated and one live policy. */
export function validateRows(
  sim: readonly RequestRow[],
  live: readonly RequestRow[],
  opts: ValidateOptions = {},
): Check[] {
  const z = opts.zLimit ?? 4;
  const allowance = opts.overheadMs ?? 50;
  const out: Check[] = [];
  const ok = (r: RequestRow) => r.status === 200;
  const n1 = sim.length;
  const n2 = live.length;
  const s1 = sim.filter(ok);
  const s2 = live.filter(ok);
  out.push(proportions("successRate", s1.length, n1, s2.length, n2, z));
  const statuses = [...new Set([...sim, ...live].filter((r) => !ok(r)).map((r) => r.status))].sort(
    (a, b) => a - b,
  );
  for (const st of statuses) {
    const c = (rows: readonly RequestRow[]) => rows.filter((r) => r.status === st).length;
    out.push(proportions(`status ${st}`, c(sim), n1, c(live), n2, z));
  }
  out.push(
    means(
      "attemptsPerRequest",
      sim.map((r) => r.attempts),
      live.map((r) => r.attempts),
      z,
    ),
  );
  const tags = [...new Set([...s1, ...s2].map((r) => r.provider))].sort();
  for (const t of tags) {
    const c = (rows: readonly RequestRow[]) => rows.filter((r) => r.provider === t).length;
    out.push(proportions(`providerShare ${t}`, c(s1), s1.length, c(s2), s2.length, z));
  }
  const lat = (rows: readonly RequestRow[]) => rows.map((r) => r.latencyMs);
  const ttft = (rows: readonly RequestRow[]) => rows.map((r) => r.ttftMs).filter((x) => x === x);
  // Quantiles of served requests (none served on either side: nothing to compare).
  for (const q of s1.length + s2.length > 0 ? (opts.quantiles ?? [0.5, 0.9]) : []) {
    const name = `p${Math.round(q * 100)}`;
    out.push(quantile(`latencyMs ${name}`, lat(s1), lat(s2), q, z, allowance));
    out.push(quantile(`ttftMs ${name}`, ttft(s1), ttft(s2), q, z, allowance));
  }
  return out;
}

const num = (x: number) =>
  !Number.isFinite(x) ? String(x) : Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(3);

/** A side-by-side markdown table with a verdict per metric. */
export function renderChecks(title: string, checks: readonly Check[]): string {
  const rows = checks.map(
    (c) =>
      `| ${c.metric} | ${num(c.sim)} | ${num(c.live)} | ${num(c.statistic)} ≤ ${num(c.bound)} | ${c.agree ? "agree" : "DISAGREE"} |`,
  );
  return [
    `### ${title}`,
    "",
    "| metric | simulated | live | statistic | verdict |",
    "|---|---:|---:|---:|---|",
    ...rows,
    "",
  ].join("\n");
}
