/**
 * Issue 25 item 3: a gateway deployment that maps to an endpoint of another model (the provider's
 * only endpoint is taken whatever model the config names) is warned about, naming both models.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { mdEscape } from "../../../src/report/markdown.js";
import { runCli } from "../../support/cli.js";

describe("gateway deployments mapped to an endpoint of another model (issue 25 item 3)", () => {
  it("warns on the console and in the report for LiteLLM and Portkey configs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "routesim-mismatch-"));
    writeFileSync(
      join(dir, "s.yaml"),
      `name: mismatch
traffic: { arrivals: { process: poisson, rate_per_s: 5 }, requests: 30, model: llama, prompt_tokens: 100, completion_tokens: 50 }
providers:
  - { name: together, model: llama, price: { prompt: 1, completion: 1 }, concurrency: 8 }
  - { name: deepinfra, model: llama, price: { prompt: 1, completion: 1 }, concurrency: 8 }
policies:
  - { name: lite, litellm: lite.yaml }
  - { name: pk, portkey: pk.json }
`,
    );
    writeFileSync(
      join(dir, "lite.yaml"),
      `model_list:
  - model_name: llama
    litellm_params: { model: together/gpt-4o }
  - model_name: llama
    litellm_params: { model: deepinfra/meta-llama/llama }
router_settings: { timeout: 30 }
`,
    );
    writeFileSync(
      join(dir, "pk.json"),
      JSON.stringify({
        request_timeout: 30000,
        strategy: { mode: "fallback" },
        targets: [{ provider: "together", override_params: { model: "mixtral" } }, { provider: "deepinfra" }],
      }),
    );
    const r = await runCli(["run", join(dir, "s.yaml"), "--out", join(dir, "out")]);
    expect(r.code, r.stderr).toBe(0);
    const lite =
      'lite: model_list[0] (deployment "llama") configures model "gpt-4o" but maps to endpoint together, which serves "llama"';
    const pk =
      'pk: Portkey target targets[0] configures model "mixtral" but maps to endpoint together, which serves "llama"';
    expect(r.stderr).toContain(lite);
    expect(r.stderr).toContain(pk);
    // A model that agrees by its last path segment (meta-llama/llama → llama) is not flagged.
    expect(r.stderr).not.toContain("model_list[1]");
    const report = readFileSync(join(dir, "out", "report.md"), "utf8");
    expect(report).toContain(mdEscape(lite));
    expect(report).toContain(mdEscape(pk));
  });
});
