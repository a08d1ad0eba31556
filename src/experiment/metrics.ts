/**
 * The metrics `compare` adds on top of the run summary, measured per policy run: wasted spend,
 * fallback depth, quality, and per-provider load during incidents. Everything ends up in one flat
 * map of named numbers per replication, so every metric gets a confidence interval the same way.
 */
import type { PolicySummary } from "../metrics/collector.js";
import { QuantileSketch } from "../metrics/sketch.js";
import type { Timeline } from "../metrics/timeline.js";
import type { Decision } from "../policies/types.js";
import { compileDist } from "../rng/distributions.js";
import type { RunObserver } from "../router/router.js";
import type { Provider } from "../scenario/schema.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../types.js";
import { WhyCounts } from "./why.js";

/** Fixed quantile grid for latency CDFs (averaged across replications, quantile by quantile). */
export const CDF_QUANTILES: readonly number[] = [
  ...Array.from({ length: 99 }, (_v, i) => (i + 1) / 100),
  0.995,
  0.999,
];

/**
 * An endpoint's quality score, if the scenario gives one: a number, or the mean of its per-task
 * scores (`quality: {coding: 0.8, chat: 0.9}`; the `exacto` ranking key only when it is the only
 * one). Read defensively: the field is optional and its shape may grow.
 */
export function qualityOf(e: Endpoint, spec: Provider | undefined): number | null {
  for (const src of [e as unknown, spec as unknown]) {
    const q = (src as { quality?: unknown } | undefined)?.quality;
    if (typeof q === "number" && Number.isFinite(q)) return q;
    if (q && typeof q === "object") {
      const all = Object.entries(q as Record<string, unknown>).filter(
        (kv): kv is [string, number] => typeof kv[1] === "number" && Number.isFinite(kv[1]),
      );
      const tasks = all.filter(([k]) => k !== "exacto");
      const use = tasks.length ? tasks : all;
      if (use.length) return use.reduce((a, [, v]) => a + v, 0) / use.length;
    }
  }
  return null;
}

export class ExtraMetrics implements RunObserver {
  readonly borrows = true;
  private fallbacks = 0;
  private qualitySum = 0;
  private qualityN = 0;
  private completionTokens = 0;
  private attempts = 0;
  /**
   * Requests served after k fallbacks, at index k, and requests that failed. Counters rather than a
   * record keyed "0", "1", …: those keys are array indices, and each new run's empty record made
   * the previous run's compiled code read out of bounds and be thrown away. Depth 0 is pushed in
   * the constructor, as PolicyMetrics does its attempts histogram (a literal's copy-on-write
   * elements would change layout at the first increment).
   */
  private readonly servedAtDepth: number[] = [];
  private failed = 0;
  private readonly quality: (number | null)[];
  /** End-to-end latency of served requests, for the CDF chart (scaled there by the success rate). */
  readonly latency = new QuantileSketch();
  private readonly why: WhyCounts;

  constructor(
    readonly catalog: readonly Endpoint[],
    private readonly providers: readonly Provider[],
  ) {
    this.quality = catalog.map((e) => qualityOf(e, providers[e.id]));
    this.why = new WhyCounts(catalog);
    this.servedAtDepth.push(0);
  }

  attempt(a: AttemptRecord): void {
    this.attempts++;
    this.completionTokens += a.completionTokens;
  }

  outcome(_req: RoutedRequest, o: Outcome, attempts: readonly AttemptRecord[], d: Decision): void {
    if (o.kind === "served") this.latency.add(o.latencyMs);
    this.why.outcome(attempts, d);
    if (o.attempts > 1) this.fallbacks++;
    if (o.kind === "served") {
      const depth = Math.max(0, o.attempts - 1);
      const counts = this.servedAtDepth;
      while (counts.length <= depth) counts.push(0);
      counts[depth]++;
      const q = this.quality[o.endpoint.id];
      if (q !== null) {
        this.qualitySum += q;
        this.qualityN++;
      }
    } else this.failed++;
  }

  latencyCdf(): number[] {
    return CDF_QUANTILES.map((q) => this.latency.quantile(q));
  }

  /** Flat named values for this run (summary + extras + timeline-derived). */
  values(p: PolicySummary, t: Timeline): Record<string, number> {
    const catalog = this.catalog;
    const n = p.requests || 1;
    const v: Record<string, number> = {
      successRate: p.successRate,
      costUsd: p.costUsd,
      costPerSuccessUsd: p.succeeded ? p.costPerSuccessUsd : Number.NaN,
      wastedSpendUsd: p.wastedSpendUsd,
      attemptsPerRequest: p.attemptsPerRequest,
      fallbackRate: this.fallbacks / n,
      goodput: p.goodput ? p.goodput.rate : Number.NaN,
      servedLatencyP50Ms: p.servedLatencyMs.p50,
      servedLatencyP90Ms: p.servedLatencyMs.p90,
      servedLatencyP99Ms: p.servedLatencyMs.p99,
      latencyP50Ms: p.latencyMs.p50,
      latencyP90Ms: p.latencyMs.p90,
      latencyP99Ms: p.latencyMs.p99,
      ttftP50Ms: p.ttftMs.p50,
      ttftP90Ms: p.ttftMs.p90,
      ttftP99Ms: p.ttftMs.p99,
      recoveryMs: meanRecovery(t),
      qualityScore: this.qualityN ? this.qualitySum / this.qualityN : Number.NaN,
    };
    for (const [k, c] of Object.entries(p.errors)) v[`errors.${k}`] = c / n;
    this.servedAtDepth.forEach((c, k) => {
      if (c > 0) v[`fallbackDepth.${k}`] = c / n;
    });
    if (this.failed > 0) v["fallbackDepth.failed"] = this.failed / n;
    for (const e of catalog) v[`providerShare.${e.label}`] = p.providerShare[e.label] ?? 0;
    for (const [k, s] of Object.entries(p.modelShare)) v[`modelShare.${k}`] = s;
    this.incidentLoad(t, catalog, v);
    this.why.values(v);
    return v;
  }

  /**
   * Attempts per second each endpoint received while any outage window was open, against the
   * endpoint's nominal capacity: min(rate limit, concurrency / mean service time), the service
   * time being mean TTFT + mean completion tokens / mean decode speed.
   */
  private incidentLoad(t: Timeline, catalog: readonly Endpoint[], v: Record<string, number>): void {
    const inIncident = new Uint8Array(Math.ceil(t.endMs / t.bucketMs) + 1);
    for (const w of t.outages)
      for (let b = Math.floor(w.startMs / t.bucketMs); b * t.bucketMs < w.endMs && b < inIncident.length; b++)
        inIncident[b] = 1;
    const buckets = inIncident.reduce((a, b) => a + b, 0);
    if (buckets === 0) return;
    const meanTokens = this.attempts ? this.completionTokens / this.attempts : 0;
    for (const e of catalog) {
      const series = t.attempts[e.label] ?? [];
      let sent = 0;
      for (let b = 0; b < series.length; b++) if (inIncident[b]) sent += series[b];
      const rate = sent / ((buckets * t.bucketMs) / 1000);
      const cap = capacityPerS(this.providers[e.id], meanTokens);
      v[`incidentAttemptRate.${e.label}`] = rate;
      if (cap !== null) {
        v[`capacityPerS.${e.label}`] = cap;
        v[`incidentUtilisation.${e.label}`] = rate / cap;
      }
    }
  }
}

function meanRecovery(t: Timeline): number {
  const xs = t.recoveries.map((r) => r.recoverMs).filter((x): x is number => x !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN;
}

/** Nominal requests/s an endpoint can take; null when unbounded. */
export function capacityPerS(p: Provider | undefined, meanCompletionTokens: number): number | null {
  if (!p) return null;
  let cap = Number.POSITIVE_INFINITY;
  if (p.concurrency != null) {
    const serviceS =
      compileDist(p.ttft_ms).mean / 1000 + meanCompletionTokens / compileDist(p.tokens_per_s).mean;
    if (serviceS > 0) cap = p.concurrency / serviceS;
  }
  if (p.rate_limit) cap = Math.min(cap, p.rate_limit.rpm / 60);
  return Number.isFinite(cap) ? cap : null;
}
