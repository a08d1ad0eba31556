/**
 * Calibration from LLMPerf per-request results (`individual/<provider>_<size>.json` or a folder of
 * such files): TTFT and inter-token latency distributions and error rates per run, emitted as
 * scenario provider blocks with a fit-quality table.
 *
 * Data quirks handled (data/llmperf/PROVENANCE.md): failed requests (429, -1) carry zero latencies
 * and are excluded from latency fits; `-100` ("fewer output tokens than asked") requests did finish
 * and count as successes; the recorded throughput field is inconsistent between runs, so decode speed
 * is recomputed as output tokens / (end-to-end latency − TTFT).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { InputError } from "../scenario/errors.js";
import { scenarioFromObject } from "../scenario/load.js";
import type { ScenarioInput } from "../scenario/schema.js";
import { simulate } from "../simulate.js";
import { type Fit, type FitMode, fitPositive } from "./fit.js";

type ProviderInput = ScenarioInput["providers"][number];

export interface LlmperfRecord {
  errorCode: number | null;
  ttftS: number;
  e2eS: number;
  outputTokens: number;
}

export interface RunCalibration {
  /** `<provider>-<size>` from the file name. */
  name: string;
  file: string;
  requests: number;
  ok: number;
  /** Failed requests by status (429, 502 for LLMPerf's -1). */
  errors: Record<string, number>;
  shortOutputs: number;
  errorRate: number;
  simulatedErrorRate: number;
  /** TTFT fit; `simulated` comes from a routesim run of the fitted provider. */
  ttft: Fit;
  /** Fit of inter-token latency (ms/token); `tpsSpec` is what the provider samples. */
  itl: Fit;
  provider: ProviderInput;
}

function readRecords(file: string): LlmperfRecord[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new InputError(file, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
  }
  if (!Array.isArray(raw))
    throw new InputError(file, [{ path: "", message: "expected a JSON array of LLMPerf request records" }]);
  return raw.map((r, i) => {
    const o = (r ?? {}) as Record<string, unknown>;
    const n = (k: string) => {
      const v = o[k];
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new InputError(file, [
          { path: `[${i}].${k}`, message: `expected a number, got ${JSON.stringify(v)}` },
        ]);
      return v;
    };
    const code = o.error_code;
    if (code !== null && code !== undefined && typeof code !== "number")
      throw new InputError(file, [{ path: `[${i}].error_code`, message: "expected null or an integer" }]);
    return {
      errorCode: (code as number | null | undefined) ?? null,
      ttftS: n("ttft_s"),
      e2eS: n("end_to_end_latency_s"),
      outputTokens: n("number_output_tokens"),
    };
  });
}

/** The request files of an LLMPerf results folder (its `individual/` subfolder if present). */
export function llmperfFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new InputError(dir, [{ path: "", message: "folder not found" }]);
  if (statSync(dir).isFile()) return [dir];
  const sub = join(dir, "individual");
  const d = existsSync(sub) && statSync(sub).isDirectory() ? sub : dir;
  const files = readdirSync(d)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(d, f));
  if (files.length === 0)
    throw new InputError(dir, [
      { path: "", message: "no LLMPerf *.json request files (or individual/*.json)" },
    ]);
  return files;
}

const isFailure = (r: LlmperfRecord) => r.errorCode !== null && r.errorCode !== -100;

export function calibrateRun(file: string, mode: FitMode, tolerance?: number): RunCalibration {
  const name = basename(file, ".json").replace(/_/g, "-");
  const records = readRecords(file);
  const ok = records.filter((r) => !isFailure(r) && r.ttftS > 0 && r.e2eS > r.ttftS && r.outputTokens > 0);
  if (ok.length < 2)
    throw new InputError(file, [
      { path: "", message: `only ${ok.length} successful requests with latencies; cannot fit` },
    ]);
  const errors: Record<string, number> = {};
  for (const r of records) {
    if (!isFailure(r)) continue;
    const status = r.errorCode! >= 400 && r.errorCode! <= 599 ? String(r.errorCode) : "502";
    errors[status] = (errors[status] ?? 0) + 1;
  }
  const failed = Object.values(errors).reduce((a, b) => a + b, 0);
  const ttft = fitPositive(
    ok.map((r) => r.ttftS * 1000),
    mode,
    `${name}/ttft`,
    { tolerance },
  );
  // Inter-token latency recomputed from tokens and latencies; the simulator samples its inverse.
  const itl = fitPositive(
    ok.map((r) => ((r.e2eS - r.ttftS) * 1000) / r.outputTokens),
    mode,
    `${name}/itl`,
    { tolerance, invert: true },
  );
  const size = basename(file, ".json").split("_")[1];
  const errorRate = failed / records.length;
  const p: ProviderInput = {
    name,
    model: size ? `meta-llama/llama-2-${size}-chat` : "unknown",
    price: { prompt: 0, completion: 0 },
    ttft_ms: ttft.spec,
    tokens_per_s: toTps(itl),
    ...(failed > 0
      ? {
          error_rate: Number(errorRate.toPrecision(4)),
          error_mix: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v / failed])),
        }
      : {}),
  };
  const check = simulateProvider(p);
  ttft.simulated = check.ttft;
  ttft.maxError = Math.max(...ttft.observed.map((o, i) => Math.abs(check.ttft[i] - o) / o));
  return {
    name,
    file,
    requests: records.length,
    errorRate,
    simulatedErrorRate: check.errorRate,
    ok: ok.length,
    errors,
    shortOutputs: records.filter((r) => r.errorCode === -100).length,
    ttft,
    itl,
    provider: p,
  };
}

const CHECK_REQUESTS = 5000;

/**
 * Runs the fitted provider alone under LLMPerf-like load (550 prompt / 150 completion tokens, one
 * request per second, so no queueing) and returns TTFT p50/p90/p99 and the failure share.
 */
function simulateProvider(p: ProviderInput): { ttft: number[]; errorRate: number } {
  const loaded = scenarioFromObject({
    name: "calibration-check",
    traffic: {
      arrivals: { process: "uniform", rate_per_s: 1 },
      requests: CHECK_REQUESTS,
      prompt_tokens: 550,
      completion_tokens: 150,
      model: p.model,
    },
    providers: [p],
    // A long attempt timeout: measure the provider, not the router (cold starts reach 64 s).
    policies: [{ name: "check", router: { timeout_ms: 600_000 } }],
  });
  const s = simulate(loaded).summary.policies[0];
  return { ttft: [s.ttftMs.p50, s.ttftMs.p90, s.ttftMs.p99], errorRate: s.failed / s.requests };
}

function toTps(itl: Fit): ProviderInput["tokens_per_s"] {
  // ITL is ms per token: tokens/s = 1000 / ITL. fitPositive(invert) already inverted the spec
  // (1/ms); scale to seconds.
  const s = itl.spec;
  if (typeof s === "number") return 1000 / s;
  if (s.dist === "lognormal")
    return { dist: "lognormal", median: Number((s.median! * 1000).toPrecision(5)), sigma: s.sigma! };
  if (s.dist === "empirical" && s.quantiles)
    return {
      dist: "empirical",
      quantiles: s.quantiles.map(([p, v]) => [p, Number((v * 1000).toPrecision(5))]),
    };
  throw new Error("unexpected ITL fit");
}
