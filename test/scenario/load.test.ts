import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scenarioJsonSchema } from "../../src/scenario/jsonschema.js";
import { loadScenario, scenarioFromObject } from "../../src/scenario/load.js";
import { thrownInputError } from "../helpers.js";

/** The scenario shape from the foundation issue, verbatim: it must load as written. */
const ISSUE_EXAMPLE = `name: three-providers
seed: 7
traffic:
  arrivals: { process: poisson, rate_per_s: 50 }
  requests: 20000
  prompt_tokens: { dist: lognormal, median: 1000, sigma: 0.8 }
  completion_tokens: { dist: lognormal, median: 250, sigma: 0.7 }
  model: meta-llama/llama-3.3-70b-instruct
providers:
  - name: alpha
    model: meta-llama/llama-3.3-70b-instruct
    price: { prompt: 1.0, completion: 1.0 }   # USD per million tokens
    ttft_ms: { dist: lognormal, median: 300, sigma: 0.4 }
    tokens_per_s: { dist: normal, mean: 90, cv: 0.1 }
    concurrency: 256
    error_rate: 0.0
    outages:
      - { start_s: 120, duration_s: 60, status: 503 }
policies:
  - name: default
    request: { model: meta-llama/llama-3.3-70b-instruct }
`;

function tmpFile(name: string, text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), "routesim-load-")), name);
  writeFileSync(f, text);
  return f;
}

function problemsOf(f: () => unknown): {
  file: string;
  problems: readonly { path: string; message: string }[];
} {
  const e = thrownInputError(f);
  return { file: e.file, problems: e.problems };
}

const minimal = () => ({
  name: "t",
  traffic: { arrivals: { process: "poisson", rate_per_s: 1 }, requests: 5, model: "m" },
  providers: [{ name: "a", model: "m", price: { prompt: 1, completion: 1 } }],
  policies: [{ name: "p" }],
});

describe("scenario files", () => {
  it("the issue's example loads as written, with every default filled once", () => {
    const { scenario } = loadScenario(tmpFile("ex.yaml", ISSUE_EXAMPLE));
    expect(scenario.name).toBe("three-providers");
    expect(scenario.traffic.requests).toBe(20000);
    const p = scenario.providers[0];
    expect(p.price).toMatchObject({ prompt: 1, completion: 1, request: 0, discount: 0 });
    expect(p.outages[0]).toEqual({
      start_s: 120,
      duration_s: 60,
      status: 503,
      error_rate: 1,
      latency_multiplier: 1,
    });
    expect(p.rate_limit).toBeNull();
    expect(p.queue_limit).toBeNull();
    const pol = scenario.policies[0];
    expect(pol.kind).toBe("openrouter");
    expect(pol.router).toEqual({ timeout_ms: 60_000, max_attempts: null });
    expect(Object.isFrozen(scenario) && Object.isFrozen(p.outages[0])).toBe(true);
  });

  it.each(["flagship.yaml", "three-providers.yaml"])("scenarios/%s loads and starts with a comment", (f) => {
    const text = readFileSync(join("scenarios", f), "utf8");
    expect(text.startsWith("# ")).toBe(true);
    const loaded = loadScenario(join("scenarios", f));
    expect(loaded.scenario.policies.length).toBeGreaterThanOrEqual(3);
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("JSON and YAML load alike; overrides replace seed and requests", () => {
    const json = loadScenario(tmpFile("s.json", JSON.stringify(minimal())), { seed: 42, requests: 9 });
    expect(json.scenario.seed).toBe(42);
    expect(json.scenario.traffic.requests).toBe(9);
    const inline = scenarioFromObject(minimal());
    expect(inline.scenario.seed).toBe(1);
    expect(inline.file).toBe("<inline>");
  });

  it("loading a file again (as every replication does) gives fresh results and sees edits", () => {
    const file = tmpFile("again.yaml", JSON.stringify(minimal()));
    const a = loadScenario(file, { seed: 5, requests: 10 });
    const b = loadScenario(file, { seed: 6 });
    expect([a.scenario.seed, a.scenario.traffic.requests]).toEqual([5, 10]);
    expect(b.scenario.seed).toBe(6);
    expect(b.scenario.traffic.requests).toBe(5);
    expect(b.hash).toBe(a.hash);
    writeFileSync(file, JSON.stringify({ ...minimal(), seed: 77 }));
    const c = loadScenario(file);
    expect(c.scenario.seed).toBe(77);
    expect(c.hash).not.toBe(a.hash);
  });

  it("reports every problem at once, each with its path", () => {
    const bad = minimal() as Record<string, unknown>;
    bad.seed = -1;
    bad.extra = true;
    (bad.providers as Record<string, unknown>[])[0].price = { prompt: "x", completion: 1 };
    const { file, problems } = problemsOf(() => scenarioFromObject(bad));
    expect(file).toBe("<inline>");
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          path: "",
          message:
            'unknown key "extra"; expected one of name, description, seed, traffic, providers, outage_groups, policies, slo, presets',
        },
        { path: "seed", message: "expected >= 0, got number -1" },
        { path: "providers[0].price.prompt", message: 'expected number, got string "x"' },
      ]),
    );
  });

  it.each([
    [{ dist: "normal", mean: 5, sd: 1, cv: 0.2 }, "expected exactly one of sd or cv"],
    [{ dist: "uniform", min: 5, max: 1 }, "expected max >= min"],
    [{ dist: "gamma", mean: 5, cv: 0 }, "expected > 0, got number 0"],
    [
      {
        dist: "empirical",
        quantiles: [
          [0.1, 1],
          [1, 2],
        ],
      },
      "expected quantiles from p=0 to p=1",
    ],
    [{ dist: "empirical" }, "expected exactly one of values or quantiles"],
    ["fast", 'expected number or object, got string "fast"'],
  ])("distribution %j → %s", (spec, message) => {
    const s = minimal();
    (s.providers[0] as Record<string, unknown>).ttft_ms = spec;
    const { problems } = problemsOf(() => scenarioFromObject(s));
    expect(problems).toHaveLength(1);
    expect(problems[0].path.startsWith("providers[0].ttft_ms")).toBe(true);
    expect(problems[0].message).toContain(message);
  });

  it.each([
    [["traffic"], "reqests", "requests"],
    [["providers", 0], "concurency", "concurrency"],
    [["providers", 0, "price"], "promtp", "prompt"],
    [["providers", 0, "rate_limit"], "bursts", "burst"],
    [["providers", 0, "outages", 0], "stauts", "status"],
    [["providers", 0, "ttft_ms"], "sgima", "sigma"],
    [["traffic", "arrivals"], "sched", "schedule"],
    [["policies", 0, "request", "provider"], "allow_fallback", "allow_fallbacks"],
  ])("a misspelt key at %j (%s) gets a suggestion and the allowed keys", (path, typo, meant) => {
    const s = minimal() as Record<string, unknown>;
    (s.providers as Record<string, unknown>[])[0].rate_limit = { rpm: 60 };
    (s.providers as Record<string, unknown>[])[0].outages = [{ start_s: 1, duration_s: 1 }];
    (s.providers as Record<string, unknown>[])[0].ttft_ms = { dist: "lognormal", median: 3, sigma: 1 };
    (s.policies as Record<string, unknown>[])[0].request = { provider: {} };
    let node = s as Record<string | number, unknown>;
    for (const seg of path) node = node[seg] as Record<string | number, unknown>;
    // Move a real key to its misspelling when the key exists (so it is also "missing").
    if (meant in node) {
      node[typo] = node[meant];
      delete node[meant];
    } else node[typo] = 1;
    const { problems } = problemsOf(() => scenarioFromObject(s));
    const where = path
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`))
      .join("")
      .replace(/^\./, "");
    // The rename may also break a cross-field rule (e.g. "requests or duration_s"), but never
    // reports the misspelt key as missing: the suggestion says that already.
    const unknown = problems.find((p) => p.path === where && p.message.startsWith("unknown key"));
    expect(unknown?.message).toContain(`unknown key "${typo}" (did you mean "${meant}"?); expected one of `);
    expect(problems.filter((p) => p.message.endsWith("(missing)"))).toEqual([]);
    expect(problems.length).toBeLessThanOrEqual(2);
    expect(unknown?.message).toMatch(new RegExp(`expected one of .*\\b${meant}\\b`));
  });

  it("names that fail their pattern say what was received", () => {
    const s = { ...minimal(), name: "a/b" };
    const { problems } = problemsOf(() => scenarioFromObject(s));
    expect(problems).toEqual([
      {
        path: "name",
        message: 'expected a name of letters, digits, . _ - (used as folder name), got string "a/b"',
      },
    ]);
  });

  it("traffic needs a stop condition, arrivals and a model", () => {
    const s = minimal();
    s.traffic = { model: "m" } as typeof s.traffic;
    const { problems } = problemsOf(() => scenarioFromObject(s));
    expect(problems.map((p) => p.message)).toEqual(
      expect.arrayContaining([
        "expected arrivals or trace",
        "expected requests or duration_s (when to stop)",
      ]),
    );
  });

  it("outage groups must name known providers", () => {
    const s = { ...minimal(), outage_groups: [{ name: "g", providers: ["a", "zz"] }] };
    const { problems } = problemsOf(() => scenarioFromObject(s));
    expect(problems).toEqual([{ path: "outage_groups[0].providers[1]", message: 'unknown provider "zz"' }]);
  });
});

describe("JSON Schema for editors", () => {
  it("schema/scenario.schema.json is up to date (regenerate with npm run schema)", () => {
    const onDisk = readFileSync("schema/scenario.schema.json", "utf8");
    expect(onDisk).toBe(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });

  it("describes the top-level keys and forbids unknown ones", () => {
    const schema = scenarioJsonSchema() as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["name", "seed", "traffic", "providers", "outage_groups", "policies"]),
    );
    expect(schema.required).toEqual(expect.arrayContaining(["name", "traffic", "providers", "policies"]));
    expect(schema.additionalProperties).toBe(false);
  });
});

describe("overrides", () => {
  it("--requests replaces a synthetic duration so exactly N requests run", () => {
    const { requests: _, ...traffic } = minimal().traffic;
    const s = { ...minimal(), traffic: { ...traffic, duration_s: 10 } };
    expect(scenarioFromObject(s).scenario.traffic.duration_s).toBe(10);
    const { scenario } = scenarioFromObject(s, { requests: 1000 });
    expect(scenario.traffic.requests).toBe(1000);
    expect(scenario.traffic.duration_s).toBeUndefined();
  });
});
