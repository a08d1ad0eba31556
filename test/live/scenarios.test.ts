/**
 * The live scenarios (scenarios/live/*.yaml) simulated: each shows what its header says to look
 * for (docs/gateways.md §2), so the live comparison (portkey.test.ts) compares something visible.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { PolicySummary } from "../../src/metrics/collector.js";
import { loadScenario } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";

const DIR = resolve(import.meta.dirname, "../../scenarios/live");

function run(file: string): Record<string, PolicySummary> {
  const { summary } = simulate(loadScenario(join(DIR, file)));
  return Object.fromEntries(summary.policies.map((p) => [p.name, p]));
}

describe("scenarios/live, simulated", () => {
  it("portkey-basic: §2 loadbalance 0.7/0.3, fallback on 503 and one retry; swapped weights move the shares", () => {
    const r = run("portkey-basic.yaml");
    for (const name of ["lb-fallback-retry", "lb-fallback-retry-stream"]) {
      const p = r[name];
      expect(p.successRate).toBe(1);
      expect(p.attemptsPerRequest).toBeGreaterThan(1.2);
      expect(p.attemptsPerRequest).toBeLessThan(1.36);
      expect(p.providerShare.alpha).toBeGreaterThan(0.55);
      expect(p.providerShare.beta).toBeGreaterThan(0.03);
      expect(p.providerShare.gamma).toBeGreaterThan(0.22);
      expect(p.providerShare.gamma).toBeLessThan(0.38);
    }
    expect(r["lb-swapped"].providerShare.gamma).toBeGreaterThan(0.6);
  });

  it("portkey-zero-weights: §2 every weight 0 answers 500 without a provider call", () => {
    const p = run("portkey-zero-weights.yaml")["zero-weights"];
    expect(p.errors).toEqual({ "500": p.requests });
    expect(p.attempts).toBe(0);
  });

  it("portkey-retry-after: §2 npm build, a 429 with Retry-After is retried on plain backoff and ends as 500 → fallback", () => {
    const p = run("portkey-retry-after.yaml")["retry-after-npm"];
    expect(p.successRate).toBe(1);
    expect(p.providerShare.spare).toBeGreaterThan(0.3);
    expect(p.attemptsHistogram["4"]).toBe(p.providerShare.spare * p.requests);
    // 1 s + 2 s of backoff before the fallback, no Retry-After wait on top.
    expect(p.latencyMs.p90).toBeGreaterThan(3000);
    expect(p.latencyMs.p90).toBeLessThan(3600);
  });

  it("portkey-timeout: §2 request_timeout ends a plain response (fallback) but not a stream whose headers came", () => {
    const r = run("portkey-timeout.yaml");
    expect(r["timeout-plain"].providerShare).toEqual({ quick: 1 });
    expect(r["timeout-plain"].attemptErrors).toEqual({ timeout: r["timeout-plain"].requests });
    expect(r["timeout-stream"].providerShare).toEqual({ long: 1 });
    expect(r["timeout-stream"].attemptsPerRequest).toBe(1);
  });

  it("portkey-outage: a scheduled outage sends the requests inside it to the fallback", () => {
    const p = run("portkey-outage.yaml")["outage-fallback"];
    expect(p.successRate).toBe(1);
    expect(p.providerShare.backup).toBeGreaterThan(0.3);
    expect(p.providerShare.backup).toBeLessThan(0.6);
    expect(p.attemptErrors["503"]).toBe(Math.round(p.providerShare.backup * p.requests));
  });
});
