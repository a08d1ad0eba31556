/**
 * The shipped Portkey scenarios (scenarios/gateways/portkey-*.yaml) show the behaviour each one
 * isolates, run through the real router and provider farm. § numbers refer to docs/gateways.md.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, simulate } from "../../../src/index.js";
import type { AttemptRecord, Outcome } from "../../../src/types.js";

interface Seen {
  attempts: AttemptRecord[];
  outcomes: { arrivalMs: number; o: Outcome }[];
}

function run(name: string) {
  const by = new Map<string, Seen>();
  const result = simulate(loadScenario(resolve("scenarios/gateways", `${name}.yaml`)), {
    observe: ({ policy }) => {
      const seen: Seen = { attempts: [], outcomes: [] };
      by.set(policy, seen);
      return {
        attempt: (a) => seen.attempts.push(a),
        outcome: (req, o) => seen.outcomes.push({ arrivalMs: req.arrivalMs, o }),
      };
    },
  });
  return { ...result, by: (policy: string) => by.get(policy)! };
}

/** Per request: the endpoints tried and the idle time before each later attempt. */
function paths(seen: Seen) {
  const per = new Map<number, AttemptRecord[]>();
  for (const a of seen.attempts) per.set(a.requestId, [...(per.get(a.requestId) ?? []), a]);
  return [...per.values()].map((as) => ({
    tags: as.map((a) => a.endpoint.tag).join(" "),
    gaps: as.slice(1).map((a, i) => Math.round(a.startMs - as[i].endMs)),
  }));
}

/** The one value every element has (fails listing them otherwise). */
function only<T>(xs: T[]): T {
  const distinct = [...new Set(xs.map((x) => JSON.stringify(x)))];
  expect(distinct).toHaveLength(1);
  return JSON.parse(distinct[0]);
}

const R = 20_000; // Retry-After of a 3 rpm bucket

describe("scenarios/gateways/portkey-retry-after.yaml (§2 retry.use_retry_after_header, source build)", () => {
  const { summary, run: info, by } = run("portkey-retry-after");
  const pol = (n: string) => summary.policies.find((p) => p.name === n)!;

  it("final-429 wait: 20 s after the last 429 of each target too; the next target has a fresh budget", () => {
    expect(only(paths(by("retry-after")))).toEqual({
      tags: "groq groq groq deepinfra deepinfra deepinfra together",
      gaps: [R, R, R, R, R, R],
    });
    expect(pol("retry-after").succeeded).toBe(20);
  });

  it("per-target budget: the 4th 429 (beyond 60 s) stops the target with no wait; DeepInfra starts over", () => {
    expect(only(paths(by("retry-after-budget")))).toEqual({
      tags: "groq groq groq groq deepinfra deepinfra deepinfra deepinfra together",
      gaps: [R, R, R, 0, R, R, R, 0],
    });
  });

  it("the plural use_retry_after_headers is ignored: plain 1 s, 2 s, 4 s backoff, and a warning", () => {
    expect(only(paths(by("retry-after-plural"))).gaps).toEqual([1000, 2000, 4000, 0, 1000, 2000, 4000, 0]);
    expect(summary.warnings).toContain(
      "retry-after-plural: Portkey setting retry.use_retry_after_headers ignored: the hosted Portkey product reads it, but gateway 1.15.2 reads only retry.use_retry_after_header ((root))",
    );
  });

  it("a request whose last 429 carries Retry-After ends that much later (a wait with no provider call)", () => {
    const seen = by("retry-after-alone");
    const lastEnd = Math.max(...seen.attempts.filter((a) => a.requestId === 0).map((a) => a.endMs));
    const first = seen.outcomes[0];
    expect(first.o).toMatchObject({ kind: "failed", status: 429, attempts: 3 });
    expect(first.o.latencyMs).toBeCloseTo(lastEnd - first.arrivalMs + R, 6);
    expect(only(seen.outcomes.map((x) => Math.round(x.o.latencyMs)))).toBe(3 * 200 + 3 * R);
  });

  it("run.json names the build modelled", () => {
    expect(info.policies.map((p) => p.models)).toEqual(
      Array(4).fill("Portkey gateway 1.15.2 (source build, with patches/)"),
    );
  });
});

describe("scenarios/gateways/portkey-npm-build.yaml (§2 ⚠ npm package without the async-retry patch)", () => {
  const { summary, run: info, by } = run("portkey-npm-build");
  const pol = (n: string) => summary.policies.find((p) => p.name === n)!;

  it("fallback on 429 only: Groq's final 429 with Retry-After answers 500, so the chain stops", () => {
    expect(only(paths(by("retry-after")))).toEqual({ tags: "groq groq groq", gaps: [1000, 2000] });
    expect(pol("retry-after").errors).toEqual({ "500": 20 });
    expect(pol("retry-after-alone").errors).toEqual({ "500": 20 });
  });

  it("fallback on any non-2xx: the 500s fall back; normal backoff, no Retry-After wait", () => {
    expect(only(paths(by("retry-after-budget")))).toEqual({
      tags: "groq groq groq groq deepinfra deepinfra deepinfra deepinfra together",
      gaps: [1000, 2000, 4000, 0, 1000, 2000, 4000, 0],
    });
    expect(pol("retry-after-budget").succeeded).toBe(20);
  });

  it("run.json names the npm build", () => {
    expect(new Set(info.policies.map((p) => p.models))).toEqual(
      new Set(["Portkey gateway 1.15.2 (npm package @portkey-ai/gateway, without patches/)"]),
    );
  });
});

describe("scenarios/gateways/portkey-zero-weights.yaml (§2 targets[].weight)", () => {
  const { summary } = run("portkey-zero-weights");
  const pol = (n: string) => summary.policies.find((p) => p.name === n)!;

  it("all weights 0: HTTP 500 with no provider call", () => {
    expect(pol("all-zero").errors).toEqual({ "500": 50 });
    expect(pol("all-zero").attempts).toBe(0);
    expect(pol("empty-group-listed").errors).toEqual({ "500": 50 });
    expect(pol("empty-group-listed").attempts).toBe(0);
  });

  it("a missing weight is 1 and weight 0 is never chosen; fallback without codes passes an empty group", () => {
    expect(pol("zero-and-missing").providerShare).toEqual({ deepinfra: 1 });
    expect(pol("empty-group-fallback").providerShare).toEqual({ together: 1 });
    expect(pol("empty-group-fallback").attempts).toBe(50);
  });
});

describe("scenarios/gateways/portkey-no-timeout.yaml (§2 request_timeout: no default)", () => {
  const { summary, run: info } = run("portkey-no-timeout");
  const pol = (n: string) => summary.policies.find((p) => p.name === n)!;

  it("without request_timeout no timer runs: every request waits ≈ 90 s for the slow provider", () => {
    const p = pol("no-timeout");
    expect(p.succeeded).toBe(20);
    expect(p.providerShare).toEqual({ groq: 1 });
    expect(p.latencyMs.p50).toBeGreaterThan(80_000);
    expect(info.policies.find((x) => x.name === "no-timeout")?.timeout.ms).toBeNull();
    expect(summary.warnings).toContain(
      "no-timeout: Portkey request_timeout is not set and gateway 1.15.2 has no default: no timeout set: a hung provider holds the request until the client gives up (10 min, the OpenAI SDK default)",
    );
  });

  it("with request_timeout 10000 the slow attempt ends as 408 and the fallback serves", () => {
    const p = pol("timeout-10s");
    expect(p.succeeded).toBe(20);
    expect(p.providerShare).toEqual({ deepinfra: 1 });
    expect(p.latencyMs.p50).toBeGreaterThan(10_000);
    expect(p.latencyMs.p50).toBeLessThan(20_000);
  });
});
