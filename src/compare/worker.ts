/**
 * Worker-thread entry: claims replication jobs from the pool's shared counter until none are left
 * and posts each result (or error) back with its index (src/compare/pool.ts). If it is the first
 * runner to run out of jobs and the results will be drawn, it loads vega while the others finish,
 * and then draws the charts it is sent. A worker started with its jobs (`workerData`) begins at
 * once; one prestarted by the launcher (src/compare/prestart.ts, `workerData` null) waits for them
 * in a message.
 */
import { parentPort, workerData } from "node:worker_threads";
import { renderHere } from "../report/charts.js";
import { InputError } from "../scenario/errors.js";
import {
  becomeDrawer,
  claimJob,
  type DrawReply,
  type DrawRequest,
  type WorkerInput,
  type WorkerReply,
} from "./pool.js";
import { runReplication } from "./replicate.js";

function work({ jobs, shared, runner, charts }: WorkerInput): void {
  for (let index = claimJob(shared); index < jobs.length; index = claimJob(shared)) {
    let reply: WorkerReply;
    try {
      reply = { index, result: runReplication(jobs[index]) };
    } catch (e) {
      const input = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
      reply = { index, error: { message: String((e as Error)?.stack ?? e), input } };
    }
    parentPort?.postMessage(reply);
    if ("error" in reply) return;
  }
  if (charts) becomeDrawer(shared, runner);
}

async function draw({ draw, specs }: DrawRequest): Promise<void> {
  let reply: DrawReply;
  try {
    reply = { drawn: draw, svgs: await renderHere(specs) };
  } catch (e) {
    reply = { drawn: draw, failure: String((e as Error)?.stack ?? e) };
  }
  parentPort?.postMessage(reply);
}

parentPort?.on("message", (m: WorkerInput | DrawRequest) => {
  if ("draw" in m) void draw(m);
  else work(m);
});
const given = workerData as WorkerInput | null;
if (given) work(given);
