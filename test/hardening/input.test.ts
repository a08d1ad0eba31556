/**
 * Issue #27, the input half: hostile or absurd input ends in a clean InputError (file + path, exit
 * 2) or a bounded run with finite numbers — never a stack trace, a hang or a "successful" empty run.
 * Each test names the issue item it covers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  compare,
  compileDist,
  InputError,
  loadScenario,
  registerPolicyKind,
  scenarioFromObject,
  simulate,
} from "../../src/index.js";
import { MAX_GRID_POINTS, MAX_REPLICATIONS } from "../../src/scenario/limits.js";
import "../../src/traffic/trace.js";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "routesim-hardening-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const BASE = {
  name: "hard",
  seed: 7,
  traffic: { arrivals: { process: "poisson", rate_per_s: 50 }, requests: 50, model: "m" },
  providers: [
    { name: "alpha", model: "m", price: { prompt: 1, completion: 1 } },
    { name: "beta", model: "m", price: { prompt: 2, completion: 2 } },
  ],
  policies: [{ name: "default" }, { name: "cheap", request: { provider: { sort: "price" } } }],
};
type Obj = Record<string, unknown>;
const clone = (): Obj => structuredClone(BASE) as Obj;

/** Writes a file into a fresh folder of its own and returns its path. */
function put(text: string, name = "s.yaml"): string {
  const d = join(dir, `c${n++}`);
  mkdirSync(d);
  const f = join(d, name);
  writeFileSync(f, text);
  return f;
}
const json = (o: unknown, name = "s.json") => put(JSON.stringify(o, null, 2), name);

/** `routesim run` in the file's folder; returns the result and the summary when it wrote one. */
async function run(file: string, ...flags: string[]) {
  const out = join(file, "..", "out");
  const r = await runCli(["run", file, "--out", out, "-q", ...flags]);
  let summary: Obj | null = null;
  if (r.code === 0) summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  return { ...r, summary };
}

/** Exit 2 with one clean message naming the file and a path, no stack trace. */
function expectInputError(r: { code: number; stderr: string }, file: string, path: string | RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^routesim: error: /);
  expect(r.stderr).toContain(file);
  if (typeof path === "string") expect(r.stderr).toContain(path);
  else expect(r.stderr).toMatch(path);
  expect(r.stderr).not.toMatch(/\n\s+at |\(node:\d+\)/);
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

describe("#27 item 1: YAML alias errors and replication caps", () => {
  it("an unresolved alias in a scenario is an InputError, not a ReferenceError stack trace", async () => {
    const f = put("name: a\nseed: *nope\n");
    expectInputError(await run(f), "s.yaml", /alias/i);
  });

  it("a billion-laughs alias bomb is refused quickly", async () => {
    const rows = ["a: &a [x,x,x,x,x,x,x,x,x,x]"];
    for (const [p, q] of ["ab", "bc", "cd", "de", "ef", "fg"])
      rows.push(`${q}: &${q} [${`*${p},`.repeat(9)}*${p}]`);
    const f = put(`${rows.join("\n")}\nname: x\n`);
    const t0 = performance.now();
    expectInputError(await run(f), "s.yaml", /alias/i);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("compare -r 1000000000 is refused up front with the cap", async () => {
    const f = json(clone());
    const r = await runCli(["compare", f, "-r", "1000000000", "--out", join(f, "..", "o"), "-q"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--replications");
    expect(r.stderr).toContain(String(MAX_REPLICATIONS));
  });
});

describe("#27 item 2: every input that sizes work is bounded", () => {
  it("rate_per_s: 1e-300 is rejected (it made the simulator spin)", async () => {
    const s = clone();
    (s.traffic as Obj).arrivals = { process: "poisson", rate_per_s: 1e-300 };
    expectInputError(await run(json(s)), "s.json", "traffic.arrivals.rate_per_s");
  });

  it("trace rate_scale: 1e9 is rejected", async () => {
    const d = put("t,p,c\n0,10,10\n1,10,10\n", "t.csv");
    const s = clone();
    s.traffic = {
      model: "m",
      trace: {
        path: d,
        format: "csv",
        rate_scale: 1e9,
        columns: { time: "t", prompt: "p", completion: "c" },
      },
    };
    expectInputError(await run(json(s)), "s.json", "traffic.trace.rate_scale");
  });

  it("a 1000×1000 --set grid is refused before any point is built or validated", async () => {
    const f = json(clone());
    const values = Array.from({ length: 1000 }, (_, i) => i + 1).join(",");
    const t0 = performance.now();
    const r = await runCli([
      "sweep",
      f,
      "--set",
      `providers[0].price.prompt=${values}`,
      "--set",
      `providers[1].price.prompt=${values}`,
      "--shard",
      "1/1000000",
      "--out",
      join(f, "..", "o"),
      "-q",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--set");
    expect(r.stderr).toContain(String(MAX_GRID_POINTS));
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it("library requests: NaN is an InputError, not an endless loop", () => {
    const e = thrown(() => scenarioFromObject(clone(), { requests: Number.NaN }));
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toContain("overrides.requests");
  });

  it("provider count and retries are capped", () => {
    const s = clone();
    s.providers = Array.from({ length: 10_001 }, (_, i) => ({
      name: `p${i}`,
      model: "m",
      price: { prompt: 1, completion: 1 },
    }));
    expect((thrown(() => scenarioFromObject(s)) as Error).message).toContain("providers");
    const t = clone();
    t.policies = [{ name: "x", router: { max_attempts: 1e6 } }];
    expect((thrown(() => scenarioFromObject(t)) as Error).message).toContain(
      "policies[0].router.max_attempts",
    );
  });

  it("gateway retry counts are capped: LiteLLM num_retries 1e9 used to end in a stack trace", async () => {
    const s = clone();
    (s.providers as Obj[])[0].error_rate = 1;
    s.policies = [
      {
        name: "l",
        kind: "litellm",
        options: {
          model_list: [{ model_name: "m", litellm_params: { model: "alpha/m" } }],
          router_settings: { num_retries: 1e9 },
        },
      },
    ];
    expectInputError(await run(json(s)), "s.json", "policies[0].options.router_settings.num_retries");
    const t = clone();
    t.policies = [{ name: "rr", kind: "round_robin", options: { retry: { max_retries: 1e9 } } }];
    expectInputError(await run(json(t)), "s.json", "policies[0].options.retry.max_retries");
  });

  it("a schedule that stays near 0 for ages ends with an error instead of thinning forever", async () => {
    const s = clone();
    // About 100 requests arrive in the first 0.1 ms; the rest would need ~10¹² thinned candidates each.
    (s.traffic as Obj).requests = 1000;
    (s.traffic as Obj).arrivals = {
      process: "poisson",
      rate_per_s: 1e6,
      schedule: {
        kind: "piecewise",
        points: [
          { at_s: 0, rate_per_s: 1e6 },
          { at_s: 0.0001, rate_per_s: 1e-6 },
        ],
      },
    };
    const t0 = performance.now();
    expectInputError(await run(json(s)), "s.json", "traffic.arrivals.schedule");
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe("#27 item 3: accepted nonsense is rejected, never null in a number slot", () => {
  it("price.prompt: 1e308 and prompt_tokens.median: 1e308 are rejected", async () => {
    const s = clone();
    (s.providers as Obj[])[0].price = { prompt: 1e308, completion: 1 };
    expectInputError(await run(json(s)), "s.json", "providers[0].price.prompt");
    const t = clone();
    (t.traffic as Obj).prompt_tokens = { dist: "lognormal", median: 1e308, sigma: 1 };
    expectInputError(await run(json(t)), "s.json", "traffic.prompt_tokens");
  });

  it("an empty or header-only trace, or one whose rows are all skipped, is not a successful 0-request run", async () => {
    for (const text of ["", "t,p,c\n", "t,p,c\nx,y,z\nq,r,s\n"]) {
      const d = put(text, "t.csv");
      const s = clone();
      s.traffic = {
        model: "m",
        trace: {
          path: d,
          format: "csv",
          on_bad_row: "skip",
          columns: { time: "t", prompt: "p", completion: "c" },
        },
      };
      const r = await run(json(s));
      expect(r.code, JSON.stringify(text)).toBe(2);
      expect(r.stderr).toMatch(/traffic\.trace|line 1/);
    }
  });

  it("trace start_s past the end is rejected", async () => {
    const d = put("t,p,c\n0,10,10\n5,10,10\n", "t.csv");
    const s = clone();
    s.traffic = {
      model: "m",
      trace: { path: d, format: "csv", start_s: 1000, columns: { time: "t", prompt: "p", completion: "c" } },
    };
    expectInputError(await run(json(s)), "s.json", "traffic.trace");
  });

  it("duration_s: 0.001 with no arrival in it is rejected", async () => {
    const s = clone();
    (s.traffic as Obj).requests = undefined;
    (s.traffic as Obj).arrivals = { process: "poisson", rate_per_s: 0.01 };
    (s.traffic as Obj).duration_s = 0.001;
    expectInputError(await run(json(s)), "s.json", "traffic.duration_s");
  });

  it("tokens_per_s: 0 is rejected", async () => {
    const s = clone();
    (s.providers as Obj[])[0].tokens_per_s = 0;
    expectInputError(await run(json(s)), "s.json", "providers[0].tokens_per_s");
  });

  it("trace token counts of 1e308 are bad rows, not integers", async () => {
    const d = put("t,p,c\n0,1e308,10\n", "t.csv");
    const s = clone();
    s.traffic = {
      model: "m",
      trace: { path: d, format: "csv", columns: { time: "t", prompt: "p", completion: "c" } },
    };
    expectInputError(await run(json(s)), "t.csv", "line 2");
  });

  it("a trailing comma in a JSON scenario is malformed JSON with a line number", async () => {
    const f = put(`${JSON.stringify(clone(), null, 2).replace(/\n}$/, ",\n}")}`, "s.json");
    expectInputError(await run(f), "s.json", /line \d+/);
  });

  it('--policies "" is an error, not "all"', async () => {
    const f = json(clone());
    const r = await run(f, "--policies", "");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--policies");
    const c = await runCli(["compare", f, "--policies", " , ", "--out", join(f, "..", "o"), "-q"]);
    expect(c.code).toBe(2);
  });

  it("compare -r 1 is refused: it cannot give a confidence interval (it wrote null CIs)", async () => {
    const f = json(clone());
    const r = await runCli(["compare", f, "-r", "1", "--out", join(f, "..", "o"), "-q"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--replications");
    await expect(
      compare({ source: { kind: "file", path: f }, replications: 1, jobs: 1, outDir: null }),
    ).rejects.toBeInstanceOf(InputError);
  });
});

describe("#27 item 9: trace ordering", () => {
  it("a row more out of order than reorder_window_ms is rejected with its line even before anything was replayed", async () => {
    // Rows 0 s, 0.5 s, then −100 s: the window (1 s) still holds the first rows, so nothing has been
    // replayed when the late row arrives; it used to become the first and shift the whole trace.
    const d = put("t,p,c\n0,10,10\n0.5,10,10\n-100,10,10\n1,10,10\n", "t.csv");
    const s = clone();
    s.traffic = {
      model: "m",
      trace: { path: d, format: "csv", columns: { time: "t", prompt: "p", completion: "c" } },
    };
    expectInputError(await run(json(s)), "t.csv", "line 4");
  });
});

describe("#27 item 10: library API guards throw the typed InputError", () => {
  it("requests -5 / 2.5 and seed 'x' are rejected like the CLI's flags", () => {
    for (const o of [{ requests: -5 }, { requests: 2.5 }, { seed: "x" as unknown as number }]) {
      expect(thrown(() => scenarioFromObject(clone(), o))).toBeInstanceOf(InputError);
      expect(thrown(() => loadScenario(json(clone()), o))).toBeInstanceOf(InputError);
    }
  });

  it("compileDist(-5 | NaN | junk) is an InputError", () => {
    for (const d of [-5, Number.NaN, { dist: "weibull" }, null])
      expect(thrown(() => compileDist(d as never))).toBeInstanceOf(InputError);
    expect(compileDist(3).mean).toBe(3);
  });

  it("compare({replications: 2.5}) is an InputError, not a RangeError", async () => {
    const f = json(clone());
    await expect(
      compare({ source: { kind: "file", path: f }, replications: 2.5, jobs: 1, outDir: null }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(compare({} as never)).rejects.toBeInstanceOf(InputError);
  });

  it("registerPolicyKind('openrouter', null) is refused and later runs still work", () => {
    expect(thrown(() => registerPolicyKind("openrouter", null as never))).toBeInstanceOf(InputError);
    const { summary } = simulate(scenarioFromObject(clone()));
    expect(summary.policies[0].requests).toBe(50);
  });

  it("loadScenario(undefined) and simulate({}) throw InputError, not TypeError", () => {
    expect(thrown(() => loadScenario(undefined as never))).toBeInstanceOf(InputError);
    expect(thrown(() => simulate({} as never))).toBeInstanceOf(InputError);
  });
});

describe("#27 item 11: smaller input problems", () => {
  it("a trace path that is a directory says so, not 'not found'", async () => {
    const s = clone();
    s.traffic = {
      model: "m",
      trace: { path: dir, format: "csv", columns: { time: "t", prompt: "p", completion: "c" } },
    };
    const r = await run(json(s));
    expectInputError(r, "s.json", "traffic.trace.path");
    expect(r.stderr).not.toContain("not found");
    expect(r.stderr).toContain("directory");
  });

  it("an error quoting a foreign file shows a short, printable snippet only", async () => {
    const foreign = put(`root:x:0:0:root:/root:/bin/bash\u0007${"secret-".repeat(10)}\n`, "passwd");
    const s = clone();
    s.policies = [{ name: "l", litellm: foreign }];
    const r = await run(json(s));
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("secret-secret");
    expect(r.stderr).not.toContain("\u0007");
  });

  it("a YAMLWarning does not leak as (node:PID) before the clean error", async () => {
    const lite = put("model_list: !foo\n  - model_name: m\n", "lite.yaml");
    const s = clone();
    s.policies = [{ name: "l", litellm: lite }];
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const r = await run(json(s));
      await new Promise((done) => setTimeout(done, 10)); // warnings are emitted on the next tick
      expect(r.code).toBe(2);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("YAMLWarning");
  });
});
