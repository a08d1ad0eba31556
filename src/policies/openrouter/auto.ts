/**
 * Auto Router (`openrouter/auto`, R74–R81). A hook ranks models for the request (default: a seeded
 * task-type classifier over request features with per-task rankings from the scenario; alternative:
 * the NotDiamond-era cost/quality trade-off); routesim then applies the plugin settings around it
 * (allowed/excluded globs, cost_tier band, pin_model, router stickiness) and routes the top models
 * as a `models` list.
 */
import type { RequestBody } from "../../scenario/schema.js";
import type { Endpoint, RoutedRequest } from "../../types.js";
import type { EndpointView } from "../types.js";
import type { Uniform } from "../weighted.js";
import type { CostBand, OpenRouterConfig } from "./config.js";
import { globMatch } from "./models.js";
import { weightingPrice } from "./price.js";

export const AUTO_IDS = new Set(["openrouter/auto", "openrouter/auto-beta"]);

export interface AutoSettings {
  allowed_models?: string[];
  excluded_models?: string[];
  cost_tier?: CostBand;
  cost_quality_tradeoff?: number;
  pin_model?: boolean;
}

/** R79: the simulator hook. */
export type AutoRouterHook = (
  req: RoutedRequest,
  view: EndpointView,
  settings: AutoSettings,
  rng: Uniform,
) => { taskType?: string; rankedModels: readonly string[] };

export type AutoChoice =
  | { kind: "models"; taskType: string | null; models: string[]; ranked: readonly string[] }
  | { kind: "reject"; status: number; code: string; message: string; taskType: string | null };

const BANDS: Record<CostBand, [number, number]> = {
  low: [0, 20],
  medium: [20, 40],
  high: [40, 60],
  xhigh: [60, 80],
  max: [80, 100.0001],
};

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
    this.hook = hook ?? (cfg.autoRouter.mode === "costQuality" ? this.costQuality : this.taskRanking);
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
    const ranked = this.hook(req, view, s, rng);
    const taskType = ranked.taskType ?? null;
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
    const band = s.cost_tier ?? (s.cost_quality_tradeoff !== undefined ? null : a.defaultCostTier);
    if (band !== null) list = this.inBand(list, view, band);
    const remembered = conversation !== null ? this.lastModel.get(conversation) : undefined;
    let top = list.slice(0, a.topN);
    if (remembered !== undefined) {
      if (s.pin_model && list.includes(remembered))
        top = [remembered, ...top.filter((m) => m !== remembered)];
      else if (a.stickiness && top.includes(remembered))
        top = [remembered, ...top.filter((m) => m !== remembered)];
    }
    return { kind: "models", taskType, models: top.slice(0, a.topN), ranked: ranked.rankedModels };
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
