/** Importing nginx.conf upstream blocks and proxy_* directives for kind: nginx (issue #20 item 5). */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadNginxConfig, parseNginx, parseNginxTime } from "../../../src/policies/nginx/config.js";
import type { NginxRouter } from "../../../src/policies/nginx/policy.js";
import { scenarioFromObject } from "../../../src/scenario/load.js";
import { thrownInputError as thrown } from "../../helpers.js";
import { build, M, world } from "../../support/gateways.js";

const w = world([{ name: "alpha" }, { name: "beta" }, { name: "gamma" }]);

const CONF = `# a whole nginx.conf
worker_processes 1;
events { worker_connections 64; }
http {
  proxy_read_timeout 30s;
  upstream llm {
    server alpha:8001 weight=3 max_fails=2 fail_timeout=5s;
    server 127.0.0.1:8002; # routesim: beta
    server gamma:8003 backup;
    keepalive 8;
  }
  server {
    listen 8080;
    location /v1/ {
      proxy_pass http://llm;
      proxy_next_upstream error timeout http_503 "non_idempotent";
      proxy_next_upstream_tries 2;
      proxy_next_upstream_timeout 1m30s;
      proxy_read_timeout 500ms;
      proxy_buffering off;
    }
  }
}
`;

const load = (text: string) => loadNginxConfig(text, w.ctx, "nginx.conf");

describe("nginx.conf import", () => {
  it("tokenizes directives, blocks, quotes and comments with their lines", () => {
    const top = parseNginx(CONF, "nginx.conf");
    expect(top.map((d) => [d.name, d.line])).toEqual([
      ["worker_processes", 2],
      ["events", 3],
      ["http", 4],
    ]);
    const http = top[2].block!;
    const ups = http.find((d) => d.name === "upstream")!;
    expect(ups.args).toEqual(["llm"]);
    expect(ups.block![1].comment).toBe("routesim: beta");
  });

  it("reads servers (weight, max_fails, fail_timeout, backup; defaults 1, 1, 10 s) and maps them to providers", () => {
    const { config, warnings } = load(CONF);
    expect(config.upstream).toBe("llm");
    expect(config.servers.map((s) => [s.tag, s.weight, s.maxFails, s.failTimeoutS, s.backup])).toEqual([
      ["alpha", 3, 2, 5, false],
      ["beta", 1, 1, 10, false],
      ["gamma", 1, 1, 10, true],
    ]);
    expect([...config.nextUpstream]).toEqual(["error", "timeout", "http_503", "non_idempotent"]);
    expect(config.tries).toBe(2);
    expect(config.nextUpstreamTimeoutMs).toBe(90_000);
    // The location's proxy_read_timeout overrides the http level's, as nginx merges them.
    expect(config.readTimeoutMs).toBe(500);
    expect(config.buffering).toBe(false);
    expect(warnings.some((x) => x.includes("keepalive") && x.includes("not modelled"))).toBe(true);
  });

  it("uses nginx's defaults: proxy_next_upstream error timeout, 60 s read timeout, buffering on (warned)", () => {
    const { config, warnings } = load(
      "upstream u { server alpha; server beta; }\nlocation / { proxy_pass http://u; }",
    );
    expect([...config.nextUpstream]).toEqual(["error", "timeout"]);
    expect(config.readTimeoutMs).toBe(60_000);
    expect(config.tries).toBe(0);
    expect(warnings.some((x) => x.includes("proxy_buffering"))).toBe(true);
  });

  it("parses nginx times: bare seconds, units, sums; fail_timeout takes no ms", () => {
    expect(parseNginxTime("10")).toBe(10_000);
    expect(parseNginxTime("250ms")).toBe(250);
    expect(parseNginxTime("1m30s")).toBe(90_000);
    expect(parseNginxTime("5x")).toBeNull();
    expect(parseNginxTime("500ms", true)).toBeNull();
  });

  it("syntax errors name the file and line", () => {
    const e = thrown(() => load("upstream u {\n  server alpha\n}\n"));
    expect(e.file).toBe("nginx.conf");
    expect(e.problems[0].path).toBe("line 3");
    expect(thrown(() => load("upstream u {\n  server alpha;\n")).problems[0].message).toMatch(/missing "}"/);
    expect(thrown(() => load('upstream u { server "alpha; }')).problems[0].message).toMatch(
      /unterminated double quote from line 1/,
    );
  });

  it("bad values name the directive's path and line", () => {
    const bad = (text: string) => thrown(() => load(text)).problems[0];
    expect(bad("upstream u {\n server alpha;\n server beta weight=0;\n}")).toEqual({
      path: "upstream[u].server[1].weight (line 3)",
      message: 'expected an integer ≥ 1, got "0"',
    });
    expect(bad("upstream u {\n server alpha fail_timeout=500ms;\n}").path).toBe(
      "upstream[u].server[0].fail_timeout (line 2)",
    );
    const cond = bad(
      "upstream u { server alpha; }\nlocation / {\n proxy_pass http://u;\n proxy_next_upstream http_418;\n}",
    );
    expect(cond.path).toBe("location[/].proxy_next_upstream (line 4)");
    expect(cond.message).toMatch(/unknown condition "http_418"/);
    expect(bad("upstream u { server nobody:80; }").message).toMatch(/routesim: <provider>/);
    expect(bad("location / { return 200; }").message).toBe("no upstream block");
    expect(bad("upstream u { server alpha backup; }").message).toMatch(/no servers/);
  });

  it("`nginx: file` selects kind nginx; problems name that file", () => {
    const dir = mkdtempSync(join(tmpdir(), "nginx-"));
    writeFileSync(join(dir, "nginx.conf"), CONF);
    writeFileSync(join(dir, "bad.conf"), "upstream u {\n server alpha max_fails=x;\n}\n");
    const ww = world([{ name: "alpha" }, { name: "beta" }, { name: "gamma" }], dir);
    const b = build(ww.ctx, { kind: "nginx", nginx: "nginx.conf" });
    expect((b.policy as NginxRouter).cfg.servers).toHaveLength(3);
    expect(b.behaviour.timeoutMs).toBe(500);
    const e = thrown(() => build(ww.ctx, { kind: "nginx", nginx: "bad.conf" }));
    expect(e.file).toBe(join(dir, "bad.conf"));
    expect(e.problems[0].path).toBe("upstream[u].server[0].max_fails (line 2)");
  });

  it("a scenario policy `{ name, nginx: file }` gets kind nginx", () => {
    const dir = mkdtempSync(join(tmpdir(), "nginx-"));
    writeFileSync(join(dir, "nginx.conf"), CONF);
    const loaded = scenarioFromObject(
      {
        name: "t",
        traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: M },
        providers: ["alpha", "beta", "gamma"].map((name) => ({
          name,
          model: M,
          price: { prompt: 1, completion: 1 },
        })),
        policies: [{ name: "n", nginx: "nginx.conf" }],
      },
      {},
      dir,
    );
    expect(loaded.scenario.policies[0].kind).toBe("nginx");
  });

  it("inline options take `config` only", () => {
    const e = thrown(() => build(w.ctx, { kind: "nginx", options: { config: CONF, tries: 2 } }));
    expect(e.problems[0].path).toBe("policies[0].options.tries");
  });
});
