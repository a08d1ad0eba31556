/**
 * Per-policy metrics, accumulated in constant memory as attempts and outcomes stream by, plus the
 * optional row writers (attempts.csv, requests.csv). One results format for every command.
 */
import type { Decision } from "../policies/types.js";
import type { RunObserver } from "../router/router.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest, Slo } from "../types.js";
import { type CsvWriter, field, ms, usd } from "./csv.js";
import { numericOrder } from "./order.js";
import { ExactSum, QuantileSketch } from "./sketch.js";

export const ATTEMPT_COLUMNS = [
  "policy",
  "request_id",
  "attempt",
  "provider",
  "model",
  "start_ms",
  "end_ms",
  "ttft_ms",
  "status",
  "error",
  "prompt_tokens",
  "completion_tokens",
  "cost_usd",
] as const;

export const REQUEST_COLUMNS = [
  "policy",
  "request_id",
  "arrival_ms",
  "model_requested",
  "model_served",
  "provider_served",
  "attempts",
  "status",
  "error_code",
  "latency_ms",
  "ttft_ms",
  "cost_usd",
  "cache_hit",
] as const;

export interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
}

/** Summary of one policy's run (summary.json `policies[]`). */
export interface PolicySummary {
  name: string;
  requests: number;
  succeeded: number;
  failed: number;
  successRate: number;
  attempts: number;
  attemptsPerRequest: number;
  /** Requests by number of attempts made: {"0": n, "1": n, ...}. */
  attemptsHistogram: Record<string, number>;
  /** Everything billed: served requests, and attempts providers billed although nothing was served. */
  costUsd: number;
  costPerSuccessUsd: number;
  /** Billed for attempts that did not serve the request (abandoned timeouts, cuts, failed requests). */
  wastedSpendUsd: number;
  /** End to end, every request (failures included: a fast error is short). */
  latencyMs: Quantiles;
  /** End to end, served requests only: the latency users of the answer saw. */
  servedLatencyMs: Quantiles;
  ttftMs: Quantiles;
  /** Requests served within the scenario's `slo`, when it sets one. */
  goodput?: { ttftMs: number | null; latencyMs: number | null; withinSlo: number; rate: number };
  /** Failed requests by final status. */
  errors: Record<string, number>;
  /** Failed attempts by status (including those a fallback recovered). */
  attemptErrors: Record<string, number>;
  /** Fraction of served requests per endpoint tag. */
  providerShare: Record<string, number>;
  /** Fraction of served requests per model. */
  modelShare: Record<string, number>;
  /** Attempts sent to each endpoint tag. */
  providerAttempts: Record<string, number>;
  /** Requests answered from the response cache (R106; counted in `succeeded`). Absent in older summaries. */
  cacheHits?: number;
  /** cacheHits ÷ requests. */
  cacheHitRate?: number;
}

function quantiles(s: QuantileSketch): Quantiles {
  return { p50: s.quantile(0.5), p90: s.quantile(0.9), p99: s.quantile(0.99), mean: s.mean };
}

function inc(o: Record<string, number>, k: string, by = 1): void {
  o[k] = (o[k] ?? 0) + by;
}

function sorted(o: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(o).sort(numericOrder)) out[k] = o[k];
  return out;
}

export class PolicyMetrics implements RunObserver {
  /** Counts and sketches: nothing of a record is kept. */
  readonly borrows = true;
  requests = 0;
  succeeded = 0;
  attempts = 0;
  cacheHits = 0;
  readonly cost = new ExactSum();
  readonly wasted = new ExactSum();
  /** Every request's latency; served ones are bucketed in `servedLatency` only (merged at the end). */
  private readonly latency = new QuantileSketch();
  readonly servedLatency = new QuantileSketch();
  readonly ttft = new QuantileSketch();
  withinSlo = 0;
  // Infinity stands for "no target": one comparison per served request either way.
  private readonly sloTtft: number;
  private readonly sloLatency: number;
  private readonly errors: Record<string, number> = {};
  private readonly attemptErrors: Record<string, number> = {};
  // Hot counters are indexed by endpoint id / attempt count (no string keys per request); they
  // are turned into the tag- and model-keyed records of the summary at the end.
  private readonly endpoints: Endpoint[] = [];
  private servedById: number[] = [];
  private attemptsById: number[] = [];
  /** Requests by attempts made, with 0 and 1 present from the start (zeros are not reported). */
  private attemptsHist: number[] = [];
  /** Escaped CSV fields, cached: `tag,model` and `model,tag` by endpoint id, the policy name. */
  private cols: string[] = [];
  private servedCols: string[] = [];
  private readonly nameField: string;
  private lastRequested = "";
  private lastRequestedField = "";

  constructor(
    readonly name: string,
    private readonly attemptsCsv: CsvWriter | null,
    private readonly requestsCsv: CsvWriter | null,
    /**
     * The endpoints, when known: their counters then exist from the start, so the arrays keep one
     * layout through the run (and the next run in the process). Unseen ones are not reported.
     */
    catalog: readonly Endpoint[] = [],
    private readonly slo: Slo | null = null,
  ) {
    this.nameField = field(name);
    this.sloTtft = slo?.ttftMs ?? Number.POSITIVE_INFINITY;
    this.sloLatency = slo?.latencyMs ?? Number.POSITIVE_INFINITY;
    for (const e of catalog) this.seen(e);
    // Pushed, not an `[0, 0]` literal: a literal's elements are copy-on-write, a layout the first
    // increment changes (and code compiled for the changed one would not fit the next run's).
    this.attemptsHist.push(0, 0);
  }

  attempt(a: AttemptRecord): void {
    this.attempts++;
    const id = a.endpoint.id;
    if (this.endpoints[id] === undefined) this.seen(a.endpoint);
    this.attemptsById[id]++;
    if (a.status !== 200 || a.error !== "none")
      inc(this.attemptErrors, a.error === "timeout" ? "timeout" : String(a.status));
    // One template string per row (no array + join); escaped names are cached.
    this.attemptsCsv?.line(
      `${a.policy === this.name ? this.nameField : field(a.policy)},${a.requestId},${a.attempt},${this.cols[id]},${ms(a.startMs)},${ms(a.endMs)},${ms(a.ttftMs)},${a.status},${a.error},${a.promptTokens},${a.completionTokens},${usd(a.costUsd)}`,
    );
  }

  outcome(req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[], _d: Decision): void {
    this.requests++;
    while (this.attemptsHist.length <= o.attempts) this.attemptsHist.push(0);
    this.attemptsHist[o.attempts]++;
    if (o.kind === "served") this.latency.addUnbucketed(o.latencyMs);
    else this.latency.add(o.latencyMs);
    // What did not serve the request: all of a failed one, the attempts before the serving one.
    // A response-cache hit (R106) has no attempts and costs nothing.
    const waste =
      o.kind === "served"
        ? o.attempts > 0
          ? o.costUsd - attempts[attempts.length - 1].costUsd
          : 0
        : o.costUsd;
    if (waste !== 0) this.wasted.add(waste);
    if (o.kind === "served") {
      this.succeeded++;
      if (o.cacheHit === true) this.cacheHits++;
      this.cost.add(o.costUsd);
      this.ttft.add(o.ttftMs);
      this.servedLatency.add(o.latencyMs);
      if (o.ttftMs <= this.sloTtft && o.latencyMs <= this.sloLatency) this.withinSlo++;
      if (this.endpoints[o.endpoint.id] === undefined) this.seen(o.endpoint);
      this.servedById[o.endpoint.id]++;
    } else {
      if (o.costUsd !== 0) this.cost.add(o.costUsd);
      inc(this.errors, String(o.status));
    }
    if (!this.requestsCsv) return;
    const requested = req.body.model ?? req.body.models?.[0] ?? req.model;
    if (requested !== this.lastRequested) {
      this.lastRequested = requested;
      this.lastRequestedField = field(requested);
    }
    const served =
      o.kind === "served"
        ? `${this.servedCols[o.endpoint.id]},${o.attempts},200,`
        : `,,${o.attempts},${o.status},${o.code}`;
    this.requestsCsv.line(
      `${this.nameField},${req.id},${ms(req.arrivalMs)},${this.lastRequestedField},${served},${ms(o.latencyMs)},${ms(o.ttftMs)},${usd(o.costUsd)},${o.kind === "served" && o.cacheHit === true ? 1 : 0}`,
    );
  }

  private seen(e: Endpoint): void {
    while (this.servedById.length <= e.id) {
      this.endpoints.push(undefined as unknown as Endpoint);
      this.servedById.push(0);
      this.attemptsById.push(0);
      this.cols.push("");
      this.servedCols.push("");
    }
    this.endpoints[e.id] = e;
    this.cols[e.id] = `${field(e.tag)},${field(e.model)}`;
    this.servedCols[e.id] = `${field(e.model)},${field(e.tag)}`;
  }

  summary(): PolicySummary {
    const n = this.requests;
    const served: Record<string, number> = {};
    const servedModel: Record<string, number> = {};
    const providerAttempts: Record<string, number> = {};
    const attemptsHist: Record<string, number> = {};
    this.endpoints.forEach((e, id) => {
      if (e === undefined) return;
      if (this.attemptsById[id] > 0) inc(providerAttempts, e.label, this.attemptsById[id]);
      if (this.servedById[id] > 0) {
        inc(served, e.label, this.servedById[id]);
        inc(servedModel, e.model, this.servedById[id]);
      }
    });
    this.attemptsHist.forEach((k, attempts) => {
      if (k > 0) attemptsHist[String(attempts)] = k;
    });
    const share = (o: Record<string, number>): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(sorted(o))) out[k] = this.succeeded ? v / this.succeeded : 0;
      return out;
    };
    const cost = this.cost.value;
    return {
      name: this.name,
      requests: n,
      succeeded: this.succeeded,
      failed: n - this.succeeded,
      successRate: n ? this.succeeded / n : 0,
      attempts: this.attempts,
      attemptsPerRequest: n ? this.attempts / n : 0,
      attemptsHistogram: sorted(attemptsHist),
      costUsd: cost,
      costPerSuccessUsd: this.succeeded ? cost / this.succeeded : 0,
      wastedSpendUsd: this.wasted.value,
      latencyMs: quantiles(this.latency.withBucketsOf(this.servedLatency)),
      servedLatencyMs: quantiles(this.servedLatency),
      ttftMs: quantiles(this.ttft),
      ...(this.slo
        ? {
            goodput: {
              ttftMs: this.slo.ttftMs,
              latencyMs: this.slo.latencyMs,
              withinSlo: this.withinSlo,
              rate: n ? this.withinSlo / n : 0,
            },
          }
        : {}),
      errors: sorted(this.errors),
      attemptErrors: sorted(this.attemptErrors),
      providerShare: share(served),
      modelShare: share(servedModel),
      providerAttempts: sorted(providerAttempts),
      cacheHits: this.cacheHits,
      cacheHitRate: n ? this.cacheHits / n : 0,
    };
  }
}
