/**
 * The LiteLLM behaviour scenarios in scenarios/gateways/litellm-*.yaml run through the real router
 * and provider farm, and each shows the behaviour it was built to isolate (docs/gateways.md §1).
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunObserver } from "../../src/router/router.js";
import { loadScenario } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import type { AttemptRecord, Outcome, RoutedRequest } from "../../src/types.js";

interface Row {
  req: RoutedRequest;
  o: Outcome;
  attempts: readonly AttemptRecord[];
}

/** Runs a scenario and keeps every request's outcome and attempts, per policy. */
function run(file: string, requests?: number) {
  const rows = new Map<string, Row[]>();
  const { summary } = simulate(
    loadScenario(resolve("scenarios/gateways", file), requests ? { requests } : {}),
    {
      observe: ({ policy }): RunObserver => {
        const list: Row[] = [];
        rows.set(policy, list);
        return { attempt: () => {}, outcome: (req, o, attempts) => list.push({ req, o, attempts }) };
      },
    },
  );
  const by = Object.fromEntries(summary.policies.map((p) => [p.name, p]));
  return { rows: (p: string) => rows.get(p)!, by, summary };
}

/** Time from a failed request's last attempt to the client's error (ms). */
const tail = (r: Row) => r.req.arrivalMs + r.o.latencyMs - r.attempts[r.attempts.length - 1].endMs;

describe("LiteLLM behaviour scenarios", () => {
  it("litellm-backoff.yaml: §1.2 retry delays 0.5–1.25 s (n = 0, 0), 1–1.75 s (n = 1), a 2–2.75 s sleep after the last retry, and empty retries", () => {
    const { rows } = run("litellm-backoff.yaml", 600);
    const plain = rows("litellm-backoff");
    const bounds: [number, number][] = [
      [500, 1250],
      [500, 1250],
      [1000, 1750],
    ];
    let gaps = 0;
    for (const r of plain)
      for (let i = 1; i < r.attempts.length; i++) {
        const g = r.attempts[i].startMs - r.attempts[i - 1].endMs;
        expect(g).toBeGreaterThanOrEqual(bounds[i - 1][0]);
        expect(g).toBeLessThanOrEqual(bounds[i - 1][1]);
        gaps++;
      }
    expect(gaps).toBeGreaterThan(100);
    const failed = plain.filter((r) => r.o.kind === "failed");
    expect(failed.length).toBeGreaterThan(3);
    for (const r of failed) {
      expect(r.attempts.length).toBe(4);
      expect(tail(r)).toBeGreaterThanOrEqual(2000);
      expect(tail(r)).toBeLessThanOrEqual(2750);
      expect(r.o.kind === "failed" && r.o.status).toBe(500);
    }
    // Cooldowns: retries that found the deployment cooled made no call but still slept.
    const cooled = rows("litellm-backoff-cooldowns");
    const empty = cooled.filter(
      (r) => r.o.kind === "failed" && r.attempts.length > 0 && r.attempts.length < 4 && tail(r) >= 2000,
    );
    expect(empty.length).toBeGreaterThan(5);
    const refused = cooled.filter((r) => r.o.kind === "failed" && r.attempts.length === 0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.o.kind === "failed" && r.o.code).toBe("no_deployments_available");
  });

  it("litellm-retry-policy.yaml: §1.2 retry_policy by class — 500 → InternalServerErrorRetries, 502/503 → num_retries, 504 → TimeoutErrorRetries", () => {
    const { rows } = run("litellm-retry-policy.yaml", 200);
    const want: Record<string, number> = { "fail/m500": 5, "fail/m502": 2, "fail/m503": 2, "fail/m504": 3 };
    const seen = new Set<string>();
    for (const r of rows("litellm-retry-policy")) {
      expect(r.attempts.length, r.req.model).toBe(want[r.req.model]);
      seen.add(r.req.model);
    }
    expect(seen.size).toBe(4);
  });

  it("litellm-specific-fallbacks.yaml: §1.2 context_window_fallbacks absent → generic fallbacks; present without the group → the 400, no generic fallback", () => {
    const { rows, by } = run("litellm-specific-fallbacks.yaml", 300);
    const long = (r: Row) => r.req.promptTokens + r.req.completionTokens > 8192;
    const absent = rows("litellm-cw-absent");
    expect(by["litellm-cw-absent"].failed).toBe(0);
    const nLong = absent.filter(long).length;
    expect(nLong).toBeGreaterThan(30);
    for (const r of absent.filter(long)) expect(r.o.kind === "served" && r.o.endpoint.tag).toBe("longctx");
    const other = rows("litellm-cw-other-group");
    for (const r of other.filter(long)) {
      expect(r.o).toMatchObject({ kind: "failed", status: 400, code: "context_length_exceeded" });
      expect(r.attempts).toEqual([]);
    }
    expect(by["litellm-cw-other-group"].providerAttempts.longctx ?? 0).toBe(0);
  });

  it("litellm-cooldown-zero.yaml: §1.1/§1.2 cooldown_time 0 (deployment or router) cools for the default 5 s; only disable_cooldowns turns cooldowns off", () => {
    const { by, summary } = run("litellm-cooldown-zero.yaml");
    const off = by["litellm-disable-cooldowns"].failed;
    expect(off).toBeGreaterThan(200);
    for (const p of ["litellm-deployment-cooldown-0", "litellm-router-cooldown-0"]) {
      expect(by[p].failed).toBeGreaterThan(5); // one 429 per 5 s cooldown in the 60 s outage
      expect(by[p].failed).toBeLessThan(30);
    }
    expect(summary.warnings.join("\n")).toMatch(
      /litellm-router-cooldown-0: .*cooldown_time 0 means the default 5 s/,
    );
  });

  it("litellm-weights-least-busy.yaml: §1.1 zero-sum weights fail the pick (500, no call); §1.5 least-busy picks at random while a cooled deployment holds the minimum", () => {
    const { rows, by } = run("litellm-weights-least-busy.yaml");
    const zero = rows("litellm-zero-weights").filter(
      (r) => r.o.kind === "failed" && r.o.code === "zero_weights",
    );
    expect(zero.length).toBeGreaterThan(100);
    for (const r of zero) {
      expect(r.o.kind === "failed" && r.o.status).toBe(500);
      expect(r.attempts).toEqual([]);
    }
    expect(by["litellm-zero-weights"].providerAttempts.standby ?? 0).toBe(0);
    const share = (p: string) => {
      const a = by[p].providerAttempts;
      return (a.slow ?? 0) / ((a.slow ?? 0) + (a.fast ?? 0));
    };
    expect(share("litellm-least-busy")).toBeLessThan(0.2);
    expect(share("litellm-least-busy-cooled")).toBeGreaterThan(0.35);
  });
});
