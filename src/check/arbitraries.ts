/**
 * fast-check generators for routing cases: endpoints (prices, speeds, limits, data policies,
 * quantizations, tiers), failure patterns (background errors and their status mix, outages,
 * mid-stream failures, capacity and rate limits), request bodies (model, variants, `models` chains,
 * provider preferences), health states and whole small scenarios. Every generator shrinks towards
 * fewer endpoints, fewer requests, fewer preferences and no failures, so a failing case shrinks to a
 * small scenario a person can read.
 *
 * With a base scenario (`routesim check <file>`), its endpoints are kept as they are (a subset of
 * them per case) and only failures, traffic size and request preferences are generated.
 */
import fc from "fast-check";
import type { z } from "zod";
import type { Provider, ProviderPrefs, RequestBody, Scenario } from "../scenario/schema.js";
import type { Quantization } from "../types.js";
import type { CheckCase } from "./harness.js";
import type { Knobs } from "./oracle.js";

type ProviderInput = z.input<typeof Provider>;
type Failures = Pick<
  ProviderInput,
  | "error_rate"
  | "error_mix"
  | "midstream_error_rate"
  | "outages"
  | "concurrency"
  | "queue_limit"
  | "rate_limit"
  | "error_latency_ms"
>;

export const GENERATED_MODELS = ["acme/m1", "acme/m2"] as const;
const TAGS = ["alpha", "beta", "gamma", "delta", "alpha/eu", "beta/turbo"];
const QUANTS: Quantization[] = ["fp8", "bf16", "fp16", "int4", "unknown"];
const PARAMS = ["tools", "tool_choice", "response_format", "temperature", "top_k", "max_tokens", "top_p"];

/** What a case generator is built from. */
export interface CaseSpace {
  /** Endpoints of the base scenario (as written, or validated); absent → endpoints are generated. */
  readonly providers?: readonly ProviderInput[];
  /**
   * Keep every base endpoint in every case: gateway kinds whose config files name endpoints cannot
   * be built on a subset.
   */
  readonly wholeBase?: boolean;
  /** Traffic of the base scenario: token-size distributions and model mix are reused. */
  readonly traffic?: Scenario["traffic"];
  readonly knobs: Knobs;
}

export interface CaseOptions {
  /** Generate non-default service tiers (only the tier-aware filter invariant wants them). */
  tiers?: boolean;
  /** Generate failures (errors, outages, mid-stream) and capacity limits. */
  failures?: boolean;
  /** Generate queueing and rate limits (stateful: they make draws depend on routing). */
  capacity?: boolean;
  /** Generate R19 parameters (tools, response_format) in requests. */
  r19Params?: boolean;
  /** Which provider preferences may be generated. */
  prefs?: readonly (keyof ProviderPrefs)[];
  /** Generate `models` fallback chains and `:nitro`/`:floor` variants. */
  chains?: boolean;
  /** Route-level: a single request with a generated health state instead of traffic. */
  route?: boolean;
  /** Endpoints without limits or a bad status, so most requests have several eligible (ordering invariants). */
  plain?: boolean;
  /** Pick one endpoint and a price factor (metamorphic invariants). */
  pick?: boolean;
  /** At least this many endpoints, all of one model (statistical invariants). */
  minEndpoints?: number;
}

// A ladder of list prices ($/M) spanning two orders of magnitude: weight differences are large enough
// for the distributional invariants to see, and cases shrink towards $1.
const price = fc.constantFrom(1, 2, 3, 0.5, 5, 10, 0.25, 20, 0.1, 1.5);

function endpointArb(models: readonly string[], tiers: boolean, plain: boolean): fc.Arbitrary<ProviderInput> {
  const limits = plain
    ? {
        context_length: fc.constant(131_072),
        max_completion_tokens: fc.constant(null),
        status: fc.constant(0),
      }
    : {
        context_length: fc.constantFrom(131_072, 16_384, 32_768, 1_000_000),
        max_completion_tokens: fc.constantFrom(null, 4096, 16_384),
        status: fc.constantFrom(0, 0, 0, 0, 0, -1),
      };
  return fc.record({
    name: fc.constantFrom(...TAGS),
    model: fc.constantFrom(...models),
    price: fc.oneof(
      { withCrossShrink: true },
      price.map((p) => ({ prompt: p, completion: p })),
      fc.record({ prompt: price, completion: price }),
    ),
    ...limits,
    quantization: fc.constantFrom(...QUANTS),
    supported_parameters: fc.subarray(PARAMS),
    data_policy: fc.record({ training: fc.boolean(), zdr: fc.boolean() }),
    tier: tiers
      ? fc.constantFrom("default", "default", "default", "flex", "priority")
      : fc.constant("default" as const),
    ttft_ms: fc.integer({ min: 1, max: 40 }).map((x) => x * 50),
    tokens_per_s: fc.integer({ min: 1, max: 40 }).map((x) => x * 10),
  });
}

function failureArb(capacity: boolean): fc.Arbitrary<Failures> {
  const outage = fc.record({
    start_s: fc.integer({ min: 0, max: 20 }),
    duration_s: fc.integer({ min: 1, max: 20 }),
    status: fc.constantFrom(503 as const, 502 as const, 500 as const, 429 as const, "timeout" as const),
  });
  return fc.record(
    {
      error_rate: fc.constantFrom(0, 0.2, 0.5, 1),
      error_mix: fc.constantFrom<Record<string, number>>(
        { "503": 1 },
        { "500": 1 },
        { "429": 1 },
        { "404": 1 },
        { "400": 1 },
        { timeout: 1 },
        { empty: 1 },
        { "429": 1, "503": 1 },
        { "500": 1, "404": 1, "400": 1 },
      ),
      midstream_error_rate: fc.constantFrom(0, 0.3, 1),
      outages: fc.array(outage, { maxLength: 2 }),
      error_latency_ms: fc.constantFrom(200, 50, 3000),
      ...(capacity
        ? {
            concurrency: fc.constantFrom(null, 1, 2),
            queue_limit: fc.constantFrom(null, 0, 1),
            rate_limit: fc.constantFrom(null, { rpm: 60, burst: 1 }, { rpm: 600, burst: 2 }),
          }
        : {}),
    },
    { requiredKeys: [] },
  );
}

const FAILURE_KEYS = [
  "outages",
  "random_outages",
  "error_rate",
  "midstream_error_rate",
  "rate_limit",
  "queue_limit",
];

/** A base endpoint without its own failures and limits (the case generates those). */
function calm(p: ProviderInput): ProviderInput {
  const out = structuredClone(p) as Record<string, unknown>;
  for (const k of FAILURE_KEYS) delete out[k];
  return out as ProviderInput;
}

/** The case's endpoints: generated ones, or a subset of the base scenario's, each with failures. */
function providersArb(
  space: CaseSpace,
  o: CaseOptions,
  models: readonly string[],
): fc.Arbitrary<ProviderInput[]> {
  const failures = o.failures ? failureArb(o.capacity ?? false) : fc.constant({} as Failures);
  const unique = (p: ProviderInput) => `${p.name.toLowerCase()}|${p.model}`;
  // BYOK copies (R33) are placed by key sections, ahead of any order or sort: no invariant models them.
  const base = space.providers?.filter((p) => (p as { byok?: unknown }).byok === undefined);
  if (base) {
    // One keep-flag per base endpoint (shrinks towards dropping it), topped up to the minimum.
    const min = space.wholeBase ? base.length : Math.min(base.length, o.minEndpoints ?? 1);
    return fc.tuple(...base.map(() => fc.record({ drop: fc.boolean(), failures }))).map((xs) => {
      let missing = min - xs.filter((x) => !x.drop).length;
      const kept = xs.map((x) => !x.drop || (missing-- > 0 && true));
      return base.flatMap((p, i) => (kept[i] ? [{ ...calm(p), ...xs[i].failures } as ProviderInput] : []));
    });
  }
  const one = fc
    .tuple(
      endpointArb(o.minEndpoints ? models.slice(0, 1) : models, o.tiers ?? false, o.plain ?? false),
      failures,
    )
    .map(([p, f]) => ({ ...p, ...f }) as ProviderInput);
  return fc.uniqueArray(one, { minLength: o.minEndpoints ?? 1, maxLength: MAX_GENERATED, selector: unique });
}

const MAX_GENERATED = 6;

function modelRef(models: readonly string[], chains: boolean): fc.Arbitrary<string> {
  const m = fc.constantFrom(...models);
  if (!chains) return m;
  return fc.tuple(m, fc.constantFrom("", "", ":nitro", ":floor")).map(([a, v]) => a + v);
}

/** Provider preferences over the case's endpoints (slugs that exist and one that does not). */
export function prefsArb(
  providers: readonly Pick<ProviderInput, "name" | "quantization">[],
  keys: readonly (keyof ProviderPrefs)[],
): fc.Arbitrary<ProviderPrefs> {
  const tags = [...new Set(providers.flatMap((p) => [p.name, p.name.split("/")[0]]))];
  const pool = [...tags, "omega"];
  const slugs = fc.subarray(pool, { minLength: 1, maxLength: Math.min(3, pool.length) });
  const ordered = fc.shuffledSubarray(pool, { minLength: 1, maxLength: Math.min(4, pool.length) });
  const quants = [...new Set(providers.map((p) => p.quantization ?? "unknown"))];
  const all: Record<string, fc.Arbitrary<unknown>> = {
    only: slugs,
    ignore: slugs,
    order: ordered,
    allow_fallbacks: fc.boolean(),
    sort: fc.constantFrom("price", "throughput", "latency"),
    max_price: fc.record({ prompt: price, completion: price }, { requiredKeys: [] }),
    quantizations: fc.subarray([...quants, "int8" as const], { minLength: 1 }),
    data_collection: fc.constantFrom("allow", "deny"),
    zdr: fc.boolean(),
    require_parameters: fc.boolean(),
  };
  const picked = Object.fromEntries(keys.filter((k) => k in all).map((k) => [k, all[k]]));
  return sparse(picked) as fc.Arbitrary<ProviderPrefs>;
}

/**
 * A record whose keys are each present with probability 1/4: several filters at once mostly leave
 * nothing eligible, which makes cases vacuous. Shrinks towards absent keys.
 */
function sparse(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const maybe = (a: fc.Arbitrary<unknown>) =>
    fc.oneof(
      { withCrossShrink: true },
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: a },
    );
  return fc
    .record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, maybe(a)])))
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
}

/** A request body: model (maybe with a variant), optional fallbacks, preferences and parameters. */
function bodyArb(
  providers: readonly Pick<ProviderInput, "name" | "quantization">[],
  models: readonly string[],
  o: CaseOptions,
) {
  const chains = o.chains ?? false;
  const params: Record<string, fc.Arbitrary<unknown>> = {
    max_tokens: fc.constantFrom(256, 4096, 20_000),
    temperature: fc.constant(0.7),
    top_k: fc.constant(40),
  };
  if (o.r19Params) {
    params.tools = fc.constant([{ type: "function", function: { name: "lookup" } }]);
    params.response_format = fc.constant({ type: "json_object" });
  }
  return fc
    .record({
      model: modelRef(models, chains),
      models: chains ? fc.array(modelRef(models, true), { maxLength: 2 }) : fc.constant([]),
      provider: prefsArb(providers, o.prefs ?? []),
      params: sparse(params),
    })
    .map(({ model, models: fallbacks, provider, params: p }) => {
      const body: Record<string, unknown> = { model };
      // One entry per base model: the same endpoints twice in a chain is an R44/R51 corner case of its own.
      const bases = [model.split(":")[0]];
      const chain = (fallbacks as string[]).filter(
        (m) => !bases.includes(m.split(":")[0]) && bases.push(m.split(":")[0]),
      );
      if (chain.length > 0) body.models = chain;
      if (Object.keys(provider).length > 0) body.provider = provider;
      return { ...body, ...p } as RequestBody;
    });
}

/** Failure times (ms before routing) per endpoint: none, a recent outage, or an old one. */
function healthArb(n: number, knobs: Knobs): fc.Arbitrary<number[][]> {
  const recent = Array.from(
    { length: knobs.outageMinFailures },
    (_, i) => Math.round(knobs.outageWindowMs * 0.2) + i,
  );
  const old = Array.from({ length: knobs.outageMinFailures }, (_, i) => knobs.outageWindowMs * 4 + i);
  return fc.array(fc.constantFrom<number[]>([], recent, old), { minLength: n, maxLength: n });
}

function modelsOf(space: CaseSpace): string[] {
  if (!space.providers) return [...GENERATED_MODELS];
  return [...new Set(space.providers.map((p) => p.model))];
}

/** Slugs and quantizations preferences may name (known up front, so bodies shrink independently). */
function vocabulary(space: CaseSpace): readonly Pick<ProviderInput, "name" | "quantization">[] {
  return space.providers ?? TAGS.flatMap((name) => QUANTS.map((quantization) => ({ name, quantization })));
}

/** A `provider.order` over the given endpoints' slugs (most often present: order tests need one). */
export function orderArb(
  providers: readonly Pick<ProviderInput, "name">[],
): fc.Arbitrary<string[] | undefined> {
  const pool = [...new Set(providers.flatMap((p) => [p.name, p.name.split("/")[0]])), "omega"];
  return fc.option(fc.shuffledSubarray(pool, { minLength: 1, maxLength: Math.min(4, pool.length) }), {
    nil: undefined,
    freq: 4,
  });
}

/** Whole small cases: a scenario (endpoints, failures, traffic, seed) and the request body. */
export function caseArb(space: CaseSpace, o: CaseOptions = {}): fc.Arbitrary<CheckCase> {
  const models = modelsOf(space);
  const traffic = space.traffic;
  const maxProviders = space.providers?.length ?? MAX_GENERATED;
  const sizes = traffic
    ? fc.constant({ prompt_tokens: traffic.prompt_tokens, completion_tokens: traffic.completion_tokens })
    : fc.record({
        prompt_tokens: fc.constantFrom(1000, 200, 4000, 30_000),
        completion_tokens: fc.constantFrom(250, 0, 2000),
      });
  return fc
    .record({
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      providers: providersArb(space, o, models),
      traffic: fc
        .record({
          requests: fc.integer({ min: 1, max: o.route ? 1 : 30 }),
          rate: fc.constantFrom(10, 1, 100),
          process: fc.constantFrom("uniform" as const, "poisson" as const),
          sizes,
        })
        .map(({ requests, rate, process, sizes: s }) => ({
          arrivals: { process, rate_per_s: rate },
          requests,
          ...s,
          ...(traffic?.model_mix && !traffic.model ? { model_mix: traffic.model_mix } : { model: models[0] }),
        })),
      body: bodyArb(vocabulary(space), o.minEndpoints ? models.slice(0, 1) : models, o),
      routing: o.route
        ? fc.record({
            promptTokens: fc.constantFrom(1000, 200, 4000, 30_000),
            completionTokens: fc.constantFrom(250, 0, 2000),
            failuresAgoMs: healthArb(maxProviders, space.knobs),
          })
        : fc.constant(undefined),
      pick: o.pick
        ? fc.record({ endpoint: fc.nat({ max: maxProviders - 1 }), factor: fc.constantFrom(0.5, 0.25, 0.9) })
        : fc.constant(undefined),
    })
    .map((c) => {
      const n = c.providers.length;
      if (c.pick) c.pick = { ...c.pick, endpoint: c.pick.endpoint % n };
      if (c.routing) {
        // A route-level case reproduces as one request of the routed size.
        c.routing = { ...c.routing, failuresAgoMs: c.routing.failuresAgoMs.slice(0, n) };
        c.traffic = {
          ...c.traffic,
          prompt_tokens: c.routing.promptTokens,
          completion_tokens: c.routing.completionTokens,
        };
      }
      return c as CheckCase;
    });
}
