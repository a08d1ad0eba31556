/**
 * `routesim calibrate --from <log>` (issue 26): generated logs with known parameters in each format
 * (LiteLLM spend logs, OpenRouter generations, OTLP GenAI spans) are calibrated back to those
 * parameters, the written scenario replays the log, the held-out part is predicted within
 * tolerance, and nothing private is copied out.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../support/cli.js";
import {
  generateCalls,
  MODEL,
  openRouterGenerations,
  otlpExport,
  spendLogRow,
  spendLogsCsv,
  TRUTH,
} from "../support/logs.js";

const dir = mkdtempSync(join(tmpdir(), "routesim-logs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const calls = generateCalls();

const files = {
  litellm: () => {
    const f = join(dir, "spend.csv");
    writeFileSync(f, spendLogsCsv(calls));
    return f;
  },
  "litellm-json": () => {
    const f = join(dir, "spend.json");
    writeFileSync(f, JSON.stringify(calls.map(spendLogRow)));
    return f;
  },
  openrouter: () => {
    const f = join(dir, "generations.json");
    writeFileSync(f, JSON.stringify({ data: openRouterGenerations(calls) }));
    return f;
  },
  otel: () => {
    const f = join(dir, "spans.json");
    writeFileSync(f, JSON.stringify(otlpExport(calls)));
    return f;
  },
};

interface Provider {
  name: string;
  model: string;
  price: { prompt: number; completion: number };
  ttft_ms: { median: number; sigma: number };
  tokens_per_s: { median: number };
  error_rate: number;
  error_mix?: Record<string, number>;
  outages?: { start_s: number; duration_s: number; status: number }[];
}

async function calibrate(kind: keyof typeof files) {
  const from = files[kind]();
  const out = join(dir, kind, "s.yaml");
  const format = kind.startsWith("litellm") ? "litellm" : kind;
  const r = await runCli([
    "calibrate",
    "--from",
    from,
    "--format",
    format,
    "--out",
    out,
    "--fit",
    "lognormal",
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const scenario = parse(readFileSync(out, "utf8")) as { providers: Provider[]; policies: unknown[] };
  return { out, stdout: r.stdout, scenario, md: readFileSync(join(dir, kind, "s.calibration.md"), "utf8") };
}

const near = (x: number, truth: number, rel: number) => expect(Math.abs(x - truth) / truth).toBeLessThan(rel);

describe.each(["litellm", "litellm-json", "openrouter", "otel"] as const)("calibrate --from %s", (kind) => {
  it("recovers each provider's TTFT, decode speed, error rate and price", async () => {
    const { scenario, stdout } = await calibrate(kind);
    expect(scenario.providers.map((p) => p.name)).toEqual(["deepinfra", "together"]);
    for (const p of scenario.providers) {
      const t = TRUTH.find((x) => x.provider === p.name)!;
      expect(p.model).toBe(MODEL);
      // ~1100–1600 successes per provider in the fit part: medians to a few percent.
      near(p.ttft_ms.median, t.ttftMedianMs, 0.1);
      expect(Math.abs(p.ttft_ms.sigma - t.ttftSigma)).toBeLessThan(0.1);
      near(p.tokens_per_s.median, t.tokensPerS, 0.1);
      // Binomial sd of a 10 % rate over ~1100 calls is under 1 pp.
      expect(Math.abs(p.error_rate - t.errorRate)).toBeLessThan(0.03);
      near(p.price.prompt, t.prompt, 0.05);
      near(p.price.completion, t.completion, 0.05);
    }
    expect(stdout).toMatch(/held-out fidelity (\d+) of \1 metrics within tolerance/);
  });
});

describe("calibrate --from a LiteLLM log", () => {
  it("finds the outage as a window, keeps its 503s out of the base error mix", async () => {
    const { scenario } = await calibrate("litellm");
    const deepinfra = scenario.providers.find((p) => p.name === "deepinfra")!;
    expect(deepinfra.outages).toHaveLength(1);
    const w = deepinfra.outages![0];
    expect(w.status).toBe(503);
    // 60 s bins around the true 1200–1500 s window.
    expect(Math.abs(w.start_s - 1200)).toBeLessThanOrEqual(60);
    expect(Math.abs(w.start_s + w.duration_s - 1500)).toBeLessThanOrEqual(60);
    expect(deepinfra.error_mix).toEqual({ "429": 1 });
    expect(scenario.providers.find((p) => p.name === "together")!.outages).toBeUndefined();
  });

  it("writes a scenario that replays the log, the same bytes every time, and nothing private", async () => {
    const a = await calibrate("litellm");
    const first = readFileSync(a.out, "utf8");
    const firstMd = a.md;
    const b = await calibrate("litellm");
    expect(readFileSync(b.out, "utf8")).toBe(first);
    expect(b.md).toBe(firstMd);
    const folder = join(dir, "litellm");
    for (const f of readdirSync(folder)) {
      const text = readFileSync(join(folder, f), "utf8");
      expect(text).not.toContain("secret prompt");
      expect(text).not.toContain("alice@example.com");
      expect(text).not.toContain("88dc28d0");
    }
    // Observed vs fitted CDFs of TTFT and decode speed, and the held-out comparison.
    expect(readFileSync(join(folder, "s.calibration.html"), "utf8").match(/<svg/g)).toHaveLength(3);
    const trace = readFileSync(join(folder, "s.trace.csv"), "utf8").trim().split("\n");
    expect(trace).toHaveLength(calls.length + 1);
    const run = await runCli(["run", a.out, "--out", join(dir, "replay"), "-q"]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, "replay", "summary.json"), "utf8"));
    expect(summary.requests).toBe(calls.length);
  });

  it("a policy file replaces the as-logged one and is the one validated", async () => {
    const policy = join(dir, "policy.yaml");
    writeFileSync(
      policy,
      "name: only-together\nkind: weighted_random\noptions: { weights: { together: 1, deepinfra: 0 } }\n",
    );
    const out = join(dir, "with-policy", "s.yaml");
    const r = await runCli([
      "calibrate",
      "--from",
      files.litellm(),
      "--format",
      "litellm",
      "--out",
      out,
      "--policy",
      policy,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const md = readFileSync(join(dir, "with-policy", "s.calibration.md"), "utf8");
    expect(md).toContain("Policy **only-together**");
    // Sending everything to together is not what happened: the shares disagree.
    expect(md).toMatch(/\| provider share deepinfra \| 40\.\d+ % \| 0\.00 % \| .* \| \*\*no\*\* \|/);
  });

  it("bad input exits 2 naming the file and the row", async () => {
    const noFormat = await runCli([
      "calibrate",
      "--from",
      files.litellm(),
      "--out",
      join(dir, "x", "s.yaml"),
    ]);
    expect(noFormat.code).toBe(2);
    expect(noFormat.stderr).toMatch(/--format.*required for a file/);
    const noOut = await runCli(["calibrate", "--from", files.litellm(), "--format", "litellm"]);
    expect(noOut.code).toBe(2);
    const bad = join(dir, "bad.csv");
    const lines = spendLogsCsv(calls.slice(0, 5)).split("\n");
    lines[3] = lines[3].replace(/2026-11-03 09:0\d:\d\d\.\d+/, "yesterday");
    writeFileSync(bad, lines.join("\n"));
    const r = await runCli([
      "calibrate",
      "--from",
      bad,
      "--format",
      "litellm",
      "--out",
      join(dir, "y", "s.yaml"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.csv.*line 4\.startTime.*"yesterday"/s);
    const empty = join(dir, "empty.json");
    writeFileSync(empty, "[]");
    const e = await runCli([
      "calibrate",
      "--from",
      empty,
      "--format",
      "litellm",
      "--out",
      join(dir, "z", "s.yaml"),
    ]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain("no requests in the log");
  });
});
