/**
 * `routesim explain` (issue 21 item 7): one pasted body against a scenario's endpoints — the
 * endpoints each filter removed and why, the order and weights, the models chain, the R60 error.
 * In process, like test/cli/cli.test.ts; bodies from test/fixtures/openrouter-bodies/.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type Explanation, explain, readBody } from "../../src/cli/explain.js";
import { loadScenario } from "../../src/scenario/load.js";
import { runCli } from "../support/cli.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BODIES = join(ROOT, "test/fixtures/openrouter-bodies");
const PASTED = join(ROOT, "scenarios/openrouter/pasted-bodies.yaml");
const PRESETS = join(ROOT, "scenarios/openrouter/presets.yaml");
const tmp = mkdtempSync(join(tmpdir(), "routesim-explain-"));

const inProcess = (args: string[]) => runCli(args);

function bodyFile(name: string, body: unknown): string {
  const f = join(tmp, name);
  writeFileSync(f, typeof body === "string" ? body : JSON.stringify(body));
  return f;
}

async function json(args: string[]): Promise<Explanation> {
  const r = await inProcess(["explain", ...args, "--json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Explanation;
}

describe("routesim explain", () => {
  it("provider routing body (sort throughput, partition none): the models chain and one sorted order", async () => {
    const x = await json([join(BODIES, "provider-routing-partition.json"), "--scenario", PASTED]);
    expect(x.chain).toEqual([
      "anthropic/claude-sonnet-4.5",
      "openai/gpt-5-mini",
      "google/gemini-3-flash-preview",
    ]);
    expect(x.models.map((m) => m.mode)).toEqual(["sort:throughput", "sort:throughput", "sort:throughput"]);
    expect(x.order?.[0]).toEqual({ endpoint: "groq", model: "openai/gpt-5-mini" });
    expect(x.order).toHaveLength(8);
    expect(x.notes.join("\n")).toMatch(/partition none \(R32\)/);
    expect(x.error).toBeNull();
  });

  it("tool calling body: google-ai-studio removed by the R19 tools preference", async () => {
    const x = await json([join(BODIES, "tool-calling.json"), "-s", PASTED, "--policy", "tool-calling"]);
    const m = x.models[0];
    expect(m.model).toBe("google/gemini-3-flash-preview");
    expect(m.removed).toEqual([{ endpoint: "google-ai-studio", rule: expect.stringMatching(/^R19 tools/) }]);
    expect(m.eligible).toEqual(["google-vertex"]);
    expect(x.order).toEqual([{ endpoint: "google-vertex", model: "google/gemini-3-flash-preview" }]);
  });

  it("nothing eligible: each endpoint's filter with its rule, and the 404 with excluded_by (R22, R59, R60)", async () => {
    const f = bodyFile("zdr.json", {
      model: "anthropic/claude-sonnet-4.5",
      messages: [{ role: "user", content: "hi" }],
      provider: { ignore: ["Anthropic"], zdr: true },
    });
    const x = await json([f, "-s", PASTED]);
    expect(x.models[0].removed).toEqual([
      { endpoint: "anthropic", rule: expect.stringMatching(/^R14\/R99 in provider.ignore/) },
      { endpoint: "amazon-bedrock", rule: expect.stringMatching(/^R15 zdr/) },
      { endpoint: "google-vertex", rule: expect.stringMatching(/^R15 zdr/) },
    ]);
    expect(x.error).toEqual({ status: 404, code: "privacy_restricted", excludedBy: ["data_policy:zdr"] });
    expect(x.order).toBeNull();
    const text = (await inProcess(["explain", f, "-s", PASTED])).stdout;
    expect(text).toMatch(/✗ anthropic .*\n\s+removed: R14/);
    expect(text).toMatch(
      /rejected before any attempt: 404 privacy_restricted \(excluded_by: data_policy:zdr\)/,
    );
  });

  it("a model the scenario lacks → 400 model_not_found; an empty last model gives the R60 tail", async () => {
    const gone = await json([bodyFile("gone.json", { model: "acme/none" }), "-s", PASTED]);
    expect(gone.error).toMatchObject({ status: 400, code: "model_not_found" });
    const tail = await json([
      bodyFile("tail.json", {
        models: ["openai/gpt-5-mini", "google/gemini-3-flash-preview"],
        provider: { only: ["openai"] },
      }),
      "-s",
      PASTED,
    ]);
    expect(tail.order).toEqual([{ endpoint: "openai", model: "openai/gpt-5-mini" }]);
    expect(tail.emptyTail).toMatchObject({ status: 404, code: "constraint_filtered" });
  });

  it("load balancing: weights and first-pick shares of the best health group (R24b)", async () => {
    const x = await json([join(BODIES, "quickstart.json"), "-s", PASTED]);
    const lb = x.models[0].lb!;
    expect(Object.keys(lb.weights).sort()).toEqual(["azure", "groq", "openai"]);
    const shares = Object.values(lb.shares);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(lb.shares.openai).toBeCloseTo(lb.shares.azure, 9); // same price
    expect(lb.shares.groq).toBeLessThan(lb.shares.openai); // dearer
  });

  it("--at-s simulates the policy's traffic first: amazon-bedrock is down inside its outage (R93)", async () => {
    const f = bodyFile("claude.json", { model: "anthropic/claude-sonnet-4.5" });
    const before = await json([f, "-s", PASTED, "--policy", "display-names"]);
    const during = await json([f, "-s", PASTED, "--policy", "display-names", "--at-s", "130"]);
    const bedrock = (x: Explanation) => x.models[0].endpoints.find((e) => e.endpoint === "amazon-bedrock")!;
    expect(bedrock(before).health).toBe("normal");
    expect(bedrock(during).health).toBe("down");
    expect(during.models[0].lb!.groups.downOrUnstable).toEqual(["amazon-bedrock"]);
    expect(during.order!.at(-1)!.endpoint).toBe("amazon-bedrock");
  });

  it("presets (R102): @preset/slug resolves against the scenario's presets; an unknown one is exit 2", async () => {
    const x = await json([bodyFile("preset.json", { model: "@preset/cheap" }), "-s", PRESETS]);
    expect(x.resolved).toMatchObject({ model: "acme/m1", provider: { sort: "price" } });
    expect(x.order!.map((o) => o.endpoint)).toEqual(["alpha", "beta", "gamma"]);
    const bad = await inProcess(["explain", bodyFile("nope.json", { model: "@preset/nope" }), "-s", PRESETS]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/nope\.json: model: unknown preset "nope"/);
  });

  it("every docs body of the fixtures folder explains against the pasted-bodies scenario", async () => {
    for (const f of readdirSync(BODIES).filter((n) => n.endsWith(".json"))) {
      const r = await inProcess(["explain", join(BODIES, f), "-s", PASTED]);
      expect(r.code, f).toBe(0);
      expect(r.stdout, f).toMatch(/^explain .* at t = 0 s\n/);
      expect(r.stdout, f).toMatch(/→ (attempt order|rejected before any attempt)/);
    }
  });

  it("bad input → exit 2 naming the file and the field path", async () => {
    const cases: [string, RegExp][] = [
      ["{", /bad1\.json: malformed JSON/],
      [JSON.stringify({ model: "acme/m1", service_tier: "turbo" }), /bad2\.json: service_tier: /],
      [
        JSON.stringify({ model: "acme/m1", provider: { sortt: "price" } }),
        /bad3\.json: provider: unknown key "sortt"/,
      ],
      [JSON.stringify({ model: "acme/m1:turbo" }), /bad4\.json: model: unknown model variant/],
    ];
    for (const [i, [text, re]] of cases.entries()) {
      const r = await inProcess(["explain", bodyFile(`bad${i + 1}.json`, text), "-s", PASTED]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stdout).toBe("");
    }
    const noPolicy = await inProcess([
      "explain",
      join(BODIES, "quickstart.json"),
      "-s",
      PASTED,
      "--policy",
      "zz",
    ]);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toMatch(/no policy named "zz"/);
    const badT = await inProcess(["explain", join(BODIES, "quickstart.json"), "-s", PASTED, "--at-s", "-1"]);
    expect(badT.code).toBe(2);
    expect(badT.stderr).toMatch(/--at-s expects/);
  });

  it("stdin (-) goes through the same schema; --help names the options", async () => {
    expect(readBody("-", () => '{"model":"acme/m1","temperature":null}')).toEqual({ model: "acme/m1" });
    expect(() => readBody("-", () => "[]")).toThrow(/<stdin>/);
    const help = await inProcess(["explain", "--help"]);
    expect(help.code).toBe(0);
    for (const o of ["--scenario", "--policy", "--at-s", "--json", "--prompt-tokens"])
      expect(help.stdout).toContain(o);
  });

  it("the library function answers the same as the command", async () => {
    const f = bodyFile("cheap.json", { model: "@preset/cheap", messages: [{ role: "user", content: "hi" }] });
    const x = explain(loadScenario(PRESETS), readBody(f), f, { policy: "at-preset" });
    expect(x.models[0].model).toBe("acme/m1");
    expect(await json([f, "-s", PRESETS, "--policy", "at-preset"])).toEqual(x);
  });
});
