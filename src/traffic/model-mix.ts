/** Which model a request asks for: the traffic's `model`, or a weighted draw from `model_mix`. */
import type { Rng } from "../rng/rng.js";
import type { Traffic } from "../types.js";

export class ModelMix {
  private readonly models: string[];
  private readonly cum: number[];

  constructor(traffic: Pick<Traffic, "model" | "model_mix">) {
    const mix = traffic.model_mix;
    const entries: [string, number][] = !mix
      ? [[traffic.model ?? "", 1]]
      : Array.isArray(mix)
        ? mix.map((m) => [m.model, m.weight])
        : Object.entries(mix);
    const total = entries.reduce((s, [, w]) => s + w, 0) || 1;
    let acc = 0;
    this.models = entries.map(([m]) => m);
    this.cum = entries.map(([, w]) => (acc += w / total));
  }

  /** Draws a model; a single model consumes no draw (so adding a mix never shifts other streams). */
  pick(rng: Rng): string {
    if (this.models.length === 1) return this.models[0];
    const u = rng.next();
    let k = 0;
    while (k < this.cum.length - 1 && u >= this.cum[k]) k++;
    return this.models[k];
  }
}
