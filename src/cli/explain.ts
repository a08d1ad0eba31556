/**
 * `routesim explain <body.json> --scenario <file>`: why one OpenRouter request body goes where it
 * goes. The body is routed once by the scenario's OpenRouter policy with explanations on (the
 * decision log's `why`, not a second implementation), against the scenario's endpoints and, with
 * `--at-s`, their health after simulating the scenario's traffic up to that time.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { OpenRouterConfig } from "../policies/openrouter/config.js";
import { healthClass, uptimePercent } from "../policies/openrouter/stats.js";
import { buildPolicy, checkModelId, type PolicyContext } from "../policies/registry.js";
import type { EndpointView, HealthView } from "../policies/types.js";
import { buildCatalog, endpointsByModel } from "../providers/catalog.js";
import { Rng } from "../rng/rng.js";
import { HealthTracker } from "../router/health.js";
import { formatPath, InputError } from "../scenario/errors.js";
import { type LoadedScenario, loadScenario, zodProblems } from "../scenario/load.js";
import {
  applyPreset,
  estimatedPromptTokens,
  presetMerge,
  RequestBody,
  requestBodyWarnings,
} from "../scenario/request-body.js";
import { PolicySpec } from "../scenario/schema.js";
import { buildWorld, requestBody } from "../simulate.js";
import { makeRequest } from "../traffic/request.js";
import type { Endpoint } from "../types.js";
import { parseIntFlag, printWarnings, UsageError } from "./common.js";

/** Sizes used when neither the body nor a flag gives them. */
const DEFAULT_PROMPT_TOKENS = 1000;
const DEFAULT_COMPLETION_TOKENS = 500;

export interface ExplainOptions {
  /** Policy name (default: the scenario's first `openrouter` policy, else default knobs). */
  readonly policy?: string;
  readonly atS?: number;
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** A conversation key for sticky routing (R83): as the traffic's session would carry it. */
  readonly session?: string;
}

/** An endpoint as the filters and orderings see it at the explained time. */
export interface EndpointFacts {
  readonly endpoint: string;
  /** USD per million tokens, after the endpoint's discount (R2). */
  readonly price: { readonly prompt: number; readonly completion: number };
  readonly throughputP50: number | null;
  readonly latencyP50S: number | null;
  /** R24/R93 health group at t: normal, degraded (uptime tier) or down (recent failures). */
  readonly health: "normal" | "degraded" | "down";
  /** R25 uptime over the window, null below its minimum request count. */
  readonly uptimePct: number | null;
}

/** One candidate model's part of the explanation. */
export interface ModelExplanation {
  readonly requested: string;
  readonly model: string;
  /** Its endpoints in catalog order (empty: not in the scenario), with what routing reads of them. */
  readonly endpoints: readonly EndpointFacts[];
  /** Endpoints each filter removed, with the rule (R10–R20; R19 preference). */
  readonly removed: readonly { endpoint: string; rule: string }[];
  readonly eligible: readonly string[];
  readonly excludedBy?: readonly string[];
  readonly strippedParams?: readonly string[];
  /** How the eligible ones were ordered: `lb:v2`, `sort:price`, `order`, `service_tier:flex`, … */
  readonly mode?: string;
  /** Load balancing (R24–R27): health groups and each endpoint's weight and share of first picks. */
  readonly lb?: {
    readonly groups: Record<string, readonly string[]>;
    readonly weights: Record<string, number>;
    readonly shares: Record<string, number>;
  };
  readonly byok?: unknown;
  readonly sticky?: string;
}

export interface Explanation {
  readonly body: string;
  readonly scenario: string;
  readonly policy: string;
  readonly atS: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** The body after presets (R102) and the traffic's default model. */
  readonly resolved: RequestBody;
  /** The `models` fallback chain as routed (R51; Auto Router picks included). */
  readonly chain: readonly string[];
  readonly models: readonly ModelExplanation[];
  readonly autoRouter?: unknown;
  /** Endpoints in the order attempts would try them (one load-balancing draw). */
  readonly order: readonly { readonly endpoint: string; readonly model: string }[] | null;
  /** Notes on how the per-model orders became one list (R32 partition, R29/R30 truncation). */
  readonly notes: readonly string[];
  /** Rejected before any attempt (R58–R61): the error the request gets. */
  readonly error: { status: number; code: string; excludedBy: readonly string[] } | null;
  /** R60: the error when every candidate fails and the last model had no eligible endpoint. */
  readonly emptyTail?: { status: number; code: string; excludedBy?: readonly string[] };
  readonly warnings: readonly string[];
}

/** Reads and validates a body file (`-` = stdin) through the scenario request schema. */
export function readBody(file: string, stdin: () => string = () => readFileSync(0, "utf8")): RequestBody {
  const name = file === "-" ? "<stdin>" : file;
  let text: string;
  try {
    text = file === "-" ? stdin() : readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(name, [{ path: "", message: `cannot read: ${(e as Error).message}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(name, [{ path: "", message: `malformed JSON: ${(e as Error).message}` }]);
  }
  const parsed = RequestBody.safeParse(raw);
  if (!parsed.success) throw new InputError(name, zodProblems(parsed.error.issues, [], RequestBody));
  return parsed.data;
}

/** The scenario's policy spec to explain with. */
function policySpec(loaded: LoadedScenario, name: string | undefined): { spec: PolicySpec; index: number } {
  const ps = loaded.scenario.policies;
  if (name !== undefined) {
    const index = ps.findIndex((p) => p.name === name);
    if (index < 0)
      throw new InputError(loaded.file, [
        {
          path: "policies",
          message: `no policy named "${name}" (policies: ${ps.map((p) => p.name).join(", ")})`,
        },
      ]);
    if (ps[index].kind !== "openrouter")
      throw new UsageError(
        `policy "${name}" is of kind ${ps[index].kind}; explain needs an openrouter policy`,
      );
    return { spec: ps[index], index };
  }
  const index = ps.findIndex((p) => p.kind === "openrouter");
  return index >= 0
    ? { spec: ps[index], index }
    : { spec: PolicySpec.parse({ name: "openrouter" }), index: -1 };
}

class View implements EndpointView {
  private readonly byModel: ReadonlyMap<string, readonly Endpoint[]>;
  constructor(
    readonly catalog: readonly Endpoint[],
    readonly health: HealthView,
    readonly now: number,
  ) {
    this.byModel = endpointsByModel(catalog);
  }
  endpointsOf(model: string): readonly Endpoint[] {
    return this.byModel.get(model) ?? [];
  }
}

/** The model a body without `model`/`models` gets: the traffic's (first of a mix). */
function trafficModel(t: LoadedScenario["scenario"]["traffic"]): string {
  if (t.model !== undefined) return t.model;
  const mix = t.model_mix;
  if (mix === undefined) return "";
  return Array.isArray(mix) ? mix[0].model : (Object.keys(mix)[0] ?? "");
}

/** Routes `body` once with explanations on and collects what the policy says. */
export function explain(
  loaded: LoadedScenario,
  pasted: RequestBody,
  bodyFile: string,
  opts: ExplainOptions = {},
): Explanation {
  const s = loaded.scenario;
  const { spec, index } = policySpec(loaded, opts.policy);
  // R102: the scenario's presets, merged as the policy's knob says; unknown slug = OpenRouter's 400.
  const p = applyPreset(pasted, s.presets, presetMerge(spec.openrouter));
  if (p.kind === "error") throw new InputError(bodyFile, [{ path: formatPath(p.path), message: p.message }]);
  const tm = trafficModel(s.traffic);
  const body = tm ? requestBody(p.body, tm) : p.body;
  const ctx: PolicyContext = {
    catalog: buildCatalog(s.providers),
    scenario: s,
    baseDir: loaded.baseDir,
    file: loaded.file,
    path: index >= 0 ? `policies[${index}]` : "policies",
  };
  const bodyCtx = { ...ctx, file: bodyFile };
  if (body.model) checkModelId(body.model, bodyCtx, "model");
  for (const [i, m] of (body.models ?? []).entries()) checkModelId(m, bodyCtx, `models[${i}]`);
  const catalog = ctx.catalog;
  const built = buildPolicy(spec, ctx);
  const atMs = (opts.atS ?? 0) * 1000;
  let health: HealthView;
  if (atMs > 0) {
    // The scenario's own traffic through this policy up to t: health windows, outages, stickiness.
    const world = buildWorld(loaded, spec.request, built, catalog);
    world.sim.run(atMs);
    health = world.health;
  } else health = new HealthTracker(catalog.length, () => 0);
  const view = new View(catalog, health, atMs);
  built.policy.enableExplain?.();
  const promptTokens = opts.promptTokens ?? estimatedPromptTokens(body) ?? DEFAULT_PROMPT_TOKENS;
  const completionTokens =
    opts.completionTokens ?? body.max_tokens ?? body.max_completion_tokens ?? DEFAULT_COMPLETION_TOKENS;
  const model = body.model ?? body.models?.[0] ?? "";
  // An id past any the traffic uses: its draws are its own.
  const req = makeRequest(
    2 ** 40,
    atMs,
    promptTokens,
    completionTokens,
    model,
    opts.session,
    undefined,
    body,
  );
  const d = built.policy.route(req, view, new Rng(s.seed, "explain"));
  const why = (d.explain ?? {}) as Record<string, unknown>;
  const cfg = OpenRouterConfig.parse(spec.openrouter);
  const facts = (e: Endpoint): EndpointFacts => {
    const k = 1 - e.price.discount;
    const h = healthClass(e, view, cfg);
    return {
      endpoint: e.tag,
      price: { prompt: e.price.prompt * k, completion: e.price.completion * k },
      throughputP50: e.advertised.throughput.p50 ?? null,
      latencyP50S: e.advertised.latencyS.p50 ?? null,
      health: h === 0 ? "normal" : h === 1 ? "degraded" : "down",
      uptimePct: uptimePercent(e, view, cfg),
    };
  };
  const models = ((why.models as Record<string, unknown>[] | undefined) ?? []).map((w) =>
    modelPart(w, view.endpointsOf(String(w.model)).map(facts)),
  );
  const tags = (ids: readonly number[]) =>
    ids.map((i) =>
      catalog[i]
        ? { endpoint: catalog[i].tag, model: catalog[i].model }
        : { endpoint: "(chosen when run)", model: "" },
    );
  const notes: string[] = [];
  const sort = body.provider?.sort;
  const partition = typeof sort === "object" ? sort.partition : body.route === "sort" ? "none" : undefined;
  if (models.length > 1)
    notes.push(
      partition === "none" && sort !== undefined
        ? "partition none (R32): the models' endpoints are sorted together"
        : "partition model (R32): each model's endpoints before the next model's",
    );
  if (body.provider?.allow_fallbacks === false)
    notes.push(
      body.provider.order !== undefined
        ? "allow_fallbacks false (R29.3): only the providers listed in order"
        : "allow_fallbacks false (R30): one endpoint per model",
    );
  return {
    body: bodyFile,
    scenario: loaded.file,
    policy: spec.name,
    atS: atMs / 1000,
    promptTokens,
    completionTokens,
    resolved: body,
    chain: models.map((m) => m.requested),
    models,
    notes,
    ...(why.autoRouter !== undefined ? { autoRouter: why.autoRouter } : {}),
    order: d.kind === "route" ? tags(d.candidates) : null,
    error: d.kind === "reject" ? { status: d.status, code: d.code, excludedBy: d.excludedBy ?? [] } : null,
    ...(d.kind === "route" && d.emptyTail ? { emptyTail: d.emptyTail } : {}),
    warnings: requestBodyWarnings(body, "body"),
  };
}

function modelPart(w: Record<string, unknown>, endpoints: EndpointFacts[]): ModelExplanation {
  const lb = w.lb as { groups?: Record<string, string[]>; weights?: Record<string, number> } | undefined;
  let lbOut: ModelExplanation["lb"];
  if (lb?.weights) {
    // R24b: the first pick is weighted within the best non-empty health group.
    const first = Object.values(lb.groups ?? {}).find((g) => g.length > 0) ?? Object.keys(lb.weights);
    const total = first.reduce((a, t) => a + (lb.weights![t] ?? 0), 0);
    const shares: Record<string, number> = {};
    for (const t of first) shares[t] = total > 0 ? (lb.weights[t] ?? 0) / total : 1 / first.length;
    lbOut = { groups: lb.groups ?? {}, weights: lb.weights, shares };
  }
  return {
    requested: String(w.requested),
    model: String(w.model),
    endpoints,
    removed: (w.removed as { endpoint: string; rule: string }[] | undefined) ?? [],
    eligible: (w.eligible as string[] | undefined) ?? [],
    ...(w.excludedBy ? { excludedBy: w.excludedBy as string[] } : {}),
    ...(w.strippedParams ? { strippedParams: w.strippedParams as string[] } : {}),
    ...(w.mode ? { mode: String(w.mode) } : {}),
    ...(lbOut ? { lb: lbOut } : {}),
    ...(w.byok ? { byok: w.byok } : {}),
    ...(w.sticky ? { sticky: String(w.sticky) } : {}),
  };
}

const MODES: Readonly<Record<string, string>> = {
  order: "provider.order (R29): listed providers first, in the listed order",
  "service_tier:flex": "service_tier flex (R12b): flex endpoints only, by price",
  autoExacto: "Auto Exacto (R23): tools sent, ranked by tool-call quality",
};

function modeText(mode: string): string {
  if (MODES[mode]) return MODES[mode];
  if (mode.startsWith("sort:")) return `sorted by ${mode.slice(5)} (R28), deterministic`;
  if (mode.startsWith("lb:"))
    return `load balancing ${mode.slice(3)} (R24–R27): weighted random over the weights below (R24b)`;
  return mode;
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const num = (x: number) => String(Number(x.toPrecision(4)));

function endpointText(e: EndpointFacts): string {
  const parts = [`$${num(e.price.prompt)}/$${num(e.price.completion)} per M`];
  if (e.throughputP50 !== null) parts.push(`${num(e.throughputP50)} tok/s`);
  if (e.latencyP50S !== null) parts.push(`TTFT ${num(e.latencyP50S)} s`);
  parts.push(e.uptimePct === null ? e.health : `${e.health}, uptime ${e.uptimePct.toFixed(1)} %`);
  return parts.join("  ");
}

/** The explanation as text for a terminal. */
export function formatExplanation(x: Explanation): string {
  const out: string[] = [];
  out.push(`explain ${x.body} with policy "${x.policy}" at t = ${x.atS} s`);
  out.push(`  request: ${x.promptTokens} prompt + ${x.completionTokens} completion tokens`);
  if (x.chain.length > 1) out.push(`  models fallback chain (R51): ${x.chain.join(" → ")}`);
  x.models.forEach((m, i) => {
    out.push("");
    const head = m.requested === m.model ? m.model : `${m.requested} (endpoints of ${m.model})`;
    out.push(`model ${i + 1}: ${head}`);
    if (m.endpoints.length === 0) {
      out.push("  not in the scenario's catalog → model_not_found (R41)");
      return;
    }
    const width = Math.max(...m.endpoints.map((e) => e.endpoint.length));
    for (const e of m.endpoints) {
      const gone = m.removed.filter((r) => r.endpoint === e.endpoint && !r.rule.startsWith("R20 kept"));
      const mark = m.eligible.includes(e.endpoint) ? "✓" : "✗";
      out.push(`  ${mark} ${e.endpoint.padEnd(width)}  ${endpointText(e)}`);
      for (const r of gone) out.push(`      removed: ${r.rule}`);
    }
    for (const r of m.removed) if (r.rule.startsWith("R20 kept")) out.push(`  ${r.endpoint}: ${r.rule}`);
    out.push(`  eligible: ${m.eligible.length ? m.eligible.join(", ") : "none"}`);
    if (m.excludedBy?.length) out.push(`  excluded_by: ${m.excludedBy.join(", ")} (R22)`);
    if (m.strippedParams?.length)
      out.push(`  stripped (no endpoint supports them, R19): ${m.strippedParams.join(", ")}`);
    if (m.mode) out.push(`  order: ${modeText(m.mode)}`);
    if (m.lb) {
      for (const [g, ts] of Object.entries(m.lb.groups))
        if (ts.length > 0) out.push(`    group ${g}: ${ts.join(", ")}`);
      for (const [t, w] of Object.entries(m.lb.weights))
        out.push(
          `    ${t.padEnd(24)} weight ${w.toPrecision(4).padStart(10)}${m.lb.shares[t] !== undefined ? `  first pick ${pct(m.lb.shares[t])}` : ""}`,
        );
    }
    if (m.sticky) out.push(`  sticky (R88): ${m.sticky} first`);
    if (m.byok) out.push(`  BYOK (R33): ${JSON.stringify(m.byok)}`);
  });
  if (x.autoRouter !== undefined) out.push("", `Auto Router (R74): ${JSON.stringify(x.autoRouter)}`);
  out.push("");
  for (const n of x.notes) out.push(n);
  if (x.error)
    out.push(
      `→ rejected before any attempt: ${x.error.status} ${x.error.code}${x.error.excludedBy.length ? ` (excluded_by: ${x.error.excludedBy.join(", ")})` : ""}`,
    );
  else if (x.order) {
    const many = new Set(x.order.map((o) => o.model)).size > 1;
    const shown = x.order.map((o) => (many ? `${o.endpoint} (${o.model})` : o.endpoint));
    out.push(`→ attempt order (one draw): ${shown.length ? shown.join(" → ") : "none"}`);
    out.push(
      x.emptyTail
        ? `  if all fail: ${x.emptyTail.status} ${x.emptyTail.code} (R60: the last model has no eligible endpoint)`
        : "  if all fail: the error of the last model's attempts (R60)",
    );
  }
  return `${out.join("\n")}\n`;
}

interface ExplainFlags {
  scenario?: string;
  policy?: string;
  atS?: string;
  promptTokens?: string;
  completionTokens?: string;
  session?: string;
  json?: boolean;
}

export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description(
      "why an OpenRouter request body goes where it goes: endpoints after each filter, order and weights, fallbacks, error",
    )
    .argument("<body>", "request body JSON as sent to /api/v1/chat/completions (a file, or - for stdin)")
    .requiredOption(
      "-s, --scenario <file>",
      "scenario whose providers (and presets, policy knobs) to route over",
    )
    .option("--policy <name>", "openrouter policy of the scenario (default: its first openrouter policy)")
    .option(
      "--at-s <t>",
      "simulate the scenario's traffic up to t seconds first (health, outages); default 0",
    )
    .option("--prompt-tokens <n>", "prompt size (default: estimated from messages, else 1000)")
    .option("--completion-tokens <n>", "completion size (default: max_tokens, else 500)")
    .option("--session <id>", "conversation key, as the traffic's session would carry it (R83)")
    .option("--json", "print the explanation as JSON")
    .addHelpText(
      "after",
      "\nExample:\n  routesim explain body.json --scenario scenarios/openrouter/provider-object.yaml\n  pbpaste | routesim explain - -s scenario.yaml --at-s 120 --json",
    )
    .action((file: string, flags: ExplainFlags) => {
      const atS = flags.atS === undefined ? undefined : Number(flags.atS);
      if (atS !== undefined && !(Number.isFinite(atS) && atS >= 0))
        throw new UsageError(`--at-s expects a non-negative number of seconds, got "${flags.atS}"`);
      const loaded = loadScenario(flags.scenario!);
      const body = readBody(file);
      const x = explain(loaded, body, file === "-" ? "<stdin>" : file, {
        policy: flags.policy,
        atS,
        promptTokens: positive("prompt-tokens", flags.promptTokens),
        completionTokens: positive("completion-tokens", flags.completionTokens),
        session: flags.session,
      });
      printWarnings(x.warnings);
      process.stdout.write(flags.json ? `${JSON.stringify(x, null, 2)}\n` : formatExplanation(x));
    });
}

function positive(name: string, v: string | undefined): number | undefined {
  const n = parseIntFlag(name, v);
  if (n === 0) throw new UsageError(`--${name} expects a positive integer, got 0`);
  return n;
}
