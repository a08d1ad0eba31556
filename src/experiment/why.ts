/**
 * Why traffic went where it went (issue 25 item 8), counted from every decision and attempt of a
 * run: which endpoint each request tried first, which endpoints of its model the policy left out
 * (filters, cooldowns, ejections), which it placed in a lower health group (OpenRouter's
 * deprioritisation, when the decision says), and where attempts after a failure went.
 */
import type { Decision } from "../policies/types.js";
import type { AttemptRecord, Endpoint } from "../types.js";

/** The decision of a request read back from a results folder (its attempts are not passed either). */
export const UNKNOWN_DECISION = Object.freeze({ kind: "route", candidates: [] }) as unknown as Decision;

export class WhyCounts {
  private requests = 0;
  private rejected = 0;
  private readonly first: number[] = [];
  /** Requests whose first attempt's model this endpoint serves, and that could be checked. */
  private readonly ofModel: number[] = [];
  private readonly leftOut: number[] = [];
  /** Decisions that ranked the endpoint with a health group, and those that put it below group 0. */
  private readonly ranked: number[] = [];
  private readonly demoted: number[] = [];
  private readonly retried: number[] = [];
  /** Sum over ranking decisions of the endpoint's weight share among those ranked. */
  private readonly weightShare: number[] = [];
  private readonly ids: number[] = [];
  private readonly weights: number[] = [];
  /** Stamp per endpoint: the request number that offered it (no clearing between requests). */
  private readonly offered: number[] = [];
  private readonly byModel = new Map<string, number[]>();

  constructor(private readonly catalog: readonly Endpoint[]) {
    for (const e of catalog) {
      for (const a of [
        this.first,
        this.ofModel,
        this.leftOut,
        this.ranked,
        this.demoted,
        this.retried,
        this.weightShare,
      ])
        a.push(0);
      this.offered.push(-1);
      const ids = this.byModel.get(e.model) ?? [];
      ids.push(e.id);
      this.byModel.set(e.model, ids);
    }
  }

  outcome(attempts: readonly AttemptRecord[], d: Decision): void {
    if (d === UNKNOWN_DECISION) return;
    const n = this.requests++;
    if (d.kind !== "route") {
      this.rejected++;
      return;
    }
    for (let k = 0; k < attempts.length; k++) {
      const id = attempts[k].endpoint.id;
      if (k === 0) this.first[id]++;
      else this.retried[id]++;
    }
    let checkable = true;
    if (d.standings) {
      const ids = this.ids;
      const weights = this.weights;
      ids.length = 0;
      weights.length = 0;
      let total = 0;
      d.standings((id, group, weight) => {
        this.offered[id] = n;
        this.ranked[id]++;
        if (group > 0) this.demoted[id]++;
        ids.push(id);
        weights.push(weight);
        total += weight;
      });
      if (total > 0 && Number.isFinite(total))
        for (let i = 0; i < ids.length; i++) this.weightShare[ids[i]] += weights[i] / total;
    } else
      for (const id of d.candidates) {
        // A step chosen only when it runs (LiteLLM's retries): what it leaves out is not known here.
        if (id < 0) checkable = false;
        else this.offered[id] = n;
      }
    if (!checkable || attempts.length === 0) return;
    for (const id of this.byModel.get(attempts[0].endpoint.model) ?? []) {
      this.ofModel[id]++;
      if (this.offered[id] !== n) this.leftOut[id]++;
    }
  }

  /** Named values per endpoint label: `why.<what>.<label>`, fractions (NaN where not measured). */
  values(v: Record<string, number>): void {
    if (this.requests === 0) return;
    const n = this.requests;
    for (const e of this.catalog) {
      const id = e.id;
      v[`why.first.${e.label}`] = this.first[id] / n;
      v[`why.retried.${e.label}`] = this.retried[id] / n;
      if (this.ofModel[id] > 0) v[`why.leftOut.${e.label}`] = this.leftOut[id] / this.ofModel[id];
      if (this.ranked[id] > 0) {
        v[`why.deprioritised.${e.label}`] = this.demoted[id] / this.ranked[id];
        v[`why.weightShare.${e.label}`] = this.weightShare[id] / this.ranked[id];
      }
    }
    v["why.rejected"] = this.rejected / n;
  }
}
