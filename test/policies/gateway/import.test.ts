/** Config import: the real files in scenarios/gateways/configs, mapping rules, errors and warnings. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { matchEndpoint } from "../../../src/policies/gateway/endpoints.js";
import { LITELLM_MODELLED_VERSION, type LiteRouter } from "../../../src/policies/litellm/policy.js";
import type { PortkeyRouter } from "../../../src/policies/portkey/policy.js";
import { loadScenario, scenarioFromObject } from "../../../src/scenario/load.js";
import { thrownInputError } from "../../helpers.js";
import { build, M, world } from "../../support/gateways.js";

const DIR = resolve("scenarios/gateways");
const M8 = "meta-llama/llama-3.1-8b-instruct";
const providers = [
  { name: "deepinfra" },
  { name: "groq" },
  { name: "together" },
  { name: "fireworks" },
  { name: "deepinfra", model: M8 },
];

const thrown = thrownInputError;

describe("endpoint mapping rule", () => {
  const { catalog } = world(providers);
  it("maps provider aliases and disambiguates by model", () => {
    const m = (p: string, model?: string, id?: string) => {
      const r = matchEndpoint(catalog, p, model, id);
      return r.ok ? `${r.endpoint.tag}:${r.endpoint.model}` : r.message;
    };
    expect(m("together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo")).toBe(`together:${M}`);
    expect(m("fireworks-ai", "accounts/fireworks/models/llama-v3p3-70b-instruct")).toBe(`fireworks:${M}`);
    expect(m("deepinfra", "meta-llama/Meta-Llama-3.1-8B-Instruct")).toBe(`deepinfra:${M8}`);
    expect(m("deepinfra", "meta-llama/Llama-3.3-70B-Instruct")).toBe(`deepinfra:${M}`);
    expect(m("deepinfra", "mistralai/Mixtral-8x7B")).toMatch(/has 2 endpoints/);
    expect(m("anthropic", "claude")).toMatch(/matches no scenario provider/);
    // model_info.id equal to an endpoint tag wins over the provider prefix.
    expect(m("openai", "whatever", "groq")).toBe(`groq:${M}`);
  });
});

describe("LiteLLM config.yaml import", () => {
  const { ctx } = world(providers, DIR);

  it("loads the head-to-head config: deployments, strategy, retries, fallbacks, cooldown path and warnings", () => {
    const b = build(ctx, { kind: "litellm", litellm: "configs/litellm-latency.yaml" });
    const r = b.policy as LiteRouter;
    expect(r.cfg.deployments.map((d) => `${d.id}→${ctx.catalog[d.endpoint].tag}/${d.group}`)).toEqual([
      "groq-llama-70b→groq/llama-3.3-70b",
      "deepinfra-llama-70b→deepinfra/llama-3.3-70b",
      "together-llama-70b→together/llama-3.3-70b",
      "fireworks-llama-70b→fireworks/llama-3.3-70b",
      "deepinfra-llama-8b→deepinfra/llama-3.1-8b",
    ]);
    expect(ctx.catalog[r.cfg.deployments[4].endpoint].model).toBe(M8);
    expect(r.cfg.strategy).toBe("latency-based-routing");
    expect(r.cfg.latencyBuffer).toBe(0.2);
    expect(r.cfg.numRetries).toBe(2);
    expect(r.cfg.cooldownS).toBe(30);
    expect(r.cfg.v1).toEqual({ allowedFails: 2, perClass: {} });
    expect(r.cfg.fallbacks.get("llama-3.3-70b")).toEqual(["llama-3.1-8b"]);
    expect(b.behaviour.timeoutMs).toBe(30_000);
    const w = b.warnings.join("\n");
    expect(w).toMatch(/router_settings\.redis_host not simulated/);
    expect(w).toMatch(/litellm_settings\.drop_params not simulated/);
    expect(w).toMatch(/general_settings not simulated/);
  });

  it("defaults (§1.2): simple-shuffle, num_retries 2, cooldown 5 s, timeout 6000 s, v2 cooldown rules", () => {
    const b = build(ctx, {
      kind: "litellm",
      options: {
        model_list: [{ model_name: "g", litellm_params: { model: "groq/llama-3.3-70b-versatile" } }],
      },
    });
    const r = b.policy as LiteRouter;
    expect([r.cfg.strategy, r.cfg.numRetries, r.cfg.cooldownS, r.cfg.v1, r.cfg.maxFallbacks]).toEqual([
      "simple-shuffle",
      2,
      5,
      null,
      5,
    ]);
    expect(b.behaviour.timeoutMs).toBe(6_000_000);
    expect(b.warnings).toEqual([]);
  });

  it("litellm_settings.num_retries / request_timeout / fallbacks apply when router_settings lacks them (§1.3)", () => {
    const b = build(ctx, {
      kind: "litellm",
      options: {
        model_list: [
          { model_name: "g", litellm_params: { model: "groq/x" } },
          { model_name: "h", litellm_params: { model: "together_ai/x" } },
        ],
        litellm_settings: {
          num_retries: 4,
          request_timeout: 12,
          fallbacks: [{ g: ["h"] }],
          cooldown_time: 9,
        },
      },
    });
    const r = b.policy as LiteRouter;
    expect(r.cfg.numRetries).toBe(4);
    expect(b.behaviour.timeoutMs).toBe(12_000);
    expect(r.cfg.fallbacks.get("g")).toEqual(["h"]);
    expect(r.cfg.cooldownS).toBe(5);
    expect(b.warnings.join()).toMatch(
      /litellm_settings\.cooldown_time not simulated \(the Router reads it only from router_settings\)/,
    );
  });

  it("an entry that cannot map is an InputError naming the file and the entry", () => {
    const e = thrown(() =>
      build(ctx, {
        kind: "litellm",
        options: {
          model_list: [{ model_name: "claude", litellm_params: { model: "anthropic/claude-3-5-sonnet" } }],
        },
      }),
    );
    expect(e.problems[0].path).toBe("policies[0].options.model_list[0]");
    expect(e.problems[0].message).toMatch(
      /deployment "claude" \(litellm_params\.model "anthropic\/claude-3-5-sonnet"\)/,
    );
  });

  it("unknown fallback groups, bad strategies and missing files are InputErrors with paths", () => {
    const list = [{ model_name: "g", litellm_params: { model: "groq/x" } }];
    const fb = thrown(() =>
      build(ctx, {
        kind: "litellm",
        options: { model_list: list, router_settings: { fallbacks: [{ g: ["nope"] }] } },
      }),
    );
    expect(fb.problems[0].path).toBe("policies[0].options.router_settings.fallbacks[0].g[0]");
    const strat = thrown(() =>
      build(ctx, {
        kind: "litellm",
        options: { model_list: list, router_settings: { routing_strategy: "fastest" } },
      }),
    );
    expect(strat.problems[0].path).toBe("policies[0].options.router_settings.routing_strategy");
    const missing = thrown(() => build(ctx, { kind: "litellm", litellm: "configs/nope.yaml" }));
    expect(missing.problems[0].path).toBe("policies[0].litellm");
  });

  it("problems inside an imported file name that file", () => {
    const dir = mkdtempSync(join(tmpdir(), "routesim-lite-"));
    writeFileSync(
      join(dir, "bad.yaml"),
      "model_list:\n  - model_name: g\n    litellm_params: { model: nowhere/x }\n",
    );
    const w = world(providers, dir);
    const e = thrown(() => build(w.ctx, { kind: "litellm", litellm: "bad.yaml" }));
    expect(e.file).toBe(join(dir, "bad.yaml"));
    expect(e.problems[0].path).toBe("model_list[0]");
  });

  it("names the LiteLLM version it models, in run.json and in version-dependent warnings", () => {
    const b = build(ctx, {
      kind: "litellm",
      options: {
        model_list: [
          { model_name: "g", litellm_params: { model: "groq/x", order: 1, cooldown_time: 0 } },
          { model_name: "g", litellm_params: { model: "together_ai/x", order: 2 } },
        ],
        router_settings: { cooldown_time: 0, retry_policy: { InternalServerErrorRetries: 1 } },
      },
    });
    expect(b.models).toBe(LITELLM_MODELLED_VERSION);
    expect(LITELLM_MODELLED_VERSION).toBe("LiteLLM router.py f292d1ae");
    const w = b.warnings.join("\n");
    expect(w).toMatch(
      /litellm_params\.order ignored: LiteLLM router\.py f292d1ae applies it only with enable_pre_call_checks/,
    );
    expect(w).toMatch(/router_settings\.cooldown_time 0 means the default 5 s/);
    expect(w).toMatch(/litellm_params\.cooldown_time 0 means the router's cooldown_time/);
    expect(w).toMatch(/InternalServerErrorRetries applies to status 500 only .* LiteLLM router\.py f292d1ae/);
    const r = b.policy as LiteRouter;
    expect(r.cfg.cooldownS).toBe(5);
    expect(r.cfg.deployments[0].cooldownS).toBe(0);
  });

  it("fallback lists (§1.2, §1.3): an empty list is absent; specific lists are null when absent; litellm_settings fills in", () => {
    const list = [
      { model_name: "g", litellm_params: { model: "groq/x" } },
      { model_name: "h", litellm_params: { model: "together_ai/x" } },
    ];
    const none = build(ctx, { kind: "litellm", options: { model_list: list } }).policy as LiteRouter;
    expect(none.cfg.contextWindowFallbacks).toBeNull();
    expect(none.cfg.contentPolicyFallbacks).toBeNull();
    expect(none.cfg.fallbacks.size).toBe(0);
    const r = build(ctx, {
      kind: "litellm",
      options: {
        model_list: list,
        router_settings: { fallbacks: [], content_policy_fallbacks: [] },
        litellm_settings: { fallbacks: [{ g: ["h"] }], content_policy_fallbacks: [{ h: ["g"] }] },
      },
    }).policy as LiteRouter;
    expect(r.cfg.fallbacks.get("g")).toEqual(["h"]);
    expect(r.cfg.contentPolicyFallbacks?.get("h")).toEqual(["g"]);
    expect(r.cfg.contextWindowFallbacks).toBeNull();
    const bad = thrown(() =>
      build(ctx, {
        kind: "litellm",
        options: { model_list: list, litellm_settings: { context_window_fallbacks: [{ g: ["nope"] }] } },
      }),
    );
    expect(bad.problems[0].path).toBe(
      "policies[0].options.litellm_settings.context_window_fallbacks[0].g[0]",
    );
  });
});

describe("Portkey config JSON import", () => {
  const { ctx } = world(providers, DIR);

  it("loads the nested loadbalance/fallback config", () => {
    const b = build(ctx, { kind: "portkey", portkey: "configs/portkey-lb-fallback.json" });
    const root = (b.policy as PortkeyRouter).cfg.root;
    expect(root.kind).toBe("fallback");
    if (root.kind !== "fallback") return;
    expect([...(root.onStatus ?? [])]).toEqual([408, 429, 500, 502, 503, 504]);
    const lb = root.targets[0];
    expect(lb.kind).toBe("loadbalance");
    if (lb.kind !== "loadbalance") return;
    expect(lb.weights).toEqual([0.6, 0.4]);
    const tags = (n: (typeof root.targets)[number]) =>
      n.kind === "leaf" ? ctx.catalog[n.endpoint].tag : n.kind;
    expect(lb.targets.map(tags)).toEqual(["deepinfra", "groq"]);
    expect(root.targets.slice(1).map(tags)).toEqual(["together", "fireworks"]);
    const first = lb.targets[0];
    expect(first.kind === "leaf" && first.retry.attempts).toBe(2); // inherited from the root
    expect(b.behaviour.timeoutMs).toBe(30_000);
    expect(b.warnings).toEqual([]);
  });

  it("override_params merge key by key down the tree; camelCase keys are accepted", () => {
    const b = build(ctx, {
      kind: "portkey",
      options: {
        overrideParams: { model: M8 },
        strategy: { mode: "fallback", onStatusCodes: [503] },
        targets: [{ provider: "deepinfra" }, { provider: "deepinfra", overrideParams: { model: M } }],
      },
    });
    const root = (b.policy as PortkeyRouter).cfg.root;
    if (root.kind !== "fallback") throw new Error("expected fallback");
    expect(root.targets.map((t) => (t.kind === "leaf" ? ctx.catalog[t.endpoint].model : ""))).toEqual([
      M8,
      M,
    ]);
  });

  it("unsupported or unmappable targets are InputErrors naming the target; unknown settings are warnings", () => {
    const cond = thrown(() =>
      build(ctx, {
        kind: "portkey",
        options: { strategy: { mode: "conditional" }, targets: [{ provider: "groq" }] },
      }),
    );
    expect(cond.problems[0].path).toBe("policies[0].options.strategy.mode");
    const vk = thrown(() =>
      build(ctx, {
        kind: "portkey",
        options: { strategy: { mode: "fallback" }, targets: [{ provider: "groq" }, { virtual_key: "vk-1" }] },
      }),
    );
    expect(vk.problems[0].path).toBe("policies[0].options.targets[1]");
    expect(vk.problems[0].message).toMatch(/virtual_key is hosted-only/);
    const bad = thrown(() => build(ctx, { kind: "portkey", options: { provider: "anthropic" } }));
    expect(bad.problems[0].message).toMatch(/target \(provider "anthropic"/);
    const b = build(ctx, { kind: "portkey", options: { provider: "groq", cache: { mode: "simple" } } });
    expect(b.warnings).toEqual([
      "Portkey setting cache not simulated ((root))",
      "Portkey request_timeout is not set and gateway 1.15.2 has no default: no timeout set: a hung provider holds the request until the client gives up (10 min, the OpenAI SDK default)",
    ]);
  });

  it("the plain loadbalance config: weights 0.5 / 0.3 / missing = 1, its request_timeout, no warnings", () => {
    const b = build(ctx, { kind: "portkey", portkey: "configs/portkey-loadbalance.json" });
    const root = (b.policy as PortkeyRouter).cfg.root;
    expect(root.kind === "loadbalance" && root.weights).toEqual([0.5, 0.3, 1]);
    expect(b.behaviour.timeoutMs).toBe(60_000);
    expect(b.warnings).toEqual([]);
  });

  it("the shipped portkey-*.json configs load without warnings other than the ones they demonstrate", () => {
    const files = ["retry-after", "retry-after-budget", "retry-after-plural", "zero-weights", "no-timeout"];
    const warned = Object.fromEntries(
      files.map((f) => [f, build(ctx, { kind: "portkey", portkey: `configs/portkey-${f}.json` }).warnings]),
    );
    expect(warned["retry-after"]).toEqual([]);
    expect(warned["retry-after-budget"]).toEqual([]);
    expect(warned["retry-after-plural"]).toEqual([
      expect.stringMatching(/^Portkey setting retry\.use_retry_after_headers ignored/),
    ]);
    expect(warned["zero-weights"]).toEqual([]);
    expect(warned["no-timeout"]).toEqual([
      expect.stringMatching(/no timeout set: a hung provider holds the request until the client gives up/),
    ]);
  });
});

describe("scenario import forms", () => {
  it("`{name, litellm: path}` and `{name, portkey: path}` select their kinds", () => {
    const s = loadScenario(join(DIR, "head-to-head.yaml")).scenario;
    const kinds = Object.fromEntries(s.policies.map((p) => [p.name, p.kind]));
    expect(kinds).toMatchObject({ "litellm-latency": "litellm", "portkey-lb-fallback": "portkey" });
  });

  it("a policy naming both files is an InputError", () => {
    const loaded = scenarioFromObject({
      name: "t",
      traffic: { arrivals: { process: "uniform", rate_per_s: 1 }, requests: 1, model: M },
      providers: [{ name: "groq", model: M, price: { prompt: 1, completion: 1 } }],
      policies: [{ name: "x", litellm: "a.yaml", portkey: "b.json" }],
    });
    const w = world([{ name: "groq" }]);
    const e = thrown(() => build(w.ctx, loaded.scenario.policies[0]));
    expect(e.problems[0].message).toMatch(/only one of litellm or portkey/);
  });
});
