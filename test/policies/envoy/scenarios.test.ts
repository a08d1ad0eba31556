/** The Envoy scenarios in scenarios/gateways/envoy-*.yaml show the behaviour each isolates (§3). */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../../src/scenario/load.js";
import { simulate } from "../../../src/simulate.js";
import type { AttemptRecord } from "../../../src/types.js";

/** Runs a scenario and returns its summary plus every attempt, by policy. */
function run(file: string, requests?: number) {
  const attempts = new Map<string, AttemptRecord[]>();
  const { summary } = simulate(
    loadScenario(resolve("scenarios/gateways", file), requests ? { requests } : {}),
    {
      observe: (r) => {
        const list: AttemptRecord[] = [];
        attempts.set(r.policy, list);
        return { attempt: (a) => list.push(a), outcome: () => {} };
      },
    },
  );
  const policy = (name: string) => summary.policies.find((p) => p.name === name)!;
  return { summary, policy, attempts: (name: string) => attempts.get(name)! };
}

/** Start times (s) of the bursts of attempts on `provider`: a new burst after a gap of > 5 s. */
function bursts(attempts: readonly AttemptRecord[], provider: string): number[] {
  const out: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const a of [...attempts]
    .filter((x) => x.endpoint.provider === provider)
    .sort((x, y) => x.startMs - y.startMs)) {
    if (a.startMs - last > 5000) out.push(a.startMs / 1000);
    last = a.startMs;
  }
  return out;
}

describe("Envoy scenarios", () => {
  it("envoy-max-ejection: the default 10 % ejects none of 4 hosts; always_eject_one_host ejects the failing one", () => {
    const { summary, policy, attempts } = run("envoy-max-ejection.yaml", 1500);
    const capped = summary.warnings.filter((w) => w.includes("never ejects a host"));
    expect(capped.map((w) => w.split(":")[0])).toEqual(["envoy-default"]);
    expect(capped[0]).toContain("meta-llama/llama-3.3-70b-instruct: 4 hosts");
    expect(policy("envoy-default").successRate).toBeGreaterThan(0.72);
    expect(policy("envoy-default").successRate).toBeLessThan(0.78);
    expect(policy("envoy-always-eject-one").successRate).toBeGreaterThan(0.97);
    const fw = (p: string) => attempts(p).filter((a) => a.endpoint.provider === "fireworks").length;
    expect(fw("envoy-always-eject-one")).toBeLessThan(fw("envoy-default") / 5);
  });

  it("envoy-ejection-backoff: out 30 s, 60 s, 90 s … (next 10 s sweep), and no longer than max_ejection_time", () => {
    const { attempts } = run("envoy-ejection-backoff.yaml");
    const gaps = (p: string) => {
      const b = bursts(attempts(p), "fireworks");
      return b.slice(1).map((t, i) => t - b[i]);
    };
    const g = gaps("envoy-backoff");
    expect(g.length).toBeGreaterThanOrEqual(6);
    // Burst k+1 starts 30·(k+1) s after burst k, plus the wait for the sweep (< 10 s) and the burst.
    g.slice(0, 6).forEach((gap, k) => {
      expect(gap).toBeGreaterThanOrEqual(30 * (k + 1));
      expect(gap).toBeLessThan(30 * (k + 1) + 12);
    });
    const capped = gaps("envoy-capped-90s");
    expect(capped.slice(0, 3).map((x) => Math.round(x / 10) * 10)).toEqual([40, 70, 100]);
    for (const gap of capped.slice(3)) {
      expect(gap).toBeGreaterThanOrEqual(90);
      expect(gap).toBeLessThan(102);
    }
  });

  it("envoy-success-rate: success-rate and failure-percentage ejection keep the 30 %-failing host out", () => {
    const { policy, attempts } = run("envoy-success-rate.yaml", 9000);
    const share = (p: string) =>
      attempts(p).filter((a) => a.endpoint.provider === "together").length / attempts(p).length;
    expect(share("no-statistical")).toBeGreaterThan(0.15);
    expect(share("success-rate")).toBeLessThan(0.08);
    expect(share("failure-percentage")).toBeLessThan(0.08);
    expect(policy("success-rate").successRate).toBeGreaterThan(policy("no-statistical").successRate + 0.02);
  });

  it("envoy-cluster-import: the bootstrap's cluster ejects Together during its outage and never calls novita", () => {
    const { summary, attempts } = run("envoy-cluster-import.yaml");
    const during = (p: string) => attempts(p).filter((a) => a.startMs >= 60_000 && a.startMs < 180_000);
    const togetherShare = (p: string) =>
      during(p).filter((a) => a.endpoint.provider === "together").length / during(p).length;
    expect(togetherShare("envoy-llm-pool")).toBeLessThan(0.05);
    expect(togetherShare("p2c-no-ejection")).toBeGreaterThan(0.15);
    expect(attempts("envoy-llm-pool").some((a) => a.endpoint.provider === "novita")).toBe(false);
    expect(
      summary.warnings.some((w) =>
        w.startsWith("envoy-llm-pool: Envoy setting static_resources.clusters[0].circuit_breakers"),
      ),
    ).toBe(true);
  });
});
