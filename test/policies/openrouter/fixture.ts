/**
 * The spec's fixture catalog (docs/openrouter-routing.md §12) and small harnesses: a fake health
 * view, a scripted RNG for u-value vectors, and an end-to-end router run over mock providers.
 */

import { expect } from "vitest";
import { defaultConfig } from "../../../src/policies/openrouter/config.js";
import { type OpenRouterPlugins, openRouterPolicy } from "../../../src/policies/openrouter/index.js";
import { buildPolicy } from "../../../src/policies/registry.js";
import type {
  Decision,
  EndpointView,
  HealthView,
  ObservedStats,
  WindowCounts,
} from "../../../src/policies/types.js";
import { buildCatalog } from "../../../src/providers/catalog.js";
import { Rng } from "../../../src/rng/rng.js";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import { Provider, type RequestBody } from "../../../src/scenario/schema.js";
import { Simulator } from "../../../src/sim/kernel.js";
import { bodyMerger } from "../../../src/simulate.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../../../src/types.js";
import { testRouter } from "../../support/router.js";

type ProviderInput = Parameters<typeof Provider.parse>[0];

const M1_BASE = { context_length: 128_000 };
/** Spec fixture providers, in canonical order. */
export function fixtureProviders(): Record<string, unknown>[] {
  return [
    {
      name: "alpha",
      model: "acme/m1",
      price: { prompt: 1, completion: 1, cache_read: 0.25 },
      stats: { throughput: { p50: 100, p90: 70 }, latency_s: { p50: 1.0, p90: 2.0 } },
      quantization: "fp8",
      max_completion_tokens: 4096,
      ...M1_BASE,
      supported_parameters: ["tools", "response_format", "temperature", "max_tokens"],
      data_policy: { training: false, zdr: true },
    },
    {
      name: "beta",
      model: "acme/m1",
      price: { prompt: 2, completion: 2, cache_read: 0.5 },
      stats: { throughput: { p50: 200, p90: 150 }, latency_s: { p50: 0.5, p90: 0.9 } },
      quantization: "bf16",
      max_completion_tokens: 16384,
      ...M1_BASE,
      supported_parameters: ["response_format", "temperature", "top_k", "max_tokens"],
      data_policy: { training: true, zdr: false },
    },
    {
      name: "gamma",
      model: "acme/m1",
      price: { prompt: 3, completion: 3, cache_read: 3 },
      stats: { throughput: { p50: 50, p90: 20 }, latency_s: { p50: 2.0, p90: 4.0 } },
      quantization: "fp8",
      max_completion_tokens: 16384,
      ...M1_BASE,
      supported_parameters: ["tools", "temperature", "top_k", "max_tokens"],
      data_policy: { training: false, zdr: true },
    },
    {
      name: "delta",
      model: "acme/m2",
      price: { prompt: 5, completion: 5 },
      stats: { throughput: { p50: 300, p90: 250 }, latency_s: { p50: 0.3, p90: 0.5 } },
      quantization: "bf16",
      context_length: 1_000_000,
      supported_parameters: ["temperature", "max_tokens"],
    },
    {
      name: "phi",
      model: "acme/m3",
      price: { prompt: 0.5, completion: 0.5 },
      stats: { throughput: { p50: 80, p90: 60 }, latency_s: { p50: 1.2, p90: 2.5 } },
    },
    { name: "zeta", model: "acme/m1:free", price: { prompt: 0, completion: 0 } },
    {
      name: "openai",
      model: "acme/m4",
      price: { prompt: 2, completion: 2 },
      stats: { throughput: { p50: 100 } },
    },
    {
      name: "openai/priority",
      model: "acme/m4",
      tier: "priority",
      price: { prompt: 4, completion: 4 },
      stats: { throughput: { p50: 180 } },
    },
    {
      name: "openai/flex",
      model: "acme/m4",
      tier: "flex",
      price: { prompt: 1, completion: 1 },
      stats: { throughput: { p50: 40 } },
    },
  ];
}

export function catalogOf(providers: readonly unknown[]): Endpoint[] {
  return buildCatalog(providers.map((p) => Provider.parse(p as ProviderInput)));
}

/** Health double: failures and window counts set by the test. */
export class FakeHealth implements HealthView {
  failures = new Map<number, number[]>();
  windows = new Map<number, WindowCounts>();
  stats = new Map<number, ObservedStats>();
  lastFailureMs(e: number): number {
    const f = this.failures.get(e) ?? [];
    return f.length ? Math.max(...f) : Number.NEGATIVE_INFINITY;
  }
  failuresSince(e: number, since: number): number {
    return (this.failures.get(e) ?? []).filter((t) => t >= since).length;
  }
  lastRateLimitedMs(): number {
    return Number.NEGATIVE_INFINITY;
  }
  window(e: number): WindowCounts {
    return this.windows.get(e) ?? { successes: 0, errors: 0, rateLimited: 0 };
  }
  inflight(): number {
    return 0;
  }
  ttftEwmaMs(): number {
    return Number.NaN;
  }
  observedStats(e: number): ObservedStats | null {
    return this.stats.get(e) ?? null;
  }
}

export function viewOf(
  catalog: readonly Endpoint[],
  health: HealthView = new FakeHealth(),
  now = 0,
): EndpointView {
  return {
    now,
    catalog,
    endpointsOf: (m) => catalog.filter((e) => e.model === m),
    health,
  };
}

/** An RNG double returning the given u-values in turn (R24b vectors). */
export function scriptedRng(us: number[]): Rng {
  let i = 0;
  return {
    next: () => {
      if (i >= us.length) throw new Error(`scripted RNG exhausted after ${us.length} draws`);
      return us[i++];
    },
  } as unknown as Rng;
}

export function request(body: RequestBody, extra: Partial<RoutedRequest> = {}): RoutedRequest {
  return {
    id: 0,
    arrivalMs: 0,
    promptTokens: 1000,
    completionTokens: 500,
    model: body.model ?? "",
    body,
    ...extra,
  };
}

/** A routing harness over the fixture catalog. */
export class Harness {
  readonly catalog: Endpoint[];
  readonly health = new FakeHealth();
  now = 0;
  readonly policy;
  constructor(
    cfg: Parameters<typeof defaultConfig>[0] = {},
    providers: readonly unknown[] = fixtureProviders(),
    plugins: OpenRouterPlugins = {},
  ) {
    this.catalog = catalogOf(providers);
    this.policy = openRouterPolicy("test", defaultConfig(cfg), plugins);
  }
  get view(): EndpointView {
    return viewOf(this.catalog, this.health, this.now);
  }
  id(tag: string, model = "acme/m1"): number {
    const e = this.catalog.find((x) => x.tag === tag && x.model === model);
    if (!e) throw new Error(`no endpoint ${tag} for ${model}`);
    return e.id;
  }
  decide(body: RequestBody, rng: Rng = new Rng(1), extra: Partial<RoutedRequest> = {}): Decision {
    return this.policy.route(request(body, extra), this.view, rng);
  }
  /** Candidate tags in order (throws on reject). */
  order(body: RequestBody, rng: Rng = new Rng(1), extra: Partial<RoutedRequest> = {}): string[] {
    const d = this.decide(body, rng, extra);
    if (d.kind !== "route") throw new Error(`rejected: ${d.status} ${d.code}`);
    return d.candidates.map((i) => this.catalog[i].tag);
  }
  /** Counts of full orders over n seeded requests. */
  orders(body: RequestBody, n: number, seed = 42): Map<string, number> {
    const rng = new Rng(seed, "test");
    const out = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const k = this.order(body, rng).join(",");
      out.set(k, (out.get(k) ?? 0) + 1);
    }
    return out;
  }
  /** Counts of first candidates over n seeded requests. */
  firsts(body: RequestBody, n: number, seed = 42): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, c] of this.orders(body, n, seed)) {
      const f = k.split(",")[0];
      out.set(f, (out.get(f) ?? 0) + c);
    }
    return out;
  }
}

/** Bound for a binomial share: 5 standard deviations (flake probability < 1e-6). */
export function expectShare(count: number, n: number, p: number): { ok: boolean; msg: string } {
  const sd = Math.sqrt((p * (1 - p)) / n);
  const got = count / n;
  return {
    ok: Math.abs(got - p) <= 5 * sd + 1e-12,
    msg: `share ${got.toFixed(4)} vs ${p.toFixed(4)} ± ${(5 * sd).toFixed(4)}`,
  };
}

/** Asserts the share of first attempts on `tag` over n seeded requests (5-sigma binomial bound). */
export function expectFirstShare(h: Harness, body: RequestBody, tag: string, p: number, n = 20_000): void {
  const c = h.firsts(body, n).get(tag) ?? 0;
  const r = expectShare(c, n, p);
  expect(r.ok, `${tag}: ${r.msg}`).toBe(true);
}

/** An attempt record with neutral defaults. */
export function attemptRecord(
  e: Endpoint,
  status: number,
  extra: Partial<AttemptRecord> = {},
): AttemptRecord {
  return {
    policy: "p",
    requestId: 0,
    attempt: 1,
    endpoint: e,
    startMs: 0,
    endMs: 1,
    ttftMs: Number.NaN,
    status,
    error: status === 200 ? "none" : "error",
    promptTokens: 1000,
    completionTokens: 0,
    costUsd: 0,
    ...extra,
  };
}

export interface RunResult {
  outcomes: { req: RoutedRequest; o: Outcome; attempts: readonly AttemptRecord[]; d: Decision }[];
  catalog: Endpoint[];
}

/** Runs a scenario object end to end (first policy unless named) and returns every outcome. */
export function runScenario(input: Record<string, unknown>, policyName?: string): RunResult {
  const loaded = scenarioFromObject(input);
  const s = loaded.scenario;
  const catalog = buildCatalog(s.providers);
  const spec = policyName ? s.policies.find((p) => p.name === policyName)! : s.policies[0];
  const built = buildPolicy(spec, {
    catalog,
    scenario: s,
    baseDir: ".",
    file: "<inline>",
    path: "policies[0]",
  });
  const sim = new Simulator(1024);
  const outcomes: RunResult["outcomes"] = [];
  const { router: r } = testRouter({
    sim,
    providers: s.providers,
    outageGroups: s.outage_groups,
    catalog,
    policy: built.policy,
    behaviour: built.behaviour,
    observer: {
      attempt: () => {},
      outcome: (req, o, attempts, d) => outcomes.push({ req, o, attempts: [...attempts], d }),
    },
    seed: s.seed,
  });
  const merge = bodyMerger(spec.request);
  const gap = (s.traffic.arrivals?.rate_per_s ?? 1) > 0 ? 1000 / (s.traffic.arrivals?.rate_per_s ?? 1) : 1000;
  const n = s.traffic.requests ?? 1;
  const h = sim.handler((i) =>
    r.arrive(
      merge({
        id: i,
        arrivalMs: sim.now,
        promptTokens: 1000,
        completionTokens: 500,
        model: s.traffic.model ?? "acme/m1",
        ...((s.traffic.sessions ? { session: "s1" } : {}) as object),
      }),
    ),
  );
  for (let i = 0; i < n; i++) sim.schedule(i * gap, h, i);
  sim.run();
  return { outcomes, catalog };
}

/** A scenario around the fixture providers with overrides per endpoint tag. */
export function fixtureScenario(
  request: Record<string, unknown>,
  overrides: Record<string, Record<string, unknown>> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: "tv",
    seed: 3,
    traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: "acme/m1" },
    providers: fixtureProviders().map((p) => ({
      ttft_ms: 100,
      tokens_per_s: 100,
      ...p,
      ...(overrides[p.name as string] ?? {}),
    })),
    policies: [{ name: "p", request, ...extra }],
  };
}

/** Makes an endpoint always fail with `status` before the first token. */
export const failsWith = (status: number | "timeout" | "empty"): Record<string, unknown> => ({
  error_rate: 1,
  error_mix: { [String(status)]: 1 },
});
