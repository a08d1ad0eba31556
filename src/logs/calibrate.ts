/**
 * From a gateway's own log to a scenario: the log's requests become a trace (replayed as traffic),
 * and each (provider, model) it called becomes a provider fitted to how it behaved — TTFT and
 * decode speed, error rate and mix, outage windows found as error bursts, and prices from
 * cost ÷ tokens. With a holdout, the fit uses the first part of the log only and the rest is
 * simulated with the policy the user ran (default: the log's own split between providers), then
 * predicted and observed are put side by side.
 *
 * Two streamed passes over the log (time range, then statistics and trace rows); per endpoint a
 * fixed-size seeded reservoir of samples and one counter per outage bin: memory does not grow with
 * the number of rows.
 */
import { basename } from "node:path";
import { type Fit, type FitMode, fitPositive } from "../calibrate/fit.js";
import { CsvWriter, field } from "../metrics/csv.js";
import { QuantileSketch } from "../metrics/sketch.js";
import { Rng } from "../rng/rng.js";
import { InputError } from "../scenario/errors.js";
import { scenarioFromObject } from "../scenario/load.js";
import type { ScenarioInput } from "../scenario/schema.js";
import { simulate } from "../simulate.js";
import type { LogRecord, LogSource } from "./record.js";

type ProviderInput = ScenarioInput["providers"][number];
type PolicyInput = ScenarioInput["policies"][number];

const RESERVOIR = 20_000;
/** Fewer known TTFTs than this: the log is not streamed, TTFT is fitted to the whole latency. */
const MIN_TTFT_SAMPLES = 20;

export interface LogCalibrateOptions {
  name: string;
  /** Share of the log (by time, at the end) kept out of the fit and predicted. 0 = none. */
  holdout: number;
  fit: FitMode;
  tolerance?: number;
  /** Outage detection: bins of this many seconds, down when ≥ `outageShare` of ≥ 3 calls failed. */
  binS: number;
  outageShare: number;
  /** Policies for the scenario (the first is the one validated); default: as logged. */
  policies?: PolicyInput[];
  /** Where the full trace and the holdout trace are written; the scenario names them by base name. */
  traceFile: string;
  holdoutFile: string;
  /** Folder the written scenario and traces live in (trace paths resolve against it). */
  baseDir: string;
}

class Reservoir {
  readonly xs: number[] = [];
  seen = 0;
  constructor(private readonly rng: Rng) {}
  add(x: number): void {
    this.seen++;
    if (this.xs.length < RESERVOIR) this.xs.push(x);
    else {
      const j = this.rng.int(this.seen);
      if (j < RESERVOIR) this.xs[j] = x;
    }
  }
}

/** What one (provider, model) did in the fit part of the log. */
class EndpointStats {
  calls = 0;
  ok = 0;
  readonly byStatus = new Map<number, number>();
  /** Failures inside detected outage windows (not counted again in the base error rate). */
  inOutage = 0;
  readonly ttft: Reservoir;
  readonly latency: Reservoir;
  readonly tps: Reservoir;
  /** Sums for least squares cost = a·prompt + b·completion. */
  pp = 0;
  cc = 0;
  pc = 0;
  py = 0;
  cy = 0;
  costed = 0;
  sumCost = 0;
  sumTokens = 0;
  /** Calls and failures per outage bin, over the whole log. */
  readonly bins = new Map<number, { n: number; err: number; status: Map<number, number> }>();
  constructor(
    readonly provider: string,
    readonly model: string,
  ) {
    const key = `${provider}|${model}`;
    this.ttft = new Reservoir(new Rng(1, "logs", key, "ttft"));
    this.latency = new Reservoir(new Rng(1, "logs", key, "latency"));
    this.tps = new Reservoir(new Rng(1, "logs", key, "tps"));
  }
}

export interface EndpointFit {
  provider: ProviderInput;
  stats: EndpointStats;
  ttft: Fit | null;
  tps: Fit | null;
  ttftFrom: "ttft" | "latency";
  errorRate: number;
  outages: { start_s: number; duration_s: number; status: number }[];
  priceFrom: "regression" | "ratio" | "none";
}

export interface Observed {
  requests: number;
  successRate: number;
  providerShare: Record<string, number>;
  latencyP50Ms: number;
  latencyP99Ms: number;
  costUsd: number;
}

export interface ValidationRow {
  metric: string;
  observed: number;
  predicted: number;
  /** predicted − observed (absolute; relative for latency and cost). */
  error: number;
  relative: boolean;
  tolerance: number;
  ok: boolean;
}

export interface LogCalibration {
  scenario: ScenarioInput;
  fits: EndpointFit[];
  records: number;
  requests: number;
  spanS: number;
  fitRequests: number;
  holdout: { observed: Observed; predicted: Observed; rows: ValidationRow[]; policy: string } | null;
  notes: string[];
}

const TRACE_COLUMNS = ["time_ms", "prompt_tokens", "completion_tokens", "model", "session", "status"];

function rowText(r: LogRecord, completion: number): string {
  return `${r.startMs},${r.promptTokens},${completion},${field(r.model)},${r.session === null ? "" : field(r.session)},${r.status}`;
}

const round = (x: number, d = 4): number => Number(x.toPrecision(d));

/** Price per million tokens from the cost sums: least squares, else cost ÷ all tokens. */
function price(s: EndpointStats): { prompt: number; completion: number; from: EndpointFit["priceFrom"] } {
  if (s.costed === 0) return { prompt: 0, completion: 0, from: "none" };
  const det = s.pp * s.cc - s.pc * s.pc;
  if (det > 1e-9 * s.pp * s.cc) {
    const a = (s.py * s.cc - s.cy * s.pc) / det;
    const b = (s.cy * s.pp - s.py * s.pc) / det;
    if (a >= 0 && b >= 0) return { prompt: round(a * 1e6), completion: round(b * 1e6), from: "regression" };
  }
  // Prompt and completion sizes move together (or a fit went negative): one price for both.
  const perToken = s.sumTokens > 0 ? s.sumCost / s.sumTokens : 0;
  return { prompt: round(perToken * 1e6), completion: round(perToken * 1e6), from: "ratio" };
}

/** Outage windows: runs of bins where most calls failed (only where the base rate is lower). */
function outagesOf(s: EndpointStats, binS: number, share: number, originMs: number) {
  const down = [...s.bins.entries()]
    .filter(([, b]) => b.n >= 3 && b.err / b.n >= share)
    .map(([i]) => i)
    .sort((a, b) => a - b);
  const windows: { from: number; to: number; status: Map<number, number> }[] = [];
  for (const i of down) {
    const last = windows[windows.length - 1];
    const st = s.bins.get(i)!.status;
    if (last && last.to === i) {
      last.to = i + 1;
      for (const [k, v] of st) last.status.set(k, (last.status.get(k) ?? 0) + v);
    } else windows.push({ from: i, to: i + 1, status: new Map(st) });
  }
  return windows.map((w) => ({
    startMs: originMs + w.from * binS * 1000,
    endMs: originMs + w.to * binS * 1000,
    status: [...w.status.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 503,
  }));
}

function slugUnique(fits: { provider: string; model: string }[]): string[] {
  const count = new Map<string, number>();
  for (const f of fits) count.set(f.provider, (count.get(f.provider) ?? 0) + 1);
  const used = new Map<string, number>();
  return fits.map((f) => {
    if (count.get(f.provider) === 1) return f.provider;
    const k = (used.get(f.provider) ?? 0) + 1;
    used.set(f.provider, k);
    return k === 1 ? f.provider : `${f.provider}/${k}`;
  });
}

function observedOf(
  n: number,
  ok: number,
  latency: QuantileSketch,
  cost: number,
  served: Map<string, number>,
): Observed {
  const share: Record<string, number> = {};
  for (const [k, v] of [...served.entries()].sort()) share[k] = ok ? v / ok : 0;
  return {
    requests: n,
    successRate: n ? ok / n : 0,
    providerShare: share,
    latencyP50Ms: latency.quantile(0.5),
    latencyP99Ms: latency.quantile(0.99),
    costUsd: cost,
  };
}

export async function calibrateLogs(src: LogSource, o: LogCalibrateOptions): Promise<LogCalibration> {
  // Pass 1: the time range, the disorder of the rows, how many there are.
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let maxSeen = Number.NEGATIVE_INFINITY;
  let disorder = 0;
  let records = 0;
  const completions = new Map<string, Reservoir>();
  for await (const r of src.records()) {
    records++;
    if (r.status === 200 && !r.attemptOnly) {
      let res = completions.get(r.model);
      if (!res) {
        res = new Reservoir(new Rng(1, "logs", r.model, "completion"));
        completions.set(r.model, res);
      }
      res.add(r.completionTokens);
    }
    if (r.startMs < first) first = r.startMs;
    if (r.startMs > last) last = r.startMs;
    if (r.startMs < maxSeen) disorder = Math.max(disorder, maxSeen - r.startMs);
    else maxSeen = r.startMs;
  }
  if (records === 0) throw new InputError(src.label, [{ path: "", message: "no requests in the log" }]);
  // A failed request's log has no output size: the trace gives it the model's median answer.
  const medianCompletion = new Map<string, number>();
  for (const [m, res] of completions) {
    const xs = [...res.xs].sort((a, b) => a - b);
    medianCompletion.set(m, xs[Math.floor(xs.length / 2)] ?? 0);
  }
  const traceLine = (r: LogRecord): string =>
    rowText(r, r.status === 200 ? r.completionTokens : (medianCompletion.get(r.model) ?? r.completionTokens));
  const split = o.holdout > 0 ? first + (1 - o.holdout) * (last - first) : Number.POSITIVE_INFINITY;

  // Pass 2: statistics of the fit part, outage bins and trace rows of all of it.
  const stats = new Map<string, EndpointStats>();
  const trace = new CsvWriter(o.traceFile, TRACE_COLUMNS);
  const hold = o.holdout > 0 ? new CsvWriter(o.holdoutFile, TRACE_COLUMNS) : null;
  let requests = 0;
  let fitRequests = 0;
  let holdFirst = Number.POSITIVE_INFINITY;
  const hLatency = new QuantileSketch();
  let hN = 0;
  let hOk = 0;
  let hCost = 0;
  const hServed = new Map<string, number>();
  const binMs = o.binS * 1000;
  let triedBefore = 0;
  let maxRetries = 0;
  try {
    for await (const r of src.records()) {
      const key = `${r.provider}\u0000${r.model}`;
      let s = stats.get(key);
      if (!s) {
        s = new EndpointStats(r.provider, r.model);
        stats.set(key, s);
      }
      // A client that hung up (499) says nothing about the provider.
      const providerCall = r.status !== 499;
      if (providerCall) {
        const b = Math.floor((r.startMs - first) / binMs);
        const bin = s.bins.get(b) ?? { n: 0, err: 0, status: new Map<number, number>() };
        bin.n++;
        if (r.status !== 200) {
          bin.err++;
          bin.status.set(r.status, (bin.status.get(r.status) ?? 0) + 1);
        }
        s.bins.set(b, bin);
      }
      const inFit = r.startMs < split;
      // Failed calls logged inside a request (OpenRouter's provider_responses) show its retries.
      if (r.attemptOnly) triedBefore++;
      else {
        maxRetries = Math.max(maxRetries, triedBefore);
        triedBefore = 0;
      }
      if (!r.attemptOnly) {
        requests++;
        trace.line(traceLine(r));
        if (inFit) fitRequests++;
        else if (hold) {
          hold.line(traceLine(r));
          if (r.startMs < holdFirst) holdFirst = r.startMs;
          hN++;
          hLatency.add(r.latencyMs);
          if (Number.isFinite(r.costUsd)) hCost += r.costUsd;
          if (r.status === 200) {
            hOk++;
            hServed.set(r.provider, (hServed.get(r.provider) ?? 0) + 1);
          }
        }
      }
      if (!inFit || !providerCall) continue;
      s.calls++;
      if (r.status !== 200) {
        s.byStatus.set(r.status, (s.byStatus.get(r.status) ?? 0) + 1);
        continue;
      }
      s.ok++;
      s.latency.add(r.latencyMs);
      if (r.ttftMs === r.ttftMs) {
        s.ttft.add(r.ttftMs);
        const gen = r.latencyMs - r.ttftMs;
        if (r.completionTokens > 1 && gen > 0) s.tps.add(r.completionTokens / (gen / 1000));
      }
      if (r.costUsd === r.costUsd) {
        const p = r.promptTokens;
        const c = r.completionTokens;
        s.pp += p * p;
        s.cc += c * c;
        s.pc += p * c;
        s.py += p * r.costUsd;
        s.cy += c * r.costUsd;
        s.sumCost += r.costUsd;
        s.sumTokens += p + c;
        s.costed++;
      }
    }
  } finally {
    trace.close();
    hold?.close();
  }

  const notes: string[] = [];
  const list = [...stats.values()].sort((a, b) =>
    a.provider !== b.provider ? (a.provider < b.provider ? -1 : 1) : a.model < b.model ? -1 : 1,
  );
  const names = slugUnique(list);
  const fits: EndpointFit[] = [];
  list.forEach((s, i) => {
    const name = names[i];
    const windows = outagesOf(s, o.binS, o.outageShare, first);
    // Failures inside outage windows are the windows' doing, not the base error rate's.
    for (const w of windows)
      for (const [b, bin] of s.bins)
        if (first + b * binMs >= w.startMs && first + b * binMs < w.endMs && first + b * binMs < split)
          s.inOutage += bin.err;
    const failures = s.calls - s.ok;
    const base = Math.max(0, failures - s.inOutage);
    const baseCalls = Math.max(1, s.calls - s.inOutage);
    const errorRate = s.calls ? round(base / baseCalls) : 0;
    const baseByStatus = new Map(s.byStatus);
    for (const w of windows)
      for (const [b, bin] of s.bins) {
        const t = first + b * binMs;
        if (t >= w.startMs && t < w.endMs && t < split)
          for (const [st, n] of bin.status) baseByStatus.set(st, (baseByStatus.get(st) ?? 0) - n);
      }
    const mix: Record<string, number> = {};
    for (const [st, n] of [...baseByStatus.entries()].sort((a, b) => a[0] - b[0]))
      if (st >= 400 && st <= 599 && n > 0) mix[String(st)] = round(n / Math.max(1, base));
    const hasTtft = s.ttft.xs.length >= MIN_TTFT_SAMPLES;
    const ttftSamples = hasTtft ? s.ttft.xs : s.latency.xs;
    const ttft =
      ttftSamples.filter((x) => x > 0).length >= 2
        ? fitPositive(ttftSamples, o.fit, `${name}|ttft`, { tolerance: o.tolerance })
        : null;
    const tps =
      hasTtft && s.tps.xs.length >= 2
        ? fitPositive(s.tps.xs, o.fit, `${name}|tps`, { tolerance: o.tolerance })
        : null;
    if (!ttft)
      notes.push(`${name} (${s.model}): fewer than 2 successful calls in the fit part; TTFT set to 1000 ms`);
    const pr = price(s);
    const outages = windows.map((w) => ({
      start_s: round((w.startMs - first) / 1000, 9),
      duration_s: round((w.endMs - w.startMs) / 1000, 9),
      status: w.status,
    }));
    const provider: ProviderInput = {
      name,
      model: s.model,
      price: { prompt: pr.prompt, completion: pr.completion },
      ttft_ms: ttft ? ttft.spec : 1000,
      // Not streamed: generation is inside the fitted TTFT (the whole latency), so decoding is instant.
      tokens_per_s: tps ? tps.spec : 100_000,
      error_rate: errorRate,
      ...(Object.keys(mix).length ? { error_mix: mix } : {}),
      ...(outages.length ? { outages } : {}),
    } as ProviderInput;
    fits.push({
      provider,
      stats: s,
      ttft,
      tps,
      ttftFrom: hasTtft ? "ttft" : "latency",
      errorRate,
      outages,
      priceFrom: pr.from,
    });
  });

  const totalCalls = fits.reduce((a, f) => a + f.stats.calls, 0);
  const weights: Record<string, number> = {};
  for (const f of fits) weights[f.provider.name] = round(f.stats.calls / Math.max(1, totalCalls));
  const policies: PolicyInput[] = o.policies?.length
    ? o.policies
    : [
        {
          name: "as-logged",
          description:
            "each provider's share of the log's calls, retried on another provider as often as the log shows (what the log shows, not its gateway's code)",
          kind: "weighted_random",
          options: { weights, retry: { max_retries: Math.min(5, maxRetries) } },
        } as PolicyInput,
      ];
  const columns = {
    time: "time_ms",
    time_unit: "ms",
    prompt: "prompt_tokens",
    completion: "completion_tokens",
    model: "model",
    session: "session",
    status: "status",
  };
  const traceSpec = (path: string) => ({
    path,
    format: "csv",
    columns,
    reorder_window_ms: Math.max(1000, Math.ceil(disorder) + 1),
  });
  const scenario = {
    name: o.name,
    description: `Calibrated from ${basename(src.label)}: ${requests} requests over ${round((last - first) / 1000)} s, ${fits.length} endpoints${o.holdout > 0 ? ` (fitted on the first ${round(100 * (1 - o.holdout), 3)} % of the time)` : ""}.`,
    seed: 1,
    traffic: { trace: traceSpec(basename(o.traceFile)) },
    providers: fits.map((f) => f.provider),
    policies,
  } as unknown as ScenarioInput;

  let holdout: LogCalibration["holdout"] = null;
  if (hold && hN > 0) {
    // The holdout replays from its own first row at t = 0: outage windows move with it.
    const shift = (holdFirst - first) / 1000;
    const providers = fits.map((f) => {
      const { outages: _all, ...rest } = f.provider as ProviderInput & { outages?: unknown };
      const moved = f.outages
        .map((w) => ({ ...w, start_s: round(w.start_s - shift, 9) }))
        .filter((w) => w.start_s + w.duration_s > 0)
        .map((w) =>
          w.start_s < 0 ? { ...w, start_s: 0, duration_s: round(w.duration_s + w.start_s, 9) } : w,
        );
      return moved.length ? { ...rest, outages: moved } : rest;
    });
    const hs = {
      ...scenario,
      name: `${o.name}-holdout`,
      traffic: { trace: traceSpec(basename(o.holdoutFile)) },
      providers,
      policies: [policies[0]],
    };
    const sim = simulate(scenarioFromObject(hs, {}, o.baseDir)).summary.policies[0];
    const observed = observedOf(hN, hOk, hLatency, hCost, hServed);
    const predicted: Observed = {
      requests: sim.requests,
      successRate: sim.successRate,
      providerShare: Object.fromEntries(
        Object.entries(sim.providerShare).map(([tag, v]) => [
          fits.find((f) => f.provider.name === tag)?.stats.provider ?? tag,
          v,
        ]),
      ),
      latencyP50Ms: sim.latencyMs.p50,
      latencyP99Ms: sim.latencyMs.p99,
      costUsd: sim.costUsd,
    };
    holdout = { observed, predicted, rows: validationRows(observed, predicted), policy: policies[0].name };
  }
  return {
    scenario,
    fits,
    records,
    requests,
    spanS: (last - first) / 1000,
    fitRequests,
    holdout,
    notes,
  };
}

/** Predicted vs observed with the tolerance each is held to (the fidelity score counts those met). */
export function validationRows(obs: Observed, pred: Observed): ValidationRow[] {
  const abs = (metric: string, a: number, b: number, tol: number): ValidationRow => ({
    metric,
    observed: a,
    predicted: b,
    error: b - a,
    relative: false,
    tolerance: tol,
    ok: Math.abs(b - a) <= tol,
  });
  const rel = (metric: string, a: number, b: number, tol: number): ValidationRow => {
    const e = a !== 0 ? (b - a) / Math.abs(a) : b === 0 ? 0 : Number.POSITIVE_INFINITY;
    return {
      metric,
      observed: a,
      predicted: b,
      error: e,
      relative: true,
      tolerance: tol,
      ok: Math.abs(e) <= tol,
    };
  };
  const rows = [abs("success rate", obs.successRate, pred.successRate, 0.02)];
  const providers = [
    ...new Set([...Object.keys(obs.providerShare), ...Object.keys(pred.providerShare)]),
  ].sort();
  for (const p of providers)
    rows.push(abs(`provider share ${p}`, obs.providerShare[p] ?? 0, pred.providerShare[p] ?? 0, 0.05));
  rows.push(rel("latency p50 (ms)", obs.latencyP50Ms, pred.latencyP50Ms, 0.15));
  rows.push(rel("latency p99 (ms)", obs.latencyP99Ms, pred.latencyP99Ms, 0.25));
  if (obs.costUsd > 0) rows.push(rel("cost (USD)", obs.costUsd, pred.costUsd, 0.1));
  return rows;
}
