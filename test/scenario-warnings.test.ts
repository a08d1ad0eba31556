/**
 * Issue 25 items 3 and 7: legal but suspicious scenarios are warned about, in the console and the
 * report, each with what to fix; a clean scenario gets none.
 */
import { describe, expect, it } from "vitest";
import { scenarioFromObject } from "../src/scenario/load.js";
import { simulate } from "../src/simulate.js";

const A = "meta-llama/llama-3.3-70b-instruct";
const base = {
  name: "warnings",
  seed: 1,
  traffic: { arrivals: { process: "uniform", rate_per_s: 20 }, requests: 50, model: A },
  providers: [
    { name: "a", model: A, price: { prompt: 0.5, completion: 0.7 }, ttft_ms: 200, concurrency: 20 },
    { name: "b", model: A, price: { prompt: 0.4, completion: 0.6 }, ttft_ms: 300, concurrency: 20 },
  ],
  policies: [{ name: "or", request: { model: A } }],
};
const warnings = (o: unknown) => simulate(scenarioFromObject(o)).summary.warnings;
const edit = (f: (o: typeof base) => void) => {
  const o = structuredClone(base);
  f(o);
  return o;
};

describe("scenario warnings", () => {
  it("a clean scenario has none", () => {
    expect(warnings(base)).toEqual([]);
  });

  it("a model no endpoint serves names the policy and the nearest served ids (item 3)", () => {
    const w = warnings(edit((o) => (o.policies[0].request.model = "meta-llama/llama-3.3-70b-instruc")));
    expect(w).toContain(
      `or: model "meta-llama/llama-3.3-70b-instruc" is served by no endpoint, so its requests fail; nearest served: "${A}"`,
    );
    // Variants and router slugs are not model ids of their own.
    expect(warnings(edit((o) => (o.policies[0].request.model = `${A}:nitro`)))).toEqual([]);
  });

  it("no per-attempt timeout while providers time out (item 7)", () => {
    const w = warnings(
      edit((o) => {
        for (const p of o.providers) Object.assign(p, { error_rate: 0.1 });
        // Portkey without request_timeout waits as long as the provider takes.
        Object.assign(o.policies[0], {
          kind: "portkey",
          portkey_build: "npm",
          options: { provider: "a", api_key: "sk-x" },
        });
      }),
    );
    expect(w.join("\n")).toMatch(
      /or: no per-attempt timeout .*"timeout" errors \(a: 0\.5 % of calls\).*set a timeout/,
    );
  });

  it("unlimited capacity, $0 prices and seconds in _ms keys (item 7)", () => {
    const w = warnings(
      edit((o) => {
        delete (o.providers[0] as { concurrency?: number }).concurrency;
        o.providers[1].price = { prompt: 0, completion: 0 };
        o.providers[1].ttft_ms = 0.3;
      }),
    ).join("\n");
    expect(w).toContain(
      "1 of 2 providers have no concurrency or rate limit (unlimited capacity: overload never shows): a",
    );
    expect(w).toContain("provider b (meta-llama/llama-3.3-70b-instruct) has a $0 price");
    expect(w).toContain("provider b: ttft_ms median is 0.3 ms: seconds written in a milliseconds key?");
  });
});
