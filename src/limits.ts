/**
 * Caps on every input that sizes work or feeds sums (issue #27): a value beyond one is an
 * InputError, so each accepted scenario runs in bounded time and memory with finite results.
 * README.md ("Limits") lists them; the reasons are next to each.
 */

/** Any scenario number: 1e12 keeps products like price × tokens × requests far from overflow. */
export const MAX_VALUE = 1e12;
/** Requests per run: 10⁸ is hours of simulation, far beyond any benchmark. */
export const MAX_REQUESTS = 100_000_000;
/** Tokens per request (drawn or from a trace): no model's context is near 10⁸. */
export const MAX_TOKENS = 100_000_000;
/** Arrival rate bounds: one request per ~11.6 days up to a million per second. */
export const MIN_RATE_PER_S = 1e-6;
export const MAX_RATE_PER_S = 1e6;
/** Trace `rate_scale`: each row becomes at most 1000 requests (memory grows with the replicas). */
export const MAX_RATE_SCALE = 1000;
/** Endpoints in a scenario: every routing decision looks at all of them. */
export const MAX_PROVIDERS = 10_000;
/** Policies in a scenario (each one is a whole run). */
export const MAX_POLICIES = 1000;
/** `router.max_attempts`: more retries than this is a loop, not a policy. */
export const MAX_ATTEMPTS = 100;
/** compare / sweep replications per point: 10⁵ already gives CIs far below any effect size. */
export const MAX_REPLICATIONS = 100_000;
/** Sweep grid points (counted before expanding the grid). */
export const MAX_GRID_POINTS = 100_000;
/** Coefficients of variation and lognormal sigma: beyond these, samples overflow. */
export const MAX_CV = 100;
export const MAX_SIGMA = 20;
/** `router.timeout_ms` when a policy does not set it. */
export const DEFAULT_TIMEOUT_MS = 60_000;
