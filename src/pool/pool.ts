/**
 * Runs jobs (a comparison's replications), inline or in parallel, then hands the results to the
 * caller while the threads are still up, so that the report's charts can be drawn on one of them.
 * Results come back in job order (or are folded in job order as they come, see `fold`), and each
 * job is a pure function of its inputs, so `--jobs N` gives exactly what `--jobs 1` gives.
 *
 * With N > 1 the main thread is one of the N runners, next to N − 1 worker threads: one worker
 * start-up (module graph load and a cold JIT) fewer, and the main thread is not left idle. Every
 * runner claims the next job index from a shared counter (Atomics.add), so claiming never waits
 * for the main thread's event loop, which is busy simulating; workers get the job list once and
 * post each result back with its index.
 *
 * Charts: the first runner to run out of jobs, while the others finish theirs, loads vega (about
 * 40 ms), warms it up on sample charts until the last result is in, and then draws the charts.
 * That time would otherwise be idle; the main thread loading vega between two of its jobs instead
 * put it on the critical path of every parallel comparison.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { policyModuleFiles } from "../policies/registry.js";
import { InputError } from "../scenario/errors.js";
import { Drawers, type DrawReply, type DrawRequest, type Render } from "./drawers.js";
import { adoptPrestarted } from "./prestart.js";

/**
 * What the pool runs, given by the layer that owns the jobs (experiment/jobs.ts), so that the pool
 * knows neither replications nor charts: the same kind serves in the worker entry (pool/serve.ts).
 */
export interface JobKind<J, R> {
  /** Runs one job on this thread; a pure function of the job. */
  run: (job: J) => R;
  /** The worker entry module, which calls `serveJobs` with this kind; a .ts entry loads through tsx. */
  worker: URL;
  /** Draws charts on this thread. */
  renderHere: Render;
  /** The drawer's wait for the others: loads the chart renderer, then warms it up until `stop()`. */
  prepareToDraw: (stop: () => boolean) => Promise<void>;
  /** A prestarted worker's read-ahead of the file its jobs will most likely use (pool/prestart.ts). */
  readAhead?: (file: string) => void;
}

/** What a worker is started with: the whole job list and the shared counters. */
export interface WorkerInput<J = unknown> {
  jobs: readonly J[];
  /**
   * Int32Array over a SharedArrayBuffer: the next unclaimed job index, the chart drawer, and how
   * many jobs have finished.
   */
  shared: Int32Array;
  /** This runner's number; the main thread, when it runs jobs, is runner 0. */
  runner: number;
  /** Whether the results will be drawn: the first runner out of jobs then loads vega. */
  charts: boolean;
  /** Policy module files this thread loaded (--policy-module): a worker imports them before its jobs. */
  policyModules: readonly string[];
}

/** Indices into WorkerInput.shared. */
const NEXT = 0;
/** 0 while no runner has run out of jobs; then the number of the first that did, plus one. */
const DRAWER = 1;
/** Jobs finished (run or failed), on any runner. */
const FINISHED = 2;

type ErrorReply = {
  index: number;
  error: { message: string; input: { file: string; problems: InputError["problems"] } | null };
};

export type { DrawReply, DrawRequest, Render };
export type WorkerReply<R = unknown> = { index: number; result: R } | ErrorReply | DrawReply;

/** Claims the next job index; ≥ the job count once all are claimed (or after `stopClaims`). */
export function claimJob(shared: Int32Array): number {
  return Atomics.add(shared, NEXT, 1);
}

/** Counts a job as finished (run or failed), for `allJobsFinished`. */
export function jobFinished(shared: Int32Array): void {
  Atomics.add(shared, FINISHED, 1);
}

/** Whether every job has finished, whatever runner ran it: the drawer's warm-up then stops. */
export function allJobsFinished(shared: Int32Array, total: number): boolean {
  return Atomics.load(shared, FINISHED) >= total;
}

/**
 * Called by a runner that has run out of jobs, when results are to be drawn: says whether it is the
 * first to get there (the others are still busy), which then draws first (`prepareToDraw`). A
 * worker calls it before it posts its last result, so that once the pool has every result, the
 * drawer is known.
 */
export function claimDrawer(shared: Int32Array, runner: number): boolean {
  return Atomics.compareExchange(shared, DRAWER, 0, runner + 1) === 0;
}

/** Makes every later claim come back past the end, so runners stop after their current job. */
function stopClaims(shared: Int32Array, total: number): void {
  Atomics.store(shared, NEXT, total);
}

/**
 * A worker running the kind's entry: in the build, dist/worker.js (the bundle, from
 * dist/routesim.cjs) or dist/experiment/worker.js (the library); from TypeScript sources (vitest),
 * worker.ts loaded through tsx's API.
 */
function startWorker(worker: URL, workerData: WorkerInput): Worker {
  if (!worker.href.endsWith(".ts")) return new Worker(worker, { workerData });
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href.replace(
    /\.cjs$/,
    ".mjs",
  );
  const entry = worker.href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(boot, { eval: true, workerData });
}

function replyError(e: ErrorReply): Error {
  const ie = e.error.input;
  return ie
    ? new InputError(ie.file, ie.problems)
    : new Error(`replication worker failed: ${e.error.message}`);
}

/** Lets queued messages (worker results) in between two main-thread jobs. */
const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface RunJobsOptions<R> {
  /** Called after each job, in completion order. */
  onDone?: (done: number, total: number) => void;
  /**
   * Whether the main thread runs jobs next to the workers when `parallel` > 1 (default true). With
   * false, `parallel` workers run them all and the main thread's event loop stays free.
   */
  mainThread?: boolean;
  /**
   * Whether `use` will draw charts (default false): the first runner out of jobs loads vega and
   * warms it up while the others finish.
   */
  charts?: boolean;
  /**
   * Receives every result in job order, each as soon as it and all before it are in (a result that
   * comes early waits for those before it). With it the pool keeps no results and `use` gets an
   * empty list: a comparison or a sweep folds them into its tables instead of holding every
   * replication's timelines until the end.
   */
  fold?: (result: R, index: number) => void;
}

/**
 * Runs the jobs of `kind`, then `use(results, render, drawer)` before the worker threads stop:
 * `render` draws one report's charts on an idle runner (pool/drawers.ts), first on the one that
 * loaded vega while the others finished their jobs; `drawer` says where that is.
 */
export async function withPool<J, R, T>(
  kind: JobKind<J, R>,
  jobs: readonly J[],
  parallel: number,
  options: RunJobsOptions<R>,
  use: (results: R[], render: Render, drawer: "this thread" | "worker") => Promise<T>,
): Promise<T> {
  const { onDone, charts = false, fold } = options;
  const { run, renderHere } = kind;
  const total = jobs.length;
  const results: R[] = fold ? [] : new Array(total);
  // With `fold`: results that came before one of the jobs ahead of them, by index.
  const early = new Map<number, R>();
  let folded = 0;
  const keep = (index: number, result: R): void => {
    if (!fold) {
      results[index] = result;
      return;
    }
    early.set(index, result);
    for (let r = early.get(folded); r !== undefined; r = early.get(folded)) {
      early.delete(folded);
      fold(r, folded++);
    }
  };
  const runners = Math.min(Math.max(1, parallel), total);
  const mainThread = options.mainThread ?? true;
  // Workers the launcher started ahead (pool/prestart.ts); any not needed are terminated.
  const prestarted = adoptPrestarted(runners <= 1 ? 0 : runners - (mainThread ? 1 : 0));
  if (runners <= 1) {
    jobs.forEach((job, i) => {
      keep(i, run(job));
      onDone?.(i + 1, total);
    });
    return use(results, renderHere, "this thread");
  }
  const shared = new Int32Array(new SharedArrayBuffer(12));
  let done = 0;
  let failure: Error | null = null;
  let settle!: () => void;
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const fail = (e: Error): void => {
    failure ??= e;
    stopClaims(shared, total);
    settle();
  };
  const completed = (index: number, result: R): void => {
    keep(index, result);
    done++;
    onDone?.(done, total);
    if (done === total) settle();
  };
  // Workers start first, so their start-up overlaps the main thread's first job.
  const first = mainThread ? 1 : 0;
  const workers: Worker[] = [];
  let drawers: Drawers | null = null;
  let warming: Promise<void> | undefined;
  try {
    for (let runner = first; runner < runners; runner++) {
      const input: WorkerInput<J> = { jobs, shared, runner, charts, policyModules: policyModuleFiles() };
      const pre = prestarted[runner - first];
      const w = pre ?? startWorker(kind.worker, input);
      if (pre) pre.postMessage(input);
      workers.push(w);
      w.on("message", (m: WorkerReply<R>) => {
        if ("drawn" in m) drawers?.answered(m);
        else if ("error" in m) fail(replyError(m));
        else
          try {
            completed(m.index, m.result);
          } catch (e) {
            fail(e as Error); // folding it failed: a harness bug, reported like a worker's
          }
      });
      w.on("error", (e) => {
        fail(e);
        drawers?.stopped(w, e);
      });
      w.on("exit", (code) => {
        const e = new Error(`replication worker exited with code ${code}`);
        if (done < total && code !== 0) fail(e);
        drawers?.stopped(w, e);
      });
    }
    if (mainThread) {
      for (let i = claimJob(shared); i < total && !failure; i = claimJob(shared)) {
        try {
          completed(i, run(jobs[i]));
        } catch (e) {
          fail(e as Error);
          break;
        } finally {
          jobFinished(shared);
        }
        await yieldToEvents();
      }
      // First out of jobs: this thread draws first (and takes a share of a split report, drawers.ts).
      if (charts && !failure && claimDrawer(shared, 0))
        warming = kind.prepareToDraw(() => allJobsFinished(shared, total) || failure !== null);
    }
    await finished;
    await warming;
    if (failure) throw failure;
    // The runner that loaded vega while the others finished (none: this thread) draws first.
    const drawer = Atomics.load(shared, DRAWER) - 1;
    const firstDrawer = drawer >= first ? workers[drawer - first] : "here";
    drawers = new Drawers(workers, firstDrawer, renderHere);
    return await use(results, drawers.render, firstDrawer === "here" ? "this thread" : "worker");
  } finally {
    stopClaims(shared, total);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
