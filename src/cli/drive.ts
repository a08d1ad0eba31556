/** `routesim drive <scenario> --gateway <url>`: replay the scenario's traffic through a gateway (src/live/drive.ts). */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { Command } from "commander";
import { PORTKEY_ENV, PORTKEY_PACKAGE, PORTKEY_VERSION } from "../live/portkey-pin.js";
import type { MockPorts } from "../live/serve.js";
import { loadScenario } from "../scenario/load.js";
import { ExitCode, outputDir, parseIntFlag, safeName, UsageError } from "./common.js";
import { parseScale } from "./serve.js";

interface DriveFlags {
  gateway?: string;
  portkey?: boolean;
  nginx?: boolean;
  validate?: boolean;
  header: string[];
  gatewayConfig?: string;
  mockPorts?: string;
  policy?: string;
  timeScale: string;
  warmup: string;
  requests?: string;
  out?: string;
  force?: boolean;
  quiet?: boolean;
}

/** Exit code when --validate finds a metric on which live and simulated disagree. */
export const EXIT_DISAGREE = 1;

const collect = (v: string, acc: string[]): string[] => [...acc, v];

function loopbackUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--gateway expects a URL, got "${url}"`);
  }
  // Live mode never leaves this machine.
  if (!["127.0.0.1", "localhost", "[::1]"].includes(u.hostname))
    throw new UsageError(`--gateway must be on loopback (127.0.0.1), got ${u.hostname}`);
  return url;
}

export function registerDrive(program: Command): void {
  program
    .command("drive")
    .description(
      "replay the scenario's traffic open-loop through an OpenAI-compatible gateway in front of `routesim serve`, and write run-style results joined with the mocks' journal",
    )
    .argument("<scenario>", "scenario file (YAML or JSON), the one `serve` runs")
    .option("--gateway <url>", "gateway base URL on loopback, e.g. http://127.0.0.1:8787/v1")
    .option(
      "--portkey",
      `start the Portkey gateway (${PORTKEY_PACKAGE} ${PORTKEY_VERSION}, installed or ${PORTKEY_ENV}) on loopback instead of --gateway`,
    )
    .option(
      "--nginx",
      "start nginx (Debian's nginx on PATH) on loopback with the policy's kind: nginx config",
    )
    .option(
      "--mock-ports <file>",
      "ports file of a running `routesim serve --ports-file` (default: start the mocks here)",
    )
    .option(
      "--validate",
      "also simulate the policy and compare distributions (validation.md); exit 1 on disagreement",
    )
    .option("--header <k:v>", "extra request header (repeatable)", collect, [])
    .option(
      "--gateway-config <file>",
      "Portkey config JSON to send (targets mapped to the mocks) instead of the policy's",
    )
    .option(
      "--policy <name>",
      "policy whose request template (and Portkey config) to use (default: the first)",
    )
    .option("--time-scale <k>", "the same factor `serve` runs with", "1")
    .option("--warmup <n>", "requests sent first and left out of the results", "20")
    .option("--requests <n>", "replay only this many requests")
    .option("-o, --out <dir>", "output folder (default: results/live/<scenario>/<policy>)")
    .option("-f, --force", "replace an existing output folder")
    .option("-q, --quiet", "print nothing but errors")
    .action(async (file: string, flags: DriveFlags) => {
      const loaded = loadScenario(file, { requests: parseIntFlag("requests", flags.requests) });
      const s = loaded.scenario;
      const policy = flags.policy ? s.policies.find((p) => p.name === flags.policy) : s.policies[0];
      if (!policy) throw new UsageError(`no policy named "${flags.policy}" in ${file}`);
      const headers: Record<string, string> = {};
      for (const h of flags.header) {
        const i = h.indexOf(":");
        if (i <= 0) throw new UsageError(`--header expects k:v, got "${h}"`);
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      if (
        [flags.gateway !== undefined, flags.portkey === true, flags.nginx === true].filter(Boolean).length !==
        1
      )
        throw new UsageError("expected one of --gateway <url>, --portkey and --nginx");
      if (flags.nginx && policy.kind !== "nginx")
        throw new UsageError(
          `--nginx renders nginx.conf from a kind: nginx policy; policy "${policy.name}" is kind ${policy.kind}`,
        );
      const mock = flags.mockPorts ? (JSON.parse(readFileSync(flags.mockPorts, "utf8")) as MockPorts) : null;
      const scale = parseScale(flags.timeScale);
      if (mock && mock.timeScale !== scale)
        throw new UsageError(
          `--time-scale ${scale} differs from the mocks' (${mock.timeScale}, ${flags.mockPorts})`,
        );
      const out = outputDir(
        flags.out ??
          join(
            "results",
            "live",
            safeName(s.name, loaded.file, "name"),
            safeName(policy.name, loaded.file, `policies[${s.policies.indexOf(policy)}].name`),
          ),
        flags.force ?? false,
      );
      const { liveSession } = await import("../live/session.js");
      const { renderChecks } = await import("../live/validate.js");
      const { result, checks } = await liveSession({
        loaded,
        policy,
        gateway:
          flags.gateway !== undefined
            ? { kind: "url", url: loopbackUrl(flags.gateway) }
            : flags.nginx
              ? { kind: "nginx" }
              : { kind: "portkey" },
        headers,
        gatewayConfig: flags.gatewayConfig
          ? JSON.parse(readFileSync(flags.gatewayConfig, "utf8"))
          : undefined,
        mock,
        timeScale: scale,
        warmup: parseIntFlag("warmup", flags.warmup) ?? 0,
        outDir: out,
        validate: flags.validate ?? false,
        command: `routesim drive ${process.argv.slice(3).join(" ")}`.trim(),
      });
      if (!flags.quiet) {
        const p = result.summary.policies[0];
        process.stdout.write(
          `${p.name.padEnd(24)} success ${(100 * p.successRate).toFixed(2).padStart(6)} %  attempts/request ${p.attemptsPerRequest.toFixed(3)}  p50 ${p.latencyMs.p50.toFixed(0)} ms  p99 ${p.latencyMs.p99.toFixed(0)} ms\n`,
        );
        for (const w of result.summary.warnings) process.stdout.write(`warning: ${w}\n`);
        process.stdout.write(
          `wrote ${relative(process.cwd(), out) || "."}/ in ${(result.live.wallTimeMs / 1000).toFixed(1)} s\n`,
        );
        if (checks) process.stdout.write(`\n${renderChecks(`${s.name} · ${policy.name}`, checks)}`);
      }
      if (checks?.some((c) => !c.agree)) throw new ExitCode(EXIT_DISAGREE);
    });
}
