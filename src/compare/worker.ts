/**
 * Worker-thread entry: claims replication jobs from the pool's shared counter until none are left
 * and posts each result (or error) back with its index (src/compare/pool.ts). A worker started
 * with its jobs (`workerData`) begins at once; one prestarted by the launcher (src/compare/prestart.ts,
 * `workerData` null) waits for them in its first message.
 */
import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "../scenario/errors.js";
import { claimJob, type WorkerInput, type WorkerReply } from "./pool.js";
import { runReplication } from "./replicate.js";

function work({ jobs, next }: WorkerInput): void {
  for (let index = claimJob(next); index < jobs.length; index = claimJob(next)) {
    let reply: WorkerReply;
    try {
      reply = { index, result: runReplication(jobs[index]) };
    } catch (e) {
      const input = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
      reply = { index, error: { message: String((e as Error)?.stack ?? e), input } };
    }
    parentPort?.postMessage(reply);
    if ("error" in reply) break;
  }
}

const given = workerData as WorkerInput | null;
if (given) work(given);
else parentPort?.once("message", (input: WorkerInput) => work(input));
