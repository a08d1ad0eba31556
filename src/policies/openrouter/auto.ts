/**
 * Auto Router (`openrouter/auto`, R74–R81). A hook ranks models for the request (default: a seeded
 * task-type classifier over request features with per-task rankings from the scenario; alternative:
 * the NotDiamond-era cost/quality trade-off); routesim then applies the plugin settings around it
 * (allowed/excluded globs, cost_tier band, pin_model, router stickiness) and routes the top models
 * as a `models` list. R103: the hook may also pick a reasoning effort, and `openrouter/auto-code` is
 * the same engine under the "code" policy; R118: a `switchyard-router` plugin's `algorithm` is
 * passed to the hook, and `passthrough` / `random` are applied here.
 */
import type { Endpoint, RequestBody, RoutedRequest } from "../../types.js";
import type { EndpointView } from "../types.js";
import type { Uniform } from "../weighted.js";
import type { CostBand, OpenRouterConfig } from "./config.js";
import { globMatch } from "./models.js";
import { weightingPrice } from "./price.js";

export const AUTO_IDS = new Set(["openrouter/auto", "openrouter/auto-beta", "openrouter/auto-code"]);

/** R118: `switchyard-router` algorithms (SDK 1.3.19); `capability` is the platform default. */
export type SwitchyardAlgorithm = "capability" | "stage" | "auto" | "random" | "composite" | "passthrough";

/** What the hook is told besides the request (R103 policy, R118 algorithm). */
export interface AutoContext {
  readonly policy: "general" | "code";
  readonly algorithm?: SwitchyardAlgorithm;
}

/** R79/R103: the hook's answer. */
export interface AutoRanking {
  taskType?: string;
  rankedModels: readonly string[];
  /** Written into the body's `reasoning.effort` before provider routing (R103). */
  reasoningEffort?: string;
}

export interface AutoSettings {
  allowed_models?: string[];
  excluded_models?: string[];
  cost_tier?: CostBand;
  cost_quality_tradeoff?: number;
  pin_model?: boolean;
}

/** R79: the simulator hook (R103: with the policy and any R118 algorithm). */
export type AutoRouterHook = (
  req: RoutedRequest,
  view: EndpointView,
  settings: AutoSettings,
  rng: Uniform,
  ctx: AutoContext,
) => AutoRanking;

export type AutoChoice =
  | {
      kind: "models";
      taskType: string | null;
      models: string[];
      ranked: readonly string[];
      reasoningEffort: string | null;
    }
  | { kind: "reject"; status: number; code: string; message: string; taskType: string | null };

const BANDS: Record<CostBand, [number, number]> = {
  low: [0, 20],
  medium: [20, 40],
  high: [40, 60],
  xhigh: [60, 80],
  max: [80, 100.0001],
};

/** R118: the `switchyard-router` plugin's algorithm, or undefined without the plugin. */
export function switchyardAlgorithm(body: RequestBody): SwitchyardAlgorithm | undefined {
  const p = body.plugins?.find((x) => x.id === "switchyard-router" && x.enabled !== false);
  if (p === undefined) return undefined;
  return (p.algorithm as SwitchyardAlgorithm | undefined) ?? "capability";
}

/** R77: settings from `plugins`; `openrouter/auto-beta` reads only `auto-beta-router`. */
export function autoSettings(model: string, body: RequestBody): AutoSettings {
  const id = model === "openrouter/auto-beta" ? "auto-beta-router" : "auto-router";
  const p = body.plugins?.find((x) => x.id === id && x.enabled !== false);
  return (p as AutoSettings | undefined) ?? {};
}

/** Quality of a model for a task: the first endpoint's `quality[task]`, or undefined. */
export function modelQuality(view: EndpointView, model: string, task: string): number | undefined {
  for (const e of view.endpointsOf(model)) if (e.quality?.[task] !== undefined) return e.quality[task];
  return undefined;
}

export class AutoRouter {
  private readonly lastModel = new Map<string, string>();
  private readonly priceCache = new Map<string, number>();
  readonly hook: AutoRouterHook;

  constructor(
    private readonly cfg: OpenRouterConfig,
    hook?: AutoRouterHook,
  ) {
    this.hook = hook ?? this.builtIn;
  }

  /** Default hook: the configured ranking; the code policy re-ranks it with speed (R103, interp.). */
  readonly builtIn: AutoRouterHook = (req, view, s, rng, ctx) => {
    const a = this.cfg.autoRouter;
    const r = (a.mode === "costQuality" ? this.costQuality : this.taskRanking)(req, view, s, rng, ctx);
    const effort = ctx.policy === "code" ? a.code.reasoningEffort : a.reasoningEffort;
    const ranked = ctx.policy === "code" ? this.bySpeed(r.rankedModels, view) : r.rankedModels;
    return { ...r, rankedModels: ranked, ...(effort !== null ? { reasoningEffort: effort } : {}) };
  };

  /** R103 Auto Code weighs speed more: 1 − rank/n + speedWeight × throughput / best throughput. */
  private bySpeed(models: readonly string[], view: EndpointView): string[] {
    const n = models.length;
    const thr = models.map((m) => {
      let t = 0;
      for (const e of view.endpointsOf(m)) t = Math.max(t, e.advertised.throughput.p50 ?? 0);
      return t;
    });
    const best = Math.max(...thr, 1e-12);
    const w = this.cfg.autoRouter.code.speedWeight;
    return models
      .map((m, i) => ({ m, i, s: 1 - i / n + (w * thr[i]) / best }))
      .sort((x, y) => y.s - x.s || x.i - y.i)
      .map((x) => x.m);
  }

  /** Default hook: classify the request into a task type, return that task's ranking (R75). */
  readonly taskRanking: AutoRouterHook = (req, _view, _s, rng) => {
    const task = this.classify(req, rng);
    if (task === null) return { rankedModels: this.cfg.autoRouter.defaultModels };
    return { taskType: task.name, rankedModels: task.rankings };
  };

  /** Alternative hook (R76): quality − trade-off × normalised cost over every known model. */
  readonly costQuality: AutoRouterHook = (req, view, s, rng) => {
    const a = this.cfg.autoRouter;
    const task = this.classify(req, rng);
    const pool = [...new Set([...a.tasks.flatMap((t) => t.rankings), ...a.defaultModels])].filter(
      (m) => view.endpointsOf(m).length > 0,
    );
    const prices = pool.map((m) => this.modelPrice(view, m));
    const maxP = Math.max(...prices, 1e-12);
    const lambda = (s.cost_quality_tradeoff ?? a.costQualityTradeoff) / 10;
    const scored = pool.map((m, i) => ({
      m,
      i,
      s: (task ? (modelQuality(view, m, task.name) ?? 0) : 0) - lambda * (prices[i] / maxP),
    }));
    scored.sort((x, y) => y.s - x.s || x.i - y.i);
    return { taskType: task?.name, rankedModels: scored.map((x) => x.m) };
  };

  private classify(req: RoutedRequest, rng: Uniform): OpenRouterConfig["autoRouter"]["tasks"][number] | null {
    const tasks = this.cfg.autoRouter.tasks;
    if (tasks.length === 0) return null;
    const fit = tasks.filter(
      (t) =>
        !t.prompt_tokens || (req.promptTokens >= t.prompt_tokens[0] && req.promptTokens < t.prompt_tokens[1]),
    );
    const pool = fit.length > 0 ? fit : tasks;
    let pick = weightedPick(pool, rng);
    if (this.cfg.autoRouter.classifierErrorRate > 0 && rng.next() < this.cfg.autoRouter.classifierErrorRate) {
      const others = tasks.filter((t) => t !== pick);
      if (others.length > 0)
        pick = others[Math.min(others.length - 1, Math.floor(rng.next() * others.length))];
    }
    return pick;
  }

  /** Cheapest weighting price among a model's endpoints. */
  modelPrice(view: EndpointView, model: string): number {
    let p = this.priceCache.get(model);
    if (p === undefined) {
      p = Number.POSITIVE_INFINITY;
      for (const e of view.endpointsOf(model)) p = Math.min(p, weightingPrice(e, this.cfg));
      this.priceCache.set(model, p);
    }
    return p;
  }

  /** R74–R78: the ordered models to route, or the 404 when restrictions leave nothing. */
  choose(
    requestedModel: string,
    req: RoutedRequest,
    view: EndpointView,
    rng: Uniform,
    conversation: string | null,
  ): AutoChoice {
    const a = this.cfg.autoRouter;
    const s = autoSettings(requestedModel, req.body);
    const policy = requestedModel === "openrouter/auto-code" ? "code" : "general";
    const algorithm = switchyardAlgorithm(req.body);
    const ctx: AutoContext = algorithm !== undefined ? { policy, algorithm } : { policy };
    const ranked = this.hook(req, view, s, rng, ctx);
    const taskType = ranked.taskType ?? null;
    const reasoningEffort = ranked.reasoningEffort ?? null;
    let list = ranked.rankedModels.filter((m) => view.endpointsOf(m).length > 0);
    if (list.length === 0) list = a.defaultModels.filter((m) => view.endpointsOf(m).length > 0);
    if (s.allowed_models && s.allowed_models.length > 0)
      list = list.filter((m) => s.allowed_models!.some((p) => globMatch(p, m)));
    if (s.excluded_models) list = list.filter((m) => !s.excluded_models!.some((p) => globMatch(p, m)));
    if (list.length === 0)
      return {
        kind: "reject",
        status: 404,
        code: "no_models_match",
        message: "No models match your request and model restrictions",
        taskType,
      };
    // R118 passthrough: the ranked list as is (restrictions still apply), no routing decision.
    if (algorithm === "passthrough")
      return {
        kind: "models",
        taskType,
        models: list.slice(0, a.topN),
        ranked: ranked.rankedModels,
        reasoningEffort,
      };
    const defaultBand = policy === "code" ? a.code.defaultCostTier : a.defaultCostTier;
    const band = s.cost_tier ?? (s.cost_quality_tradeoff !== undefined ? null : defaultBand);
    if (band !== null) list = this.inBand(list, view, band);
    if (algorithm === "random") {
      // R118 random: a uniform pick, then the rest in ranked order as fallbacks (interp.).
      const k = Math.min(list.length - 1, Math.floor(rng.next() * list.length));
      const top = [list[k], ...list.filter((_, i) => i !== k)].slice(0, a.topN);
      return { kind: "models", taskType, models: top, ranked: ranked.rankedModels, reasoningEffort };
    }
    const remembered = conversation !== null ? this.lastModel.get(conversation) : undefined;
    let top = list.slice(0, a.topN);
    if (remembered !== undefined) {
      if (s.pin_model && list.includes(remembered))
        top = [remembered, ...top.filter((m) => m !== remembered)];
      else if (a.stickiness && top.includes(remembered))
        top = [remembered, ...top.filter((m) => m !== remembered)];
    }
    return {
      kind: "models",
      taskType,
      models: top.slice(0, a.topN),
      ranked: ranked.rankedModels,
      reasoningEffort,
    };
  }

  /** R77 cost band by cost percentile among the candidates; never empties (nearest kept). */
  private inBand(list: string[], view: EndpointView, band: CostBand): string[] {
    if (list.length <= 1) return list;
    const byPrice = list
      .map((m, i) => ({ m, i, p: this.modelPrice(view, m) }))
      .sort((x, y) => x.p - y.p || x.i - y.i);
    const pct = new Map<string, number>();
    byPrice.forEach((x, r) => {
      pct.set(x.m, (100 * r) / (list.length - 1));
    });
    const [lo, hi] = BANDS[band];
    const kept = list.filter((m) => pct.get(m)! >= lo && pct.get(m)! < hi);
    if (kept.length > 0) return kept;
    const mid = (lo + hi) / 2;
    let best = list[0];
    for (const m of list) if (Math.abs(pct.get(m)! - mid) < Math.abs(pct.get(best)! - mid)) best = m;
    return [best];
  }

  /** Router stickiness (R78): remember the model that served the conversation. */
  served(conversation: string, e: Endpoint): void {
    this.lastModel.set(conversation, e.model);
  }
}

function weightedPick<T extends { weight: number }>(items: readonly T[], rng: Uniform): T {
  let total = 0;
  for (const t of items) total += t.weight;
  let x = rng.next() * total;
  for (const t of items) {
    if (x < t.weight) return t;
    x -= t.weight;
  }
  return items[items.length - 1];
}
