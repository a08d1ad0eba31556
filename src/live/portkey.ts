/**
 * The real Portkey gateway (npm `@portkey-ai/gateway` 1.15.2) in live mode: finding and starting it
 * on loopback with the two preloads it needs here, and turning a scenario's `kind: portkey` config
 * into the `x-portkey-config` header that sends each target to its mock provider.
 * Facts (binding, streaming breakage, readiness): ../shared/spec/live-gateways.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { matchEndpoint } from "../policies/gateway/endpoints.js";
import { configSource } from "../policies/gateway/files.js";
import { buildCatalog } from "../providers/catalog.js";
import { InputError } from "../scenario/errors.js";
import type { LoadedScenario } from "../scenario/load.js";
import type { PolicySpec } from "../scenario/schema.js";
import { PORTKEY_ENV, PORTKEY_PACKAGE, PORTKEY_VERSION } from "./portkey-pin.js";
import { logTail, sleep, watchChild } from "./process.js";
import { LOOPBACK, type MockPorts } from "./serve.js";

export { PORTKEY_ENV, PORTKEY_PACKAGE, PORTKEY_VERSION };

/** The gateway's start script, or why it cannot be found (callers skip with that message). */
export function resolvePortkey(from = process.cwd()): { entry: string } | { missing: string } {
  const env = process.env[PORTKEY_ENV];
  if (env) return existsSync(env) ? { entry: env } : { missing: `${PORTKEY_ENV}=${env} does not exist` };
  try {
    const pkg = createRequire(join(from, "noop.js")).resolve(`${PORTKEY_PACKAGE}/package.json`);
    const version = (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
    if (version !== PORTKEY_VERSION)
      return { missing: `${PORTKEY_PACKAGE} ${version} is installed; live checks pin ${PORTKEY_VERSION}` };
    const entry = join(dirname(pkg), "build", "start-server.js");
    return existsSync(entry) ? { entry } : { missing: `${entry} is missing` };
  } catch {
    return {
      missing: `${PORTKEY_PACKAGE} is not installed (npm install ${PORTKEY_PACKAGE}@${PORTKEY_VERSION}, or set ${PORTKEY_ENV})`,
    };
  }
}

// Node's `serve` is called without a host, so the gateway would listen on every interface.
const LOOPBACK_PRELOAD = `import net from "node:net";
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" || (typeof args[0] === "string" && /^\\d+$/.test(args[0]))) {
    const cb = args.find((a) => typeof a === "function");
    return listen.call(this, { port: Number(args[0]), host: "127.0.0.1" }, cb);
  }
  if (args[0] && typeof args[0] === "object" && "port" in args[0]) args[0] = { ...args[0], host: "127.0.0.1" };
  return listen.apply(this, args);
};
`;

// The gateway appends to the upstream Response's immutable Headers (TypeError: immutable on every
// stream): hand it a Response with fresh, mutable headers; the body still streams.
const FETCH_PRELOAD = `const original = globalThis.fetch;
globalThis.fetch = async (...args) => {
  const r = await original(...args);
  const body = r.status === 204 || r.status === 304 ? null : r.body;
  return new Response(body, { status: r.status, statusText: r.statusText, headers: new Headers(r.headers) });
};
`;

// Compresses the gateway's own timers (retry backoff, Retry-After waits, request_timeout, its
// fixed stream delay) by the time scale, so that it lives on the scenario's clock like the mocks.
const timersPreload = (k: number) => `const k = ${k};
const original = globalThis.setTimeout;
globalThis.setTimeout = function (fn, ms, ...args) {
  return original(fn, (Number(ms) || 0) / k, ...args);
};
`;

export async function freePort(): Promise<number> {
  return new Promise((ok, bad) => {
    const s = createServer();
    s.once("error", bad);
    s.listen(0, LOOPBACK, () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

export interface RunningGateway {
  /** OpenAI-style base URL, e.g. http://127.0.0.1:8787/v1. */
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Starts the gateway on 127.0.0.1 and waits (at most `readyTimeoutMs`) until it answers. */
export async function startPortkey(
  entry: string,
  opts: {
    port?: number;
    readyTimeoutMs?: number;
    logFile?: string;
    /** Divide the gateway's setTimeout delays by this (serve with gatewayClock "scaled"). */
    timeScale?: number;
  } = {},
): Promise<RunningGateway> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "routesim-portkey-"));
  const loopback = join(dir, "loopback.mjs");
  const fetchFix = join(dir, "fetch-fix.mjs");
  writeFileSync(loopback, LOOPBACK_PRELOAD);
  writeFileSync(fetchFix, FETCH_PRELOAD);
  const timers = join(dir, "timers.mjs");
  const scale = opts.timeScale ?? 1;
  if (scale !== 1) writeFileSync(timers, timersPreload(scale));
  const preloads = [loopback, fetchFix, ...(scale !== 1 ? [timers] : [])].flatMap((f) => [
    "--import",
    pathToFileURL(f).href,
  ]);
  const logFile = opts.logFile ?? join(dir, "gateway.log");
  const log = openSync(logFile, "w");
  const child: ChildProcess = spawn(process.execPath, [...preloads, entry, `--port=${port}`, "--headless"], {
    stdio: ["ignore", log, log],
    env: { ...process.env, NODE_ENV: "production" },
  });
  closeSync(log);
  const watched = watchChild(child);
  const stop = async (): Promise<void> => {
    await watched.stop(3000);
    if (opts.logFile === undefined) rmSync(dir, { recursive: true, force: true });
    else for (const f of [loopback, fetchFix, timers]) rmSync(f, { force: true });
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  try {
    while (true) {
      if (watched.exited())
        throw new Error(`the Portkey gateway exited before it was ready:\n${logTail(logFile, "(no log)")}`);
      try {
        const r = await fetch(`http://${LOOPBACK}:${port}/`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(
          `the Portkey gateway did not answer on port ${port}:\n${logTail(logFile, "(no log)")}`,
        );
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `http://${LOOPBACK}:${port}/v1`, pid: child.pid ?? 0, logFile, stop };
}

type Json = Record<string, unknown>;

/**
 * A `kind: portkey` policy's config (file or inline options; or `data`) with every leaf sent to its
 * mock: `provider: openai`, `custom_host` the mock's base URL (loopback hosts are trusted by
 * default), and `request_timeout` divided by the time scale when the gateway runs on wall time.
 */
export function portkeyLiveConfig(
  loaded: LoadedScenario,
  spec: PolicySpec,
  mock: MockPorts,
  data?: unknown,
): Json {
  const timeScale = mock.gatewayClock === "scaled" ? 1 : mock.timeScale;
  const catalog = buildCatalog(loaded.scenario.providers);
  const index = loaded.scenario.policies.indexOf(spec);
  const ctx = {
    catalog,
    scenario: loaded.scenario,
    baseDir: loaded.baseDir,
    file: loaded.file,
    path: `policies[${index}]`,
  };
  const src = data === undefined ? configSource(spec, ctx, "portkey") : { data, file: loaded.file, base: "" };
  const defaultModel = spec.request.model ?? loaded.scenario.traffic.model;
  const get = (n: Json, snake: string, camel: string) => n[snake] ?? n[camel];
  const walk = (n: Json, path: string, model: string | undefined): Json => {
    const out: Json = { ...n };
    const params = get(n, "override_params", "overrideParams") as Json | undefined;
    const m = typeof params?.model === "string" ? params.model : model;
    for (const k of ["request_timeout", "requestTimeout"])
      if (typeof out[k] === "number") out[k] = Math.max(1, Math.round((out[k] as number) / timeScale));
    const targets = n.targets;
    if (Array.isArray(targets)) {
      out.targets = targets.map((t, i) => walk(t as Json, `${path}targets[${i}].`, m));
      return out;
    }
    if (typeof n.provider !== "string") return out;
    const hit = matchEndpoint(catalog, n.provider, m);
    if (!hit.ok)
      throw new InputError(src.file, [
        { path: `${src.base}${src.base ? "." : ""}${path}provider`, message: hit.message },
      ]);
    const port = mock.providers.find((p) => p.tag === hit.endpoint.tag);
    if (!port) throw new Error(`the mock ports file has no provider ${hit.endpoint.tag}`);
    for (const k of ["virtual_key", "virtualKey", "customHost", "api_key", "apiKey"]) delete out[k];
    return { ...out, provider: "openai", api_key: "sk-routesim-mock", custom_host: port.baseUrl };
  };
  return walk(src.data as Json, "", defaultModel);
}
