/**
 * One live replay with whatever it needs started around it: the mocks (unless a running `serve`
 * is named), the pinned Portkey gateway (with `portkey`), the replay, and optionally the
 * comparison with a simulation of the same policy. Everything started here is stopped here,
 * also on failure.
 */
import type { LoadedScenario } from "../scenario/load.js";
import type { PolicySpec } from "../scenario/schema.js";
import { type DriveResult, drive } from "./drive.js";
import { nginxPolicyConfig, resolveNginx, startNginx } from "./nginx.js";
import { type RunningGateway, resolvePortkey, startPortkey } from "./portkey.js";
import { type MockPorts, type MockServer, startServe } from "./serve.js";
import type { Check } from "./validate.js";
import { validateLive } from "./validate-live.js";

export type GatewayChoice = { kind: "url"; url: string } | { kind: "portkey" } | { kind: "nginx" };

export interface SessionOptions {
  loaded: LoadedScenario;
  policy: PolicySpec;
  gateway: GatewayChoice;
  /** A running `serve` (its ports file); null = start the mocks here. */
  mock: MockPorts | null;
  timeScale: number;
  warmup: number;
  headers: Record<string, string>;
  gatewayConfig?: unknown;
  outDir: string;
  /** Also simulate the policy (into <out>/sim) and compare (validation.md). */
  validate: boolean;
  command?: string;
}

export interface SessionResult {
  result: DriveResult;
  checks: Check[] | null;
}

export async function liveSession(o: SessionOptions): Promise<SessionResult> {
  let mock: MockServer | null = null;
  let gateway: RunningGateway | null = null;
  try {
    // A gateway started here gets its timers compressed with the mocks' clock.
    const scaledGateway = o.gateway.kind === "portkey" && o.timeScale !== 1;
    if (o.mock === null)
      mock = await startServe({
        loaded: o.loaded,
        timeScale: o.timeScale,
        gatewayClock: scaledGateway ? "scaled" : "wall",
        lifetimeS: 3600,
      });
    const ports = o.mock ?? mock!.ports;
    if (o.gateway.kind === "portkey") {
      if (ports.gatewayClock !== (scaledGateway ? "scaled" : "wall"))
        throw new Error(
          `the running mocks expect a gateway on ${ports.gatewayClock} time; start serve with --gateway-clock ${scaledGateway ? "scaled" : "wall"}`,
        );
      const found = resolvePortkey();
      if ("missing" in found) throw new Error(found.missing);
      gateway = await startPortkey(found.entry, { timeScale: o.timeScale });
    }
    if (o.gateway.kind === "nginx") {
      // nginx's timers are written into its config divided by the scale: the mocks stay on wall time.
      if (o.policy.kind !== "nginx")
        throw new Error(`--nginx needs a kind: nginx policy; ${o.policy.name} is ${o.policy.kind}`);
      const found = resolveNginx();
      if ("missing" in found) throw new Error(found.missing);
      gateway = await startNginx(found.bin, nginxPolicyConfig(o.loaded, o.policy), ports);
    }
    const url = o.gateway.kind === "url" ? o.gateway.url : gateway!.url;
    const result = await drive({
      loaded: o.loaded,
      policy: o.policy,
      gateway: url,
      headers: o.headers,
      gatewayConfig: o.gatewayConfig,
      mock: ports,
      timeScale: o.timeScale,
      warmup: o.warmup,
      outDir: o.outDir,
      command: o.command,
    });
    let checks: Check[] | null = null;
    if (o.validate) checks = validateLive(o.loaded, o.outDir, { policy: o.policy.name }).checks;
    return { result, checks };
  } finally {
    await mock?.close();
    await gateway?.stop();
  }
}
