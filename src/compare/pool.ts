/**
 * Runs replication jobs, inline or on worker threads. Results come back in job order, and each job
 * is a pure function of its inputs, so `--jobs N` gives exactly what `--jobs 1` gives.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError } from "../scenario/errors.js";
import { type ReplicationJob, type ReplicationResult, runReplication } from "./replicate.js";

export function defaultJobs(): number {
  return availableParallelism();
}

/**
 * A worker running the entry next to this module: the compiled worker.js in dist/, or (when this
 * module itself runs from TypeScript sources, as in vitest) worker.ts loaded through tsx's API.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./worker.js", import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href.replace(
    /\.cjs$/,
    ".mjs",
  );
  const entry = new URL("./worker.ts", import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(boot, { eval: true });
}

interface WorkerReply {
  index: number;
  result?: ReplicationResult;
  error?: { message: string; input: { file: string; problems: { path: string; message: string }[] } | null };
}

export async function runJobs(
  jobs: readonly ReplicationJob[],
  parallel: number,
  onDone?: (done: number, total: number) => void,
): Promise<ReplicationResult[]> {
  const results: ReplicationResult[] = new Array(jobs.length);
  const threads = Math.min(Math.max(1, parallel), jobs.length);
  if (threads <= 1) {
    jobs.forEach((job, i) => {
      results[i] = runReplication(job);
      onDone?.(i + 1, jobs.length);
    });
    return results;
  }
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const feed = (w: Worker): void => {
        if (next < jobs.length) {
          const index = next++;
          w.postMessage({ index, job: jobs[index] });
        }
      };
      for (let t = 0; t < threads; t++) {
        const w = startWorker();
        workers.push(w);
        w.on("message", (m: WorkerReply) => {
          if (m.error) {
            const ie = m.error.input;
            reject(
              ie
                ? new InputError(ie.file, ie.problems)
                : new Error(`replication worker failed: ${m.error.message}`),
            );
            return;
          }
          results[m.index] = m.result!;
          done++;
          onDone?.(done, jobs.length);
          if (done === jobs.length) resolve();
          else feed(w);
        });
        w.on("error", reject);
        w.on("exit", (code) => {
          if (done < jobs.length && code !== 0)
            reject(new Error(`replication worker exited with code ${code}`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}
