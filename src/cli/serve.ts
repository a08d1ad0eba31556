/** `routesim serve <scenario>`: the scenario's mock providers as HTTP endpoints on 127.0.0.1 (src/live/serve.ts). */
import type { Command } from "commander";
import { loadScenario } from "../scenario/load.js";
import { parseIntFlag, UsageError } from "./common.js";

interface ServeFlags {
  portBase?: string;
  timeScale: string;
  portsFile?: string;
  journal?: string;
  lifetimeS: string;
  gatewayClock: string;
  seed?: string;
  quiet?: boolean;
  router?: string;
  port?: string;
}

export function parseScale(v: string): number {
  const k = Number(v);
  if (!(k > 0) || !Number.isFinite(k))
    throw new UsageError(`--time-scale expects a positive number, got "${v}"`);
  return k;
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "serve the scenario's providers as OpenAI-compatible endpoints on 127.0.0.1 (one port per provider), with the simulator's provider model on a scaled wall clock",
    )
    .argument("<scenario>", "scenario file (YAML or JSON)")
    .option("--port-base <n>", "provider i listens on port n + i (default: ephemeral ports)")
    .option("--time-scale <k>", "scenario time runs k times faster than wall time", "1")
    .option("--ports-file <file>", "write the ports (JSON: providers[].tag, port, baseUrl) to this file")
    .option("--journal <file>", "write one JSON line per provider call to this file")
    .option("--lifetime-s <s>", "stop after this many wall seconds", "600")
    .option(
      "--gateway-clock <clock>",
      "wall: the gateway's timers run in wall time (Retry-After is sent scaled); scaled: they are compressed by the same factor",
      "wall",
    )
    .option("--seed <n>", "override the scenario's seed")
    .option(
      "--router <policy>",
      "instead: serve this scenario policy as an OpenRouter-compatible endpoint (/api/v1/chat/completions) in front of the mock providers",
    )
    .option("--port <n>", "with --router: the router's port (default: an ephemeral port)")
    .option("-q, --quiet", "print nothing but errors")
    .action(async (file: string, flags: ServeFlags) => {
      const portBase = parseIntFlag("port-base", flags.portBase);
      if (portBase !== undefined && (portBase < 1024 || portBase > 65000))
        throw new UsageError(`--port-base expects a port in 1024..65000, got ${portBase}`);
      const lifetimeS = Number(flags.lifetimeS);
      if (!(lifetimeS > 0))
        throw new UsageError(`--lifetime-s expects a positive number, got "${flags.lifetimeS}"`);
      if (flags.gatewayClock !== "wall" && flags.gatewayClock !== "scaled")
        throw new UsageError(`--gateway-clock expects wall or scaled, got "${flags.gatewayClock}"`);
      const loaded = loadScenario(file, { seed: parseIntFlag("seed", flags.seed) });
      if (flags.router !== undefined) {
        await serveRouter(loaded, flags.router, flags, lifetimeS);
        return;
      }
      const { startServe } = await import("../live/serve.js");
      const server = await startServe({
        loaded,
        portBase,
        timeScale: parseScale(flags.timeScale),
        portsFile: flags.portsFile ?? null,
        journalFile: flags.journal ?? null,
        lifetimeS,
        gatewayClock: flags.gatewayClock,
      });
      const stop = () => void server.close();
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      if (!flags.quiet) {
        for (const p of server.ports.providers)
          process.stdout.write(`${p.tag.padEnd(24)} ${p.baseUrl}  (${p.model})\n`);
        process.stdout.write(
          `serving ${loaded.scenario.name} for at most ${lifetimeS} s (pid ${process.pid})\n`,
        );
      }
      await server.closed;
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      if (!flags.quiet) process.stdout.write("stopped\n");
    });
}

/** `serve --router`: the policy's router in front of the mock fleet, on one port (src/live/router-serve.ts). */
async function serveRouter(
  loaded: ReturnType<typeof loadScenario>,
  policy: string,
  flags: ServeFlags,
  lifetimeS: number,
): Promise<void> {
  const port = parseIntFlag("port", flags.port);
  if (port !== undefined && (port < 1024 || port > 65535))
    throw new UsageError(`--port expects a port in 1024..65535, got ${port}`);
  const { startRouterServe } = await import("../live/router-serve.js");
  const server = await startRouterServe({
    loaded,
    policy,
    port,
    timeScale: parseScale(flags.timeScale),
    journalFile: flags.journal ?? null,
    lifetimeS,
  });
  const stop = () => void server.close();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  if (!flags.quiet)
    process.stdout.write(
      `${policy} (${loaded.scenario.name}) as OpenRouter at ${server.baseUrl} for at most ${lifetimeS} s (pid ${process.pid})\n`,
    );
  await server.closed;
  process.off("SIGTERM", stop);
  process.off("SIGINT", stop);
  if (!flags.quiet) process.stdout.write("stopped\n");
}
