/**
 * The real Portkey gateway (@portkey-ai/gateway 1.15.2, npm build) on loopback in front of
 * `routesim serve`, against `routesim run` of the same scenarios' `kind: portkey` policies
 * (docs/gateways.md §2), compared on distributions (the gateway draws loadbalance targets with
 * Math.random). Scenarios with long waits run on a compressed clock: the mocks at k× and the
 * gateway's own timers divided by k (gateway clock "scaled").
 * Skips when the package cannot be resolved (install it, or set ROUTESIM_PORTKEY_GATEWAY to its
 * build/start-server.js). ROUTESIM_LIVE_RESULTS=<dir> keeps every result and validation.md there.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { drive } from "../../src/live/drive.js";
import { type RunningGateway, resolvePortkey, startPortkey } from "../../src/live/portkey.js";
import { type MockServer, startServe } from "../../src/live/serve.js";
import { loadScenario } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import { expectLiveAgrees, type LiveCase, live, liveResults } from "../support/live.js";

const ROOT = resolve(import.meta.dirname, "../..");
const found = resolvePortkey(ROOT);
const missing = "missing" in found ? found.missing : null;
if (missing) console.warn(`skipping the live Portkey checks: ${missing}`);
const { out, tables } = liveResults("portkey", "Portkey 1.15.2 live vs simulated");

const CASES: LiveCase[] = [
  {
    scenario: "portkey-basic.yaml",
    timeScale: 2,
    policies: {
      "lb-fallback-retry": (m) => {
        expect(live(m, "attemptsPerRequest")).toBeGreaterThan(1.1);
        expect(live(m, "providerShare beta")).toBeGreaterThan(0.02);
      },
      "lb-fallback-retry-stream": (m) => expect(live(m, "attemptsPerRequest")).toBeGreaterThan(1.1),
    },
    impostor: { policy: "lb-swapped", disagreeOn: ["providerShare alpha", "providerShare gamma"] },
  },
  {
    scenario: "portkey-zero-weights.yaml",
    timeScale: 1,
    policies: { "zero-weights": (m) => expect(live(m, "status 500")).toBe(1) },
  },
  {
    scenario: "portkey-retry-after.yaml",
    timeScale: 4,
    policies: {
      "retry-after-npm": (m) => {
        expect(live(m, "providerShare spare")).toBeGreaterThan(0.2);
        expect(live(m, "attemptsPerRequest")).toBeGreaterThan(2);
      },
    },
  },
  {
    scenario: "portkey-timeout.yaml",
    timeScale: 4,
    policies: {
      "timeout-plain": (m) => expect(live(m, "providerShare quick")).toBe(1),
      "timeout-stream": (m) => expect(live(m, "providerShare long")).toBe(1),
    },
  },
  {
    scenario: "portkey-outage.yaml",
    timeScale: 4,
    policies: { "outage-fallback": (m) => expect(live(m, "providerShare backup")).toBeGreaterThan(0.2) },
  },
];

for (const c of CASES) {
  describe.skipIf(missing !== null)(
    `live §2: Portkey 1.15.2 vs simulation, ${c.scenario} at ${c.timeScale}×`,
    () => {
      const loaded = loadScenario(join(ROOT, "scenarios/live", c.scenario));
      const dir = join(out, loaded.scenario.name);
      let gateway: RunningGateway | null = null;
      let mock: MockServer | null = null;

      beforeAll(async () => {
        mkdirSync(dir, { recursive: true });
        simulate(loaded, { outDir: join(dir, "sim") });
        const gatewayClock = c.timeScale === 1 ? "wall" : "scaled";
        mock = await startServe({ loaded, timeScale: c.timeScale, gatewayClock, lifetimeS: 120 });
        gateway = await startPortkey((found as { entry: string }).entry, {
          logFile: join(dir, "gateway.log"),
          timeScale: c.timeScale,
        });
      }, 30_000);

      afterAll(async () => {
        await mock?.close();
        await gateway?.stop();
      });

      for (const policy of Object.keys(c.policies)) {
        it(`${policy}: live agrees with the simulation on every metric`, async () => {
          const liveDir = join(dir, policy);
          const spec = loaded.scenario.policies.find((p) => p.name === policy)!;
          const result = await drive({
            loaded,
            policy: spec,
            gateway: gateway!.url,
            headers: {},
            mock: mock!.ports,
            timeScale: c.timeScale,
            warmup: 8,
            outDir: liveDir,
          });
          expect(result.summary.warnings).toEqual([]);
          // The gateway's own overhead (≈ 2 ms, 25 ms before a stream's first event) is wall time.
          expectLiveAgrees(c, dir, loaded.scenario.name, policy, liveDir, tables);
        }, 40_000);
      }
    },
  );
}

describe.skipIf(missing !== null)(
  "live: `routesim drive --portkey --validate` (the whole session from the CLI)",
  () => {
    it("starts mocks and gateway, validates, exits 0 on agreement and 1 when the gateway runs another config", async () => {
      const file = join(ROOT, "scenarios/live/portkey-zero-weights.yaml");
      const dir = join(out, "cli");
      const args = [
        "drive",
        file,
        "--portkey",
        "--requests",
        "10",
        "--warmup",
        "2",
        "--validate",
        "--force",
        "-q",
      ];
      expect(await main([...args, "--out", join(dir, "agree")])).toBe(0);
      expect(readFileSync(join(dir, "agree", "validation.md"), "utf8")).toContain(
        "| status 500 | 1.000 | 1.000 |",
      );
      // The gateway gets weight 1 on alpha while the simulation keeps the scenario's zero weights.
      const config = join(dir, "weighted.json");
      writeFileSync(
        config,
        JSON.stringify({
          strategy: { mode: "loadbalance" },
          targets: [{ provider: "alpha", api_key: "x", weight: 1 }],
        }),
      );
      expect(await main([...args, "--gateway-config", config, "--out", join(dir, "disagree")])).toBe(1);
      const summary = JSON.parse(readFileSync(join(dir, "disagree", "summary.json"), "utf8"));
      expect(summary.policies[0].providerShare).toEqual({ alpha: 1 });
    }, 40_000);
  },
);
