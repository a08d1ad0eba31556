/** Worker-thread entry: runs replication jobs sent by the pool (src/compare/pool.ts). */
import { parentPort } from "node:worker_threads";
import { InputError } from "../scenario/errors.js";
import { type ReplicationJob, runReplication } from "./replicate.js";

parentPort?.on("message", (msg: { index: number; job: ReplicationJob }) => {
  try {
    parentPort?.postMessage({ index: msg.index, result: runReplication(msg.job) });
  } catch (e) {
    const input = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
    parentPort?.postMessage({
      index: msg.index,
      error: { message: String((e as Error)?.stack ?? e), input },
    });
  }
});
