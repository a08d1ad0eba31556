/**
 * LiteLLM's routing strategies (docs/gateways.md §1.1, §1.5): which healthy deployment of a model
 * group a call goes to under simple-shuffle, least-busy, latency-based, usage-based (v1 and v2) and
 * cost-based routing, and the usage (calendar-minute rpm/tpm), latency and in-flight state they read.
 */
import type { Rng } from "../../rng/rng.js";
import type { AttemptRecord, Endpoint, RoutedRequest } from "../../types.js";
import type { LiteConfig, LiteDeployment } from "./config.js";
import type { Cooldowns } from "./cooldown.js";
import { CONTEXT_WINDOW, type LiteError, NO_DEPLOYMENTS, OVER_BUDGET, ZERO_WEIGHTS } from "./errors.js";

const MINUTE = 60_000;
const TIMEOUT_PENALTY_S = 1000;

export class Strategy {
  // Usage (calendar minute) and latency state.
  private readonly minute: Float64Array;
  private readonly rpmUsed: Int32Array;
  private readonly tpmUsed: Float64Array;
  private readonly latency: number[][];
  private readonly groupLastSuccess = new Map<string, number>();
  /**
   * least-busy's `{group}_request_count` maps (§1.5): deployment → in flight, in the order entries
   * were first written (a started call, or an unused healthy deployment seen by a pick once the map
   * exists). Cooled-down deployments stay in.
   */
  private readonly inflight = new Map<string, Map<number, number>>();

  constructor(
    private readonly cfg: LiteConfig,
    private readonly catalog: readonly Endpoint[],
    /** Model group → its deployments' indices. */
    private readonly groups: ReadonlyMap<string, readonly number[]>,
    private readonly cooldowns: Cooldowns,
    private readonly streaming: boolean,
  ) {
    const n = cfg.deployments.length;
    this.minute = new Float64Array(n).fill(-1);
    this.rpmUsed = new Int32Array(n);
    this.tpmUsed = new Float64Array(n);
    this.latency = Array.from({ length: n }, () => []);
  }

  /** In-flight counts of a group's least-busy map, in map order (for tests). */
  inflightOf(group: string): [string, number][] {
    return [...(this.inflight.get(group) ?? [])].map(([d, c]) => [this.cfg.deployments[d].id, c]);
  }

  private touchMinute(d: number, now: number): void {
    const m = Math.floor(now / MINUTE);
    if (this.minute[d] !== m) {
      this.minute[d] = m;
      this.rpmUsed[d] = 0;
      this.tpmUsed[d] = 0;
    }
  }

  private overLimits(d: number, now: number, inputTokens: number, strict: boolean): boolean {
    const dep = this.cfg.deployments[d];
    this.touchMinute(d, now);
    if (dep.tpm !== undefined && this.tpmUsed[d] + inputTokens > dep.tpm) return true;
    // usage-based-v2 stops selecting at rpm − 1 (§1.5 ⚠ `≥`); latency/cost skip at rpm.
    if (dep.rpm !== undefined && (strict ? this.rpmUsed[d] + 1 >= dep.rpm : this.rpmUsed[d] >= dep.rpm))
      return true;
    return false;
  }

  private meanLatency(d: number, group: string, now: number): number {
    const last = this.groupLastSuccess.get(group);
    if (last !== undefined && now - last > this.cfg.latencyTtlS * 1000) {
      for (const x of this.groups.get(group)!) this.latency[x].length = 0;
      this.groupLastSuccess.delete(group);
    }
    const s = this.latency[d];
    if (s.length === 0) return 0; // never measured: counts as 0 and wins (§1.5)
    let sum = 0;
    for (const v of s) sum += v;
    return sum / s.length;
  }

  /** Deployments a pick chooses from: not cooled down, then the pre-call checks (context window, order). */
  healthy(group: string, req: RoutedRequest, now: number): number[] | LiteError {
    let h = (this.groups.get(group) ?? []).filter((d) => !this.cooldowns.isCooledDown(d, now));
    if (this.cfg.preCallChecks && h.length > 0) {
      const tokens = req.promptTokens + req.completionTokens;
      h = h.filter((d) => this.catalog[this.cfg.deployments[d].endpoint].contextLength >= tokens);
      // `_pre_call_checks` raises ContextWindowExceededError when the context filter leaves nothing.
      if (h.length === 0) return CONTEXT_WINDOW;
      const orders = h.map((d) => this.cfg.deployments[d].order ?? Number.POSITIVE_INFINITY);
      const lowest = Math.min(...orders);
      if (lowest !== Number.POSITIVE_INFINITY) h = h.filter((_, i) => orders[i] === lowest);
    }
    return h;
  }

  /** Runs the routing strategy over the healthy deployments: a deployment, or why the pick failed. */
  pick(group: string, req: RoutedRequest, now: number, rng: Rng): number | LiteError {
    const h = this.healthy(group, req, now);
    if (!Array.isArray(h)) return h;
    if (h.length === 0) return NO_DEPLOYMENTS;
    const deps = this.cfg.deployments;
    switch (this.cfg.strategy) {
      case "simple-shuffle": {
        // §1.1 weight quirk: only healthy[0] decides which field is used; missing values are 0.
        const first = deps[h[0]];
        const field: ((d: LiteDeployment) => number | undefined) | null =
          first.weight !== undefined
            ? (d) => d.weight
            : first.rpm !== undefined
              ? (d) => d.rpm
              : first.tpm !== undefined
                ? (d) => d.tpm
                : null;
        if (field === null) return h[rng.int(h.length)];
        const w = h.map((d) => field(deps[d]) ?? 0);
        const total = w.reduce((a, b) => a + b, 0);
        // §1.1 zero weights: random.choices raises ValueError; there is no uniform fallback.
        if (total <= 0) return ZERO_WEIGHTS;
        const x = rng.next() * total;
        let acc = 0;
        for (let i = 0; i < h.length; i++) {
          acc += w[i];
          if (x < acc) return h[i];
        }
        return h[h.length - 1];
      }
      case "least-busy":
        return this.leastBusy(group, h, rng);
      case "latency-based-routing": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, false));
        if (ok.length === 0) return NO_DEPLOYMENTS;
        const means = ok.map((d) => this.meanLatency(d, group, now));
        const min = Math.min(...means);
        const within = ok.filter((_, i) => means[i] <= (1 + this.cfg.latencyBuffer) * min);
        return within[rng.int(within.length)];
      }
      case "usage-based-routing":
      case "usage-based-routing-v2": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, true));
        if (ok.length === 0) return OVER_BUDGET;
        const min = Math.min(...ok.map((d) => this.tpmUsed[d]));
        const lowest = ok.filter((d) => this.tpmUsed[d] === min);
        return lowest[rng.int(lowest.length)];
      }
      case "cost-based-routing": {
        const ok = h.filter((d) => !this.overLimits(d, now, req.promptTokens, false));
        if (ok.length === 0) return NO_DEPLOYMENTS;
        let best = ok[0];
        let bestCost = Number.POSITIVE_INFINITY;
        for (const d of ok) {
          const p = this.catalog[deps[d].endpoint].price;
          const c = p.prompt + p.completion;
          if (c < bestCost) {
            bestCost = c;
            best = d;
          }
        }
        return best;
      }
    }
  }

  /**
   * least_busy.py `_get_available_deployments`: unused healthy deployments join the map with 0
   * (kept only once the map exists, i.e. after the group's first call); the first entry with the
   * strictly smallest count wins if it is healthy, else `random.choice` over the healthy ones.
   */
  private leastBusy(group: string, h: readonly number[], rng: Rng): number {
    const m = this.inflight.get(group) ?? new Map<number, number>();
    for (const d of h) if (!m.has(d)) m.set(d, 0);
    let best = -1;
    let min = Number.POSITIVE_INFINITY;
    for (const [d, c] of m)
      if (c < min) {
        min = c;
        best = d;
      }
    return h.includes(best) ? best : h[rng.int(h.length)];
  }

  /** A call to deployment `d` starts: its minute's request count and its group's in-flight map. */
  started(d: number, now: number): void {
    this.touchMinute(d, now);
    this.rpmUsed[d]++;
    const g = this.cfg.deployments[d].group;
    let m = this.inflight.get(g);
    if (m === undefined) {
      m = new Map();
      this.inflight.set(g, m);
    }
    m.set(d, (m.get(d) ?? 0) + 1);
  }

  /** A call to deployment `d` ended (observed, or dropped by the router). */
  ended(d: number): void {
    const m = this.inflight.get(this.cfg.deployments[d].group)!;
    m.set(d, (m.get(d) ?? 0) - 1);
  }

  /** Usage and latency of a successful call (§1.5). */
  succeeded(d: number, a: AttemptRecord, now: number): void {
    this.touchMinute(d, now);
    this.tpmUsed[d] += a.promptTokens + a.completionTokens;
    const secs = this.streaming ? a.ttftMs / 1000 : (a.endMs - a.startMs) / 1000;
    this.addLatency(d, a.completionTokens > 0 ? secs / a.completionTokens : secs);
    this.groupLastSuccess.set(this.cfg.deployments[d].group, now);
  }

  /** A timed-out call counts as a very slow one in latency-based routing. */
  timedOut(d: number): void {
    this.addLatency(d, TIMEOUT_PENALTY_S);
  }

  private addLatency(d: number, v: number): void {
    const s = this.latency[d];
    s.push(v);
    if (s.length > this.cfg.maxLatencyListSize) s.shift();
  }
}
