/**
 * Worker-thread entry: claims replication jobs from the pool's shared counter until none are left
 * and posts each result (or error) back with its index (src/compare/pool.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import { InputError } from "../scenario/errors.js";
import { claimJob, type WorkerInput, type WorkerReply } from "./pool.js";
import { runReplication } from "./replicate.js";

const { jobs, next } = workerData as WorkerInput;
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
