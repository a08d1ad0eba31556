/**
 * A real nginx (Debian's 1.22, `worker_processes 1`) on loopback in front of `routesim serve`,
 * against `routesim run` of the same scenarios' `kind: nginx` policies (issue #20 item 5): the
 * same live validation as the Portkey one, through a second, classic load balancer. nginx's round
 * robin is deterministic, so most shares agree exactly; fail_timeout is checked against whole
 * wall-clock seconds (ngx_time()), whose phase the simulation cannot know (docs/gateways-model.md).
 * Skips when nginx is not installed (apt-get install nginx-light, or set ROUTESIM_NGINX).
 * ROUTESIM_LIVE_RESULTS=<dir> keeps every result and validation.md there.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { drive } from "../../src/live/drive.js";
import { nginxPolicyConfig, resolveNginx, startNginx } from "../../src/live/nginx.js";
import type { RunningGateway } from "../../src/live/portkey.js";
import { type MockServer, startServe } from "../../src/live/serve.js";
import { loadScenario } from "../../src/scenario/load.js";
import { simulate } from "../../src/simulate.js";
import { runCli } from "../support/cli.js";
import { expectLiveAgrees, type LiveCase, live, liveResults } from "../support/live.js";

const ROOT = resolve(import.meta.dirname, "../..");
const found = resolveNginx();
const missing = "missing" in found ? found.missing : null;
if (missing) console.warn(`skipping the live nginx checks: ${missing}`);
const { out, tables } = liveResults("nginx", "nginx 1.22 live vs simulated");

const CASES: LiveCase[] = [
  {
    scenario: "nginx-weights.yaml",
    timeScale: 1,
    policies: {
      // Smooth weighted round robin, weights 3/2/1: exactly 1/2, 1/3, 1/6 over whole periods.
      weighted: (m) => expect(live(m, "providerShare alpha")).toBeCloseTo(0.5, 1),
      "weighted-stream": (m) => expect(live(m, "providerShare gamma")).toBeCloseTo(1 / 6, 1),
    },
    impostor: { policy: "swapped", disagreeOn: ["providerShare alpha", "providerShare gamma"] },
  },
  {
    scenario: "nginx-next-upstream.yaml",
    timeScale: 1,
    policies: {
      // A POST's 503 goes on only with non_idempotent (ngx_http_upstream_test_next).
      "post-503": (m) => expect(live(m, "status 503")).toBeGreaterThan(0.6),
      "post-503-non-idempotent": (m) => {
        expect(live(m, "successRate")).toBe(1);
        expect(live(m, "attemptsPerRequest")).toBeGreaterThan(1);
      },
      "tries-1": (m) => expect(live(m, "status 503")).toBeGreaterThan(0.6),
    },
  },
  {
    scenario: "nginx-passive-health.yaml",
    timeScale: 1,
    policies: {
      // max_fails/fail_timeout: flaky skipped during its outage, so few second attempts.
      "passive-health": (m) => {
        expect(live(m, "successRate")).toBe(1);
        expect(live(m, "attemptsPerRequest")).toBeLessThan(1.15);
      },
      "no-health": (m) => expect(live(m, "attemptsPerRequest")).toBeGreaterThan(1.15),
    },
  },
  {
    scenario: "nginx-read-timeout.yaml",
    timeScale: 1,
    policies: {
      "timeout-retry": (m) => expect(live(m, "providerShare quick")).toBe(1),
      "timeout-retry-stream": (m) => expect(live(m, "providerShare slow")).toBeGreaterThan(0.3),
      "timeout-504": (m) => expect(live(m, "status 504")).toBeGreaterThan(0.3),
    },
  },
];

for (const c of CASES) {
  describe.skipIf(missing !== null)(
    `live: nginx 1.22 vs simulation, ${c.scenario} at ${c.timeScale}×`,
    () => {
      const loaded = loadScenario(join(ROOT, "scenarios/live", c.scenario));
      const dir = join(out, loaded.scenario.name);
      let mock: MockServer | null = null;

      beforeAll(async () => {
        mkdirSync(dir, { recursive: true });
        simulate(loaded, { outDir: join(dir, "sim") });
        mock = await startServe({ loaded, timeScale: c.timeScale, gatewayClock: "wall", lifetimeS: 180 });
      }, 30_000);

      afterAll(async () => {
        await mock?.close();
      });

      for (const policy of Object.keys(c.policies)) {
        it(`${policy}: live agrees with the simulation on every metric`, async () => {
          const liveDir = join(dir, policy);
          const spec = loaded.scenario.policies.find((p) => p.name === policy)!;
          // A fresh nginx per policy: each starts with nginx's initial round-robin and failure state.
          let gateway: RunningGateway | null = null;
          try {
            gateway = await startNginx(
              (found as { bin: string }).bin,
              nginxPolicyConfig(loaded, spec),
              mock!.ports,
              {
                keepDir: join(dir, `${policy}-nginx`),
              },
            );
            const result = await drive({
              loaded,
              policy: spec,
              gateway: gateway.url,
              headers: {},
              mock: mock!.ports,
              timeScale: c.timeScale,
              // Warm-up requests would move nginx's round robin and failure counts.
              warmup: 0,
              outDir: liveDir,
            });
            expect(result.summary.warnings).toEqual([]);
          } finally {
            await gateway?.stop();
          }
          expectLiveAgrees(c, dir, loaded.scenario.name, policy, liveDir, tables);
        }, 60_000);
      }
    },
  );
}

describe.skipIf(missing !== null)(
  "live: `routesim drive --nginx --validate` (the whole session from the CLI)",
  () => {
    it("starts mocks and nginx, validates, exits 0 on agreement; refuses a policy of another kind", async () => {
      const file = join(ROOT, "scenarios/live/nginx-weights.yaml");
      const dir = join(out, "cli");
      const args = [
        "drive",
        file,
        "--nginx",
        "--requests",
        "30",
        "--warmup",
        "0",
        "--validate",
        "--force",
        "-q",
      ];
      expect(await main([...args, "--out", join(dir, "agree")])).toBe(0);
      expect(readFileSync(join(dir, "agree", "validation.md"), "utf8")).toContain(
        "| providerShare alpha | 0.500 | 0.500 |",
      );
      // --nginx needs a kind: nginx policy to render nginx.conf from.
      const portkey = join(ROOT, "scenarios/live/portkey-zero-weights.yaml");
      const wrong = await runCli([
        "drive",
        portkey,
        "--nginx",
        "--requests",
        "2",
        "--warmup",
        "0",
        "--out",
        join(dir, "pk"),
        "-q",
      ]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/--nginx renders nginx\.conf from a kind: nginx policy/);
    }, 40_000);
  },
);
