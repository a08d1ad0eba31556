/**
 * Draws reports' charts on the runners of a parallel run once their replications are done (see
 * `withPool` in pool.ts). Each `render` call, one report's charts, goes to an idle runner: first
 * the one that loaded vega while the others finished their jobs, then the others, this thread
 * among them. A comparison has one report; a sweep has one per grid point, drawn side by side.
 * Every runner draws the same SVG for the same specs.
 */
import type { Worker } from "node:worker_threads";
import type { TopLevelSpec } from "vega-lite";

/** Draws chart specs as SVG, in order (the report's ChartRenderer, report/charts.ts). */
export type Render = (specs: readonly TopLevelSpec[]) => Promise<string[]>;

/** Charts drawn by a worker, or why they could not be, for the request with the same number. */
export type DrawReply = { drawn: number; svgs: string[] } | { drawn: number; failure: string };
/** Asks the drawing worker for the SVG of these specs. */
export interface DrawRequest {
  draw: number;
  specs: readonly TopLevelSpec[];
}

interface Order {
  specs: readonly TopLevelSpec[];
  resolve: (svgs: string[]) => void;
  reject: (e: Error) => void;
}

/** A runner that can draw: a worker, or this thread. */
type Runner = Worker | "here";

export class Drawers {
  private readonly queue: Order[] = [];
  private readonly idle: Runner[];
  /** Orders sent to workers, by request number, until answered. */
  private readonly sent = new Map<number, Order & { runner: Worker }>();
  private requests = 0;
  private readonly hereFirst: boolean;

  /** `first`: the runner to prefer (the one with vega loaded); `renderHere` draws on this thread. */
  constructor(
    workers: readonly Worker[],
    first: Runner,
    private readonly renderHere: Render,
  ) {
    this.hereFirst = first === "here";
    this.idle = [
      first,
      ...workers.filter((w) => w !== first),
      ...(first === "here" ? [] : ["here" as const]),
    ];
  }

  readonly render: Render = (specs) => {
    // One report while several runners are free (a comparison's only report): its charts are split
    // between them, so the drawing after the last replication does not wait on one runner alone.
    // This thread takes a share only if it is the warm one: otherwise it finished last, has vega to
    // load, and has the report's tables and Markdown to write meanwhile.
    const free = this.queue.length === 0 ? this.idle.filter((r) => r !== "here" || this.hereFirst).length : 0;
    if (free < 2 || specs.length < 2) return this.order(specs);
    const parts = splitBySize(specs, Math.min(free, specs.length));
    return Promise.all(parts.map((part) => this.order(part.map((i) => specs[i])))).then((drawn) => {
      const svgs = new Array<string>(specs.length);
      parts.forEach((part, k) => {
        part.forEach((i, j) => {
          svgs[i] = drawn[k][j];
        });
      });
      return svgs;
    });
  };

  private order(specs: readonly TopLevelSpec[]): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ specs, resolve, reject });
      this.dispatch();
    });
  }

  /** A worker's answer to one of our requests. */
  answered(m: DrawReply): void {
    const order = this.sent.get(m.drawn);
    if (!order) return;
    this.sent.delete(m.drawn);
    if ("svgs" in m) order.resolve(m.svgs);
    else order.reject(new Error(`chart drawing failed: ${m.failure}`));
    this.done(order.runner);
  }

  /** A worker stopped: what it was drawing fails, and it gets nothing more. */
  stopped(w: Worker, e: Error): void {
    for (const [k, order] of this.sent)
      if (order.runner === w) {
        this.sent.delete(k);
        order.reject(e);
      }
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private done(runner: Runner): void {
    this.idle.push(runner);
    this.dispatch();
  }

  private dispatch(): void {
    let here: Order | null = null;
    while (this.queue.length && this.idle.length) {
      const order = this.queue.shift() as Order;
      const runner = this.idle.shift() as Runner;
      if (runner === "here") here = order;
      else {
        const draw = ++this.requests;
        this.sent.set(draw, { ...order, runner });
        runner.postMessage({ draw, specs: order.specs } satisfies DrawRequest);
      }
    }
    // This thread's order last: its first part runs at once, and the workers should start first.
    if (here) this.drawHere(here);
  }

  private drawHere(order: Order): void {
    // The next order waits for a turn of the event loop, so that workers' answers (messages) are
    // read in between: drawing here runs in promise callbacks, which would starve them.
    this.renderHere(order.specs)
      .then(order.resolve, order.reject)
      .finally(() => setImmediate(() => this.done("here")));
  }
}

/**
 * Spec indices in `n` groups of about equal drawing work, assigned largest first (a spec's size as
 * JSON stands for its work: most of a chart's time goes on its data). Group 0, with the largest
 * chart, goes to the first idle runner, the one with vega warm.
 */
export function splitBySize(specs: readonly TopLevelSpec[], n: number): number[][] {
  const size = specs.map((s) => JSON.stringify(s).length);
  const byWork = specs.map((_, i) => i).sort((a, b) => size[b] - size[a] || a - b);
  const groups: number[][] = Array.from({ length: n }, () => []);
  const load = new Array<number>(n).fill(0);
  for (const i of byWork) {
    let k = 0;
    for (let g = 1; g < n; g++) if (load[g] < load[k]) k = g;
    groups[k].push(i);
    load[k] += size[i];
  }
  return groups.filter((g) => g.length > 0);
}
