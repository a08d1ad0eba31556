/**
 * Legal but suspicious scenarios (issue 25 items 3 and 7): a model no endpoint serves (0 %
 * success, silently), a default with an extreme effect (no per-attempt timeout while providers
 * time out, unlimited capacity), a $0 price, seconds written into a `_ms` key. Each becomes a
 * warning in the console and the report, not an error: the scenario may mean it.
 */
import type { PolicyModel } from "./policies/describe.js";
import { compileDist } from "./rng/distributions.js";
import type { Scenario } from "./scenario/schema.js";

/** Kinds whose request model maps to endpoints through a gateway config (their own names). */
const CONFIG_MAPPED = new Set(["litellm", "portkey", "envoy", "nginx"]);

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_v, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The model ids a policy asks for, as endpoints would serve them (variants and routers left out). */
function requested(s: Scenario, p: Scenario["policies"][number]): string[] {
  const body = p.request as { model?: string; models?: string[] };
  const traffic = s.traffic.model_mix
    ? Array.isArray(s.traffic.model_mix)
      ? s.traffic.model_mix.map((m) => m.model)
      : Object.keys(s.traffic.model_mix)
    : s.traffic.model !== undefined
      ? [s.traffic.model]
      : [];
  const ids = [
    ...(body.model !== undefined ? [body.model] : body.models?.length ? [] : traffic),
    ...(body.models ?? []),
  ];
  // Router slugs (openrouter/auto…), aliases (~…) and presets (@…) resolve to other ids first.
  return [
    ...new Set(
      ids
        .filter((m) => !m.startsWith("openrouter/") && !m.startsWith("~") && !m.includes("@"))
        .map((m) => m.split(":")[0]),
    ),
  ];
}

export function scenarioWarnings(
  s: Scenario,
  selected: readonly Scenario["policies"][number][],
  models: readonly PolicyModel[],
): string[] {
  const out: string[] = [];
  const served = [...new Set(s.providers.map((p) => p.model))];
  for (const p of selected) {
    if (CONFIG_MAPPED.has(p.kind)) continue;
    for (const m of requested(s, p)) {
      if (served.includes(m)) continue;
      const near = [...served]
        .sort((a, b) => distance(m, a) - distance(m, b) || (a < b ? -1 : 1))
        .slice(0, 2);
      out.push(
        `${p.name}: model "${m}" is served by no endpoint, so its requests fail; nearest served: ${near.map((x) => `"${x}"`).join(", ") || "none"}`,
      );
    }
  }
  const timeoutShare = (e: Scenario["providers"][number]) =>
    (e.error_rate * ((e.error_mix as Record<string, number>).timeout ?? 0)) /
    Math.max(
      1e-12,
      Object.values(e.error_mix as Record<string, number>).reduce((a, b) => a + b, 0),
    );
  const timingOut = s.providers.filter((e) => timeoutShare(e) > 0);
  for (const m of models) {
    const ms = m.timeout.ms;
    if (timingOut.length === 0 || (ms !== null && ms < 600_000)) continue;
    const worst = timingOut.reduce((a, b) => (timeoutShare(b) > timeoutShare(a) ? b : a));
    out.push(
      `${m.name}: ${ms === null ? "no per-attempt timeout" : `a per-attempt timeout of ${ms / 1000} s`} (${m.models}); ${timingOut.length} provider(s) have "timeout" errors (${worst.name}: ${(100 * timeoutShare(worst)).toFixed(1)} % of calls), each holding its request ${ms === null ? "until the run ends" : `${ms / 1000} s`}; set a timeout`,
    );
  }
  const unlimited = s.providers.filter((e) => e.concurrency == null && e.rate_limit == null);
  if (unlimited.length)
    out.push(
      `${unlimited.length} of ${s.providers.length} providers have no concurrency or rate limit (unlimited capacity: overload never shows): ${unlimited
        .map((e) => e.name)
        .slice(0, 5)
        .join(", ")}${unlimited.length > 5 ? ", …" : ""}`,
    );
  for (const e of s.providers) {
    if (e.price.prompt === 0 && e.price.completion === 0 && (e.price.request ?? 0) === 0)
      out.push(
        `provider ${e.name} (${e.model}) has a $0 price: costs and cost rankings leave it out (fill in prices)`,
      );
    const ttft = compileDist(e.ttft_ms).median;
    if (ttft > 0 && ttft < 1)
      out.push(`provider ${e.name}: ttft_ms median is ${ttft} ms: seconds written in a milliseconds key?`);
    const err = compileDist(e.error_latency_ms).median;
    if (err > 0 && err < 1)
      out.push(
        `provider ${e.name}: error_latency_ms median is ${err} ms: seconds written in a milliseconds key?`,
      );
  }
  return out;
}
