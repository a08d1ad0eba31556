/**
 * Runs replication jobs, inline or in parallel. Results come back in job order, and each job is a
 * pure function of its inputs, so `--jobs N` gives exactly what `--jobs 1` gives.
 *
 * With N > 1 the main thread is one of the N runners, next to N − 1 worker threads: one worker
 * start-up (module graph load and a cold JIT) fewer, and the main thread is not left idle. Every
 * runner claims the next job index from a shared counter (Atomics.add), so claiming never waits
 * for the main thread's event loop, which is busy simulating; workers get the job list once and
 * post each result back with its index.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError } from "../scenario/errors.js";
import { adoptPrestarted } from "./prestart.js";
import { type ReplicationJob, type ReplicationResult, runReplication } from "./replicate.js";

export function defaultJobs(): number {
  return availableParallelism();
}

/** What a worker is started with: the whole job list and the shared next-job counter. */
export interface WorkerInput {
  jobs: readonly ReplicationJob[];
  /** Int32Array over a SharedArrayBuffer; element 0 is the next unclaimed job index. */
  next: Int32Array;
}

type ErrorReply = {
  index: number;
  error: { message: string; input: { file: string; problems: InputError["problems"] } | null };
};
export type WorkerReply = { index: number; result: ReplicationResult } | ErrorReply;

/** Claims the next job index; ≥ the job count once all are claimed (or after `stopClaims`). */
export function claimJob(next: Int32Array): number {
  return Atomics.add(next, 0, 1);
}

/** Makes every later claim come back past the end, so runners stop after their current job. */
function stopClaims(next: Int32Array, total: number): void {
  Atomics.store(next, 0, total);
}

/**
 * A worker running the entry next to this module: the compiled worker.js in dist/, or (when this
 * module itself runs from TypeScript sources, as in vitest) worker.ts loaded through tsx's API.
 */
function startWorker(workerData: WorkerInput): Worker {
  if (!import.meta.url.endsWith(".ts"))
    return new Worker(new URL("./worker.js", import.meta.url), { workerData });
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href.replace(
    /\.cjs$/,
    ".mjs",
  );
  const entry = new URL("./worker.ts", import.meta.url).href;
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

export interface RunJobsOptions {
  /**
   * Whether the main thread runs jobs next to the workers when `parallel` > 1 (default true). With
   * false, `parallel` workers run them all and the main thread's event loop stays free.
   */
  mainThread?: boolean;
}

export async function runJobs(
  jobs: readonly ReplicationJob[],
  parallel: number,
  onDone?: (done: number, total: number) => void,
  options: RunJobsOptions = {},
): Promise<ReplicationResult[]> {
  const total = jobs.length;
  const results: ReplicationResult[] = new Array(total);
  const runners = Math.min(Math.max(1, parallel), total);
  const mainThread = options.mainThread ?? true;
  // Workers the launcher started ahead (src/compare/prestart.ts); any not needed are terminated.
  const prestarted = adoptPrestarted(runners <= 1 ? 0 : runners - (mainThread ? 1 : 0));
  if (runners <= 1) {
    jobs.forEach((job, i) => {
      results[i] = runReplication(job);
      onDone?.(i + 1, total);
    });
    return results;
  }
  const next = new Int32Array(new SharedArrayBuffer(4));
  let done = 0;
  let failure: Error | null = null;
  let settle!: () => void;
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const fail = (e: Error): void => {
    failure ??= e;
    stopClaims(next, total);
    settle();
  };
  const completed = (index: number, result: ReplicationResult): void => {
    results[index] = result;
    done++;
    onDone?.(done, total);
    if (done === total) settle();
  };
  // Workers start first, so their start-up overlaps the main thread's first job.
  const workers: Worker[] = [];
  try {
    for (let t = mainThread ? 1 : 0; t < runners; t++) {
      const pre = prestarted[t - (mainThread ? 1 : 0)];
      const w = pre ?? startWorker({ jobs, next });
      if (pre) pre.postMessage({ jobs, next } satisfies WorkerInput);
      workers.push(w);
      w.on("message", (m: WorkerReply) => {
        if ("error" in m) fail(replyError(m));
        else completed(m.index, m.result);
      });
      w.on("error", (e) => fail(e));
      w.on("exit", (code) => {
        if (done < total && code !== 0) fail(new Error(`replication worker exited with code ${code}`));
      });
    }
    for (let i = mainThread ? claimJob(next) : total; i < total && !failure; i = claimJob(next)) {
      try {
        completed(i, runReplication(jobs[i]));
      } catch (e) {
        fail(e as Error);
        break;
      }
      await yieldToEvents();
    }
    await finished;
    if (failure) throw failure;
  } finally {
    stopClaims(next, total);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
