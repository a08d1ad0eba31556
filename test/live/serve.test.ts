/**
 * `routesim serve` without a gateway: the mocks speak OpenAI's HTTP API and play out the
 * simulator's provider model (its draws, rate limits, queue, outages, cuts) on a scaled wall clock.
 * Everything listens on 127.0.0.1 and is closed by the test that opened it.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { drive } from "../../src/live/drive.js";
import { type MockServer, startServe } from "../../src/live/serve.js";
import { readRequests } from "../../src/live/validate.js";
import { type LoadedScenario, loadScenario, scenarioFromObject } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";

const ROOT = resolve(import.meta.dirname, "../..");
const MODEL = "meta-llama/llama-3.3-70b-instruct";

function provider(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    model: MODEL,
    price: { prompt: 0.5, completion: 0.7 },
    ttft_ms: 100,
    tokens_per_s: 400,
    ...extra,
  };
}

const inputs = new WeakMap<LoadedScenario, unknown>();
const loadedInput = (l: LoadedScenario) => inputs.get(l);

function scenario(providers: unknown[], extra: Record<string, unknown> = {}): LoadedScenario {
  const input = {
    name: "live-serve-test",
    seed: 3,
    traffic: {
      arrivals: { process: "uniform", rate_per_s: 50 },
      requests: 40,
      prompt_tokens: 100,
      completion_tokens: 40,
      model: MODEL,
    },
    providers,
    policies: [
      {
        name: "direct",
        kind: "portkey",
        portkey_build: "npm",
        options: { provider: (providers[0] as { name: string }).name, api_key: "sk-x" },
      },
    ],
    ...extra,
  };
  const loaded = scenarioFromObject(input);
  inputs.set(loaded, input);
  return loaded;
}

const servers: MockServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function serve(loaded: LoadedScenario, timeScale = 1): Promise<MockServer> {
  const s = await startServe({ loaded, timeScale, lifetimeS: 60 });
  servers.push(s);
  return s;
}

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "routesim-live-"));
  dirs.push(d);
  return d;
}

async function call(base: string, body: Record<string, unknown>, signal?: AbortSignal) {
  const t0 = performance.now();
  const r = await fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [], ...body }),
    signal,
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, ms: performance.now() - t0 };
}

describe("routesim serve", () => {
  it("gives each request the simulator's draws: live statuses match `run` row for row (common random numbers)", async () => {
    const loaded = scenario([
      provider("alpha", { error_rate: 0.4, error_mix: { "503": 1 }, error_latency_ms: 5 }),
    ]);
    const mock = await serve(loaded);
    const out = join(tmp(), "live");
    // No gateway: the client talks to the mock directly, as the `direct` policy does in simulation.
    await drive({
      loaded,
      policy: loaded.scenario.policies[0],
      gateway: mock.ports.providers[0].baseUrl,
      headers: {},
      portkeyHeader: false,
      mock: mock.ports,
      timeScale: 1,
      warmup: 3,
      outDir: out,
    });
    const sim = join(tmp(), "sim");
    simulate(loaded, { outDir: sim });
    const byId = (dir: string) =>
      readRequests(dir)
        .sort((a, b) => a.id - b.id)
        .map((r) => r.status);
    const live = byId(out);
    const simulated = byId(sim);
    expect(live).toHaveLength(40);
    expect(live.filter((s) => s === 503).length).toBeGreaterThan(5);
    expect(live).toEqual(simulated);
    const journal = mock.journal();
    expect(journal).toHaveLength(40); // warm-up calls belong to epoch 0, not to the results
    expect(journal.every((j) => j.epoch === 1 && j.attempt === 1 && j.try === 0)).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.policies[0].requests).toBe(40);
    expect(existsSync(join(out, "report.md"))).toBe(true);
  });

  it("streams SSE with several tokens per event, a usage chunk and [DONE], on the scaled clock", async () => {
    const loaded = scenario([provider("alpha", { ttft_ms: 400, tokens_per_s: 200 })]);
    const mock = await serve(loaded, 4);
    const r = await call(mock.ports.providers[0].baseUrl, { user: "rs-0", stream: true });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/event-stream");
    const events = r.text.split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    const usage = chunks.at(-1).usage;
    expect(usage.completion_tokens).toBe(40);
    const contents = chunks.map((c) => c.choices[0]?.delta?.content ?? "").filter(Boolean);
    expect(contents.length).toBeGreaterThan(1);
    expect(contents.length).toBeLessThan(40); // several tokens per event
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    // 400 ms to first token + 200 ms of decoding in scenario time is 150 ms of wall time at 4×.
    expect(r.ms).toBeGreaterThan(120);
    expect(r.ms).toBeLessThan(400);
    const [j] = mock.journal();
    expect(j.ttft_ms).toBeGreaterThan(380);
    expect(j.ttft_ms).toBeLessThan(600);
  });

  it("answers a rate-limited call with 429, retry-after and retry-after-ms (scaled)", async () => {
    const loaded = scenario([provider("alpha", { rate_limit: { rpm: 6, burst: 1 } })]);
    const mock = await serve(loaded, 2);
    const base = mock.ports.providers[0].baseUrl;
    const first = await call(base, { user: "rs-0" });
    const second = await call(base, { user: "rs-1" });
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    // One token per 10 s refills; the hint is in scenario seconds, halved on the wire at 2×.
    const ms = Number(second.headers.get("retry-after-ms"));
    expect(ms).toBeGreaterThan(4000);
    expect(ms).toBeLessThanOrEqual(5000);
    expect(Number(second.headers.get("retry-after"))).toBe(Math.ceil(ms / 1000));
    expect(mock.journal()[1]).toMatchObject({ status: 429, error: "rate_limited", attempt: 1 });
  });

  it("serves one call at a time with concurrency 1, the rest waiting in FIFO order", async () => {
    const loaded = scenario([provider("alpha", { concurrency: 1, ttft_ms: 100, tokens_per_s: 400 })]);
    const mock = await serve(loaded);
    const base = mock.ports.providers[0].baseUrl;
    const done: string[] = [];
    const one = (id: string) =>
      call(base, { user: id }).then((r) => {
        done.push(id);
        return r;
      });
    const t0 = performance.now();
    await Promise.all([one("rs-0"), one("rs-1"), one("rs-2")]);
    // Each takes 100 ms + 40 tokens at 400/s = 200 ms; served one after another.
    expect(performance.now() - t0).toBeGreaterThan(550);
    expect(done).toEqual(["rs-0", "rs-1", "rs-2"]);
  });

  it("fails calls during a scheduled outage on the scenario's clock, and serves after it", async () => {
    const loaded = scenario([
      provider("alpha", { outages: [{ start_s: 0, duration_s: 2, error_rate: 1, status: 503 }] }),
    ]);
    const mock = await serve(loaded, 10); // the 2 s outage lasts 200 ms of wall time
    const base = mock.ports.providers[0].baseUrl;
    expect((await call(base, { user: "rs-0" })).status).toBe(503);
    await new Promise((ok) => setTimeout(ok, 250));
    expect((await call(base, { user: "rs-1" })).status).toBe(200);
    expect(mock.journal()[0]).toMatchObject({ status: 503, error: "outage" });
  });

  it("cuts a stream after its first token (mid-stream failure), and journals it", async () => {
    const loaded = scenario([provider("alpha", { midstream_error_rate: 1 })]);
    const mock = await serve(loaded);
    await expect(call(mock.ports.providers[0].baseUrl, { user: "rs-0", stream: true })).rejects.toThrow();
    await new Promise((ok) => setTimeout(ok, 50));
    expect(mock.journal()[0]).toMatchObject({ outcome: "cut", status: 500, error: "mid_stream" });
  });

  it("holds a hung call (timeout in the error mix) until the client gives up, journaled as client_closed", async () => {
    const loaded = scenario([provider("alpha", { error_rate: 1, error_mix: { timeout: 1 } })]);
    const mock = await serve(loaded);
    const t0 = performance.now();
    await expect(
      call(mock.ports.providers[0].baseUrl, { user: "rs-0" }, AbortSignal.timeout(300)),
    ).rejects.toThrow();
    expect(performance.now() - t0).toBeGreaterThan(250);
    await new Promise((ok) => setTimeout(ok, 50));
    expect(mock.journal()[0]).toMatchObject({ outcome: "client_closed", ttft_ms: null });
  });

  it("the CLI writes a ports file and journal, and exits cleanly on SIGTERM", async () => {
    const dir = tmp();
    const ports = join(dir, "ports.json");
    const journal = join(dir, "journal.jsonl");
    const script = `import("${join(ROOT, "src/cli/main.ts")}").then(async (m) => { process.exitCode = await m.main(process.argv.slice(1)); })`;
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        script,
        "serve",
        join(ROOT, "scenarios/live/portkey-basic.yaml"),
        "--ports-file",
        ports,
        "--journal",
        journal,
        "--lifetime-s",
        "30",
        "-q",
      ],
      { cwd: ROOT, stdio: "ignore" },
    );
    const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
    try {
      for (let i = 0; i < 100 && !existsSync(ports); i++) await new Promise((ok) => setTimeout(ok, 100));
      const p = JSON.parse(readFileSync(ports, "utf8"));
      expect(p.providers.map((x: { tag: string }) => x.tag)).toEqual(["alpha", "beta", "gamma"]);
      expect(p.host).toBe("127.0.0.1");
      const r = await call(p.providers[2].baseUrl, { user: "rs-0" });
      expect(r.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      const lines = readFileSync(journal, "utf8").trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({ provider: "gamma", request: "rs-0", outcome: "complete" });
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("the drive CLI replays through a gateway URL into run-style results (here the mock itself)", async () => {
    const loaded = scenario([provider("alpha")]);
    const file = join(tmp(), "scenario.json");
    writeFileSync(file, JSON.stringify(loadedInput(loaded)));
    const mock = await serve(loadScenario(file));
    const ports = join(tmp(), "ports.json");
    writeFileSync(ports, JSON.stringify(mock.ports));
    const out = join(tmp(), "out");
    const code = await main([
      "drive",
      file,
      "--gateway",
      mock.ports.providers[0].baseUrl,
      "--mock-ports",
      ports,
      "--requests",
      "10",
      "--warmup",
      "2",
      "--header",
      "x-extra: 1",
      "--out",
      out,
      "-q",
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.policies[0]).toMatchObject({ name: "direct", requests: 10, succeeded: 10 });
    expect(JSON.parse(readFileSync(join(out, "live.json"), "utf8"))).toMatchObject({
      requests: 10,
      journalEntries: 10,
    });
    expect(readFileSync(join(out, "attempts.csv"), "utf8").trim().split("\n")).toHaveLength(11);
    // Live mode stays on this machine.
    const remote = await main([
      "drive",
      file,
      "--gateway",
      "http://10.1.2.3:8787/v1",
      "--mock-ports",
      ports,
      "--out",
      join(tmp(), "x"),
      "-q",
    ]);
    expect(remote).toBe(2);
  });

  it("stops by itself at the end of its lifetime", async () => {
    const s = await startServe({ loaded: scenario([provider("alpha")]), timeScale: 1, lifetimeS: 0.2 });
    servers.push(s);
    const t0 = performance.now();
    await s.closed;
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(fetch(`${s.ports.providers[0].baseUrl}/models`)).rejects.toThrow();
  });
});
