/**
 * `routesim validate <scenario> --live <dir>` (issue 20 item 3) on a live folder that `drive` wrote
 * with the mock itself as the "gateway": the policy it models agrees; another policy of the same
 * scenario disagrees and exits 1; bad folders and policy names exit 2. The same live folder then
 * goes through `report`, `diff` and `compare --from` (batch means of one run, item 2).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startServe } from "../../src/live/serve.js";
import { loadScenario } from "../../src/scenario/load.js";
import { runCli } from "../support/cli.js";

const MODEL = "meta-llama/llama-3.3-70b-instruct";
const dir = mkdtempSync(join(tmpdir(), "routesim-validate-"));
const file = join(dir, "scenario.json");
const live = join(dir, "live");
let mock: MockServer;

const portkeyTo = (name: string, provider: string) => ({
  name,
  kind: "portkey",
  portkey_build: "npm",
  options: { provider, api_key: "sk-x" },
});

beforeAll(async () => {
  const provider = (name: string, ttft_ms: number, errorRate: number) => ({
    name,
    model: MODEL,
    price: { prompt: 0.5, completion: 0.7 },
    ttft_ms,
    tokens_per_s: 400,
    error_rate: errorRate,
    error_mix: { "503": 1 },
  });
  writeFileSync(
    file,
    JSON.stringify({
      name: "validate-cli",
      seed: 5,
      traffic: {
        arrivals: { process: "uniform", rate_per_s: 60 },
        requests: 150,
        prompt_tokens: 100,
        completion_tokens: 40,
        model: MODEL,
      },
      providers: [provider("alpha", 60, 0.1), provider("beta", 400, 0.4)],
      policies: [portkeyTo("to-alpha", "alpha"), portkeyTo("to-beta", "beta")],
    }),
  );
  mock = await startServe({ loaded: loadScenario(file), timeScale: 1, lifetimeS: 60 });
  const ports = join(dir, "ports.json");
  writeFileSync(ports, JSON.stringify(mock.ports));
  // alpha's mock stands in for a gateway that sends everything to alpha, as policy to-alpha does.
  const alpha = mock.ports.providers.find((p) => p.tag === "alpha")!;
  const r = await runCli([
    "drive",
    file,
    "--gateway",
    alpha.baseUrl,
    "--mock-ports",
    ports,
    "--policy",
    "to-alpha",
    "--warmup",
    "0",
    "--out",
    live,
    "-q",
  ]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
}, 30_000);

afterAll(async () => {
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("routesim validate", () => {
  it("agrees with the policy the live folder names, and writes validation.md and .json", async () => {
    const r = await runCli(["validate", file, "--live", live]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^### validate-cli · to-alpha \(1×\)/);
    expect(r.stdout).toMatch(/\| status 503 \| .* \| agree \|/);
    expect(r.stdout).toMatch(/\| attempt status 503 \|/);
    expect(r.stdout).toMatch(/agree on all \d+ metrics\n$/);
    expect(readFileSync(join(live, "validation.md"), "utf8")).toContain("| providerShare alpha |");
    const v = JSON.parse(readFileSync(join(live, "validation.json"), "utf8"));
    expect(v).toMatchObject({ policy: "to-alpha", liveLabel: "to-alpha", timeScale: 1, agree: true });
    expect(existsSync(join(live, "sim", "requests.csv"))).toBe(true);
  });

  it("disagrees with another policy of the scenario (exit 1), naming the metrics", async () => {
    const r = await runCli(["validate", file, "--live", live, "--policy", "to-beta", "-q"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^DISAGREE on \d+ of \d+ metrics: .*successRate.*providerShare alpha/);
    expect(JSON.parse(readFileSync(join(live, "validation.json"), "utf8")).agree).toBe(false);
  });

  it("a reused --sim folder gives the same verdicts; --json prints the checks", async () => {
    await runCli(["validate", file, "--live", live, "-q"]);
    const again = await runCli(["validate", file, "--live", live, "--sim", join(live, "sim"), "--json"]);
    expect(again.code).toBe(0);
    const checks = JSON.parse(again.stdout.slice(0, again.stdout.lastIndexOf("agree on")));
    expect(checks.map((c: { metric: string }) => c.metric)).toContain("attemptsPerRequest");
  });

  it("bad input exits 2 naming what is wrong", async () => {
    const notLive = await runCli(["validate", file, "--live", dir]);
    expect(notLive.code).toBe(2);
    expect(notLive.stderr).toMatch(/live\.json: missing: not a live results folder/);
    const noPolicy = await runCli(["validate", file, "--live", live, "--policy", "nope"]);
    expect(noPolicy.code).toBe(2);
    expect(noPolicy.stderr).toMatch(/no policy named "nope".*to-alpha, to-beta/);
    const badZ = await runCli(["validate", file, "--live", live, "--z", "-1"]);
    expect(badZ.code).toBe(2);
    expect(badZ.stderr).toMatch(/--z expects a positive number/);
  });
});

describe("report, diff and compare --from on a live folder", () => {
  const sim = join(dir, "sim-to-alpha");

  it("drive's report.md has the live section and batch intervals; report adds report.html", async () => {
    expect(readFileSync(join(live, "report.md"), "utf8")).toMatch(
      /## Live run[\s\S]*## Intervals \(batch means\)/,
    );
    const r = await runCli(["report", live, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(live, "report.md"), "utf8")).toContain("5 consecutive batches of about 30");
    expect(readFileSync(join(live, "report.html"), "utf8")).toContain("<svg");
  });

  it("diff of the simulation and the live run: paired by batch, no regression within 5 pp", async () => {
    expect((await runCli(["run", file, "--policies", "to-alpha", "--out", sim, "-q"])).code).toBe(0);
    const r = await runCli(["diff", sim, live, "--tolerance", "0.05"]);
    expect(r.stdout).toContain("paired by batch (same requests)");
    expect(r.stdout).toMatch(/to-alpha\s+successRate/);
    expect(r.code, r.stdout).toBe(0);
  });

  it("compare --from names where each policy came from", async () => {
    const out = join(dir, "from");
    const r = await runCli(["compare", "--from", live, sim, "--out", out, "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, "compare.json"), "utf8"));
    expect(meta.policies).toEqual(["to-alpha (live)", "to-alpha (sim)"]);
    expect(meta.batchMeans.sources.map((x: { kind: string }) => x.kind)).toEqual(["live", "simulated"]);
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(
      /\*\*to-alpha \(live\)\*\*: live through http:\/\/127\.0\.0\.1:\d+/,
    );
  });
});
