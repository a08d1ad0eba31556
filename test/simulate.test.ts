import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ScenarioInput, scenarioFromObject, simulate } from "../src/index.js";

const MODEL = "acme/chat-1";

/** A small but rough world: errors of every kind, an outage, a rate limit, tight timeouts. */
function roughScenario(over: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    name: "rough",
    seed: 11,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: 40 },
      requests: 3000,
      prompt_tokens: { dist: "lognormal", median: 800, sigma: 0.6 },
      completion_tokens: { dist: "lognormal", median: 200, sigma: 0.6 },
      model: MODEL,
    },
    providers: [
      {
        name: "cheap",
        model: MODEL,
        price: { prompt: 0.1, completion: 0.2 },
        ttft_ms: { dist: "lognormal", median: 300, sigma: 0.8 },
        tokens_per_s: { dist: "normal", mean: 40, cv: 0.3 },
        concurrency: 16,
        queue_limit: 8,
        error_rate: 0.1,
        midstream_error_rate: 0.05,
        outages: [{ start_s: 20, duration_s: 15, status: 503 }],
      },
      {
        name: "mid",
        model: MODEL,
        price: { prompt: 0.5, completion: 0.8, request: 0.0001 },
        ttft_ms: { dist: "gamma", mean: 500, cv: 1.5 },
        rate_limit: { rpm: 900, burst: 10 },
        error_rate: 0.05,
        error_mix: { "500": 1, timeout: 1, empty: 1, "429": 1 },
      },
      {
        name: "pricey",
        model: MODEL,
        price: { prompt: 2, completion: 3 },
        ttft_ms: { dist: "exponential", mean: 200 },
        concurrency: 8,
        error_rate: 0.02,
        random_outages: { mtbf_s: 30, duration_s: { dist: "lognormal", median: 5, sigma: 0.5 } },
      },
    ],
    policies: [
      { name: "default", request: { model: MODEL }, router: { timeout_ms: 2000 } },
      { name: "price-sort", request: { model: MODEL, provider: { sort: "price" } } },
      {
        name: "pinned",
        request: { model: MODEL, provider: { order: ["cheap"], allow_fallbacks: false } },
      },
      { name: "two-tries", request: { model: MODEL }, router: { timeout_ms: 1500, max_attempts: 2 } },
    ],
    ...over,
  } as ScenarioInput;
}

type Row = Record<string, string>;

function readCsv(path: string): Row[] {
  const [head, ...lines] = readFileSync(path, "utf8").trimEnd().split("\n");
  const cols = head.split(",");
  return lines.map((l) => {
    const f = l.split(","); // no quoted fields in these scenarios
    return Object.fromEntries(cols.map((c, i) => [c, f[i]]));
  });
}

function runTo(input: ScenarioInput, name = "out") {
  const dir = join(mkdtempSync(join(tmpdir(), "routesim-sim-")), name);
  const result = simulate(scenarioFromObject(input), { outDir: dir });
  return { dir, result, file: (f: string) => readFileSync(join(dir, f), "utf8") };
}

describe("simulate: conservation", () => {
  const { dir, result } = runTo(roughScenario());
  const requests = readCsv(join(dir, "requests.csv"));
  const attempts = readCsv(join(dir, "attempts.csv"));

  it("every request ends in exactly one outcome per policy", () => {
    expect(result.summary.requests).toBe(3000);
    for (const p of result.summary.policies) {
      const rows = requests.filter((r) => r.policy === p.name);
      expect(rows).toHaveLength(3000);
      expect(new Set(rows.map((r) => r.request_id)).size).toBe(3000);
      expect(p.succeeded + p.failed).toBe(3000);
      expect(rows.filter((r) => r.status === "200")).toHaveLength(p.succeeded);
      expect(Object.values(p.errors).reduce((a, b) => a + b, 0)).toBe(p.failed);
      expect(p.failed).toBeGreaterThan(0); // the scenario really is rough
    }
  });

  it("attempt counts add up between requests.csv, attempts.csv and the summary", () => {
    for (const p of result.summary.policies) {
      const rows = requests.filter((r) => r.policy === p.name);
      const att = attempts.filter((a) => a.policy === p.name);
      expect(att).toHaveLength(p.attempts);
      expect(rows.reduce((s, r) => s + Number(r.attempts), 0)).toBe(p.attempts);
      const perRequest = new Map<string, number[]>();
      for (const a of att)
        perRequest.set(a.request_id, [...(perRequest.get(a.request_id) ?? []), Number(a.attempt)]);
      for (const r of rows) {
        const nums = perRequest.get(r.request_id) ?? [];
        expect(nums).toEqual(Array.from({ length: Number(r.attempts) }, (_, i) => i + 1));
        // A served request's last attempt is its only 200.
        const last = att.filter((a) => a.request_id === r.request_id).at(-1);
        if (r.status === "200") expect(last?.status).toBe("200");
        else expect(att.filter((a) => a.request_id === r.request_id && a.status === "200")).toHaveLength(0);
      }
    }
  });

  it("costs add up: failed attempts cost 0, request cost = its served attempt, totals agree", () => {
    for (const a of attempts) if (a.status !== "200") expect(a.cost_usd).toBe("0");
    for (const p of result.summary.policies) {
      const rows = requests.filter((r) => r.policy === p.name);
      const att = attempts.filter((a) => a.policy === p.name);
      const fromRequests = rows.reduce((s, r) => s + Number(r.cost_usd), 0);
      const fromAttempts = att.reduce((s, a) => s + Number(a.cost_usd), 0);
      expect(fromRequests).toBeCloseTo(fromAttempts, 9);
      expect(p.costUsd).toBeCloseTo(fromRequests, 9);
      expect(p.costUsd).toBeGreaterThan(0);
    }
  });

  it("max_attempts and allow_fallbacks bound the attempts", () => {
    const two = attempts.filter((a) => a.policy === "two-tries");
    expect(Math.max(...two.map((a) => Number(a.attempt)))).toBeLessThanOrEqual(2);
    const pinned = attempts.filter((a) => a.policy === "pinned");
    expect(new Set(pinned.map((a) => a.provider))).toEqual(new Set(["cheap"]));
  });

  it("a mid-stream failure ends the request: no attempt after it", () => {
    let seen = 0;
    for (const p of result.summary.policies) {
      const att = attempts.filter((a) => a.policy === p.name);
      const byReq = new Map<string, Row[]>();
      for (const a of att) byReq.set(a.request_id, [...(byReq.get(a.request_id) ?? []), a]);
      for (const list of byReq.values()) {
        const k = list.findIndex((a) => a.error === "mid_stream");
        if (k < 0) continue;
        seen++;
        expect(k).toBe(list.length - 1);
        const req = requests.find((r) => r.policy === p.name && r.request_id === list[0].request_id);
        expect(req?.status).not.toBe("200");
        expect(req?.error_code).toBe("mid_stream_error");
      }
    }
    expect(seen).toBeGreaterThan(10);
  });

  it("timeouts show as status 408 in attempts.csv", () => {
    const timeouts = attempts.filter((a) => a.error === "timeout");
    expect(timeouts.length).toBeGreaterThan(0);
    expect(timeouts.every((a) => a.status === "408")).toBe(true);
  });
});

describe("simulate: determinism and common random numbers", () => {
  it("the same scenario and seed give byte-identical results; another seed gives other numbers", () => {
    const a = runTo(roughScenario());
    const b = runTo(roughScenario());
    for (const f of ["attempts.csv", "requests.csv", "summary.json"]) expect(b.file(f)).toBe(a.file(f));
    const c = runTo(roughScenario({ seed: 12 }));
    expect(c.file("attempts.csv")).not.toBe(a.file("attempts.csv"));
    expect(c.file("requests.csv")).not.toBe(a.file("requests.csv"));
    expect(c.result.summary.policies[0].latencyMs.mean).not.toBe(a.result.summary.policies[0].latencyMs.mean);
    expect(c.result.summary.policies[0].costUsd).not.toBe(a.result.summary.policies[0].costUsd);
  });

  it("two identical policies with different names get identical per-request outcomes", () => {
    const policies = [
      { name: "first", request: { model: MODEL } },
      { name: "second", request: { model: MODEL } },
    ];
    const { dir } = runTo(roughScenario({ policies } as Partial<ScenarioInput>));
    const rows = readCsv(join(dir, "requests.csv"));
    const strip = (p: string) =>
      rows.filter((r) => r.policy === p).map(({ policy: _, ...rest }) => JSON.stringify(rest));
    const first = strip("first");
    expect(first).toHaveLength(3000);
    expect(strip("second")).toEqual(first);
    const att = readCsv(join(dir, "attempts.csv"));
    const stripA = (p: string) =>
      att.filter((r) => r.policy === p).map(({ policy: _, ...rest }) => JSON.stringify(rest));
    expect(stripA("second")).toEqual(stripA("first"));
  });

  it("summary-only runs compute the same summary without row files", () => {
    const full = runTo(roughScenario());
    const dir = join(mkdtempSync(join(tmpdir(), "routesim-sim-")), "summary-only");
    const r = simulate(scenarioFromObject(roughScenario()), { outDir: dir, summaryOnly: true });
    expect(JSON.stringify(r.summary)).toBe(JSON.stringify(full.result.summary));
    expect(() => readFileSync(join(dir, "attempts.csv"))).toThrow();
    expect(readFileSync(join(dir, "summary.json"), "utf8")).toBe(full.file("summary.json"));
  });
});
