/**
 * scenarios/gateways/timeouts-and-waste.yaml: each gateway's timer measured where the real one
 * stops (issue 19 point 10), and providers billing what they generated on abandoned attempts
 * (point 11). See docs/gateways-model.md "Timeouts" and "Money spent on abandoned attempts".
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, simulate } from "../../../src/index.js";
import type { AttemptRecord, Outcome } from "../../../src/types.js";

const attempts = new Map<string, AttemptRecord[]>();
const outcomes = new Map<string, Outcome[]>();
const { summary, run } = simulate(loadScenario(resolve("scenarios/gateways/timeouts-and-waste.yaml")), {
  observe: ({ policy }) => {
    attempts.set(policy, []);
    outcomes.set(policy, []);
    return {
      attempt: (a) => attempts.get(policy)!.push(a),
      outcome: (_r, o) => outcomes.get(policy)!.push(o),
    };
  },
});
const p = (name: string) => summary.policies.find((x) => x.name === name)!;
const near = (x: number, y: number) => Math.abs(x - y) < 1e-6;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe("timers as each gateway measures them, and wasted spend", () => {
  it("plain reads time out on the whole response: Together's slow decodes fall back to Groq", () => {
    for (const name of ["litellm-plain", "portkey-plain"]) {
      const timedOut = attempts.get(name)!.filter((a) => a.status === 408);
      expect(timedOut.length).toBeGreaterThan(300); // of 400 requests, most decodes exceed 15 s
      expect(timedOut.every((a) => a.endpoint.tag === "together" && near(a.endMs - a.startMs, 15_000))).toBe(
        true,
      );
      expect(p(name).successRate).toBe(1);
      // Together bills the prompt and the tokens made by the deadline: that is the waste.
      expect(timedOut.every((a) => a.costUsd > 0 && a.completionTokens > 0)).toBe(true);
      expect(p(name).wastedSpendUsd).toBeCloseTo(sum(timedOut.map((a) => a.costUsd)), 12);
    }
  });

  it("streams: LiteLLM waits for the first chunk, Portkey for the headers: Together serves all", () => {
    for (const name of ["litellm-stream", "portkey-stream", "openrouter-default"]) {
      expect(p(name)).toMatchObject({ successRate: 1, attemptsPerRequest: 1, wastedSpendUsd: 0 });
      expect(p(name).providerShare).toEqual({ together: 1 });
    }
  });

  it("Envoy's route timeout ends the whole request: 504 for a plain read, a committed cut for a stream", () => {
    const plain = outcomes.get("envoy-plain")!.filter((o) => o.kind === "failed");
    expect(plain.length).toBeGreaterThan(300);
    expect(plain.every((o) => o.kind === "failed" && o.status === 504 && near(o.latencyMs, 15_000))).toBe(
      true,
    );
    const stream = outcomes.get("envoy-stream")!.filter((o) => o.kind === "failed");
    expect(stream.every((o) => o.kind === "failed" && o.code === "mid_stream_error")).toBe(true);
    expect(p("envoy-plain").attemptsPerRequest).toBe(1); // no retry once the route timer fired
    expect(p("envoy-plain").wastedSpendUsd).toBeGreaterThan(0);
  });

  it("run.json names the modelled versions and what each timer measures", () => {
    const m = (name: string) => run.policies.find((x) => x.name === name)!;
    expect(m("litellm-plain").models).toMatch(/^LiteLLM router\.py f292d1ae/);
    expect(m("litellm-plain").timeout).toEqual({
      ms: 15_000,
      streaming: "first_token",
      nonStreaming: "response",
      requestMs: null,
    });
    expect(m("portkey-plain").models).toMatch(/^Portkey gateway 1\.15\.2/);
    expect(m("portkey-plain").timeout).toMatchObject({ streaming: "headers", nonStreaming: "headers" });
    expect(m("envoy-plain").models).toMatch(/^Envoy 1\.31/);
    expect(m("envoy-plain").timeout).toMatchObject({ ms: null, requestMs: 15_000 });
    expect(m("openrouter-default")).toMatchObject({ billsAbandoned: false });
    expect(m("litellm-plain").billsAbandoned).toBe(true);
  });
});
