/**
 * Worker-thread entry: claims replication jobs from the pool's shared counter until none are left
 * and posts each result (or error) back with its index (src/compare/pool.ts). If it is the first
 * runner to run out of jobs and the results will be drawn, it loads vega and warms it up while the
 * others finish, and then draws the charts it is sent. A worker started with its jobs
 * (`workerData`) begins at once; one prestarted by the launcher (src/compare/prestart.ts) reads
 * the scenario ahead and waits for them in a message.
 */
import { parentPort, workerData } from "node:worker_threads";
import { importPolicyModule } from "../policies/module-import.js";
import { renderHere } from "../report/charts.js";
import { InputError } from "../scenario/errors.js";
import { loadScenario } from "../scenario/load.js";
import {
  allJobsFinished,
  claimDrawer,
  claimJob,
  type DrawReply,
  type DrawRequest,
  jobFinished,
  prepareToDraw,
  type WorkerInput,
  type WorkerReply,
} from "./pool.js";
import type { Prestart } from "./prestart.js";
import { runReplication } from "./replicate.js";

/** Imports the policy modules the main thread loaded, then works; an import failure fails the pool. */
async function start(input: WorkerInput): Promise<void> {
  try {
    for (const file of input.policyModules ?? []) await importPolicyModule(file);
  } catch (e) {
    const error = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
    parentPort?.postMessage({
      index: -1,
      error: { message: String((e as Error)?.stack ?? e), input: error },
    });
    return;
  }
  work(input);
}

function work({ jobs, shared, runner, charts }: WorkerInput): void {
  let drawer = false;
  // Claims the next job; out of jobs (even at the first claim), claims the drawing too, before the
  // last result goes out (see claimDrawer).
  const next = (): number => {
    const i = claimJob(shared);
    if (i >= jobs.length && charts) drawer = claimDrawer(shared, runner);
    return i;
  };
  let index = next();
  while (index < jobs.length) {
    let reply: WorkerReply;
    try {
      reply = { index, result: runReplication(jobs[index]) };
    } catch (e) {
      const input = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
      reply = { index, error: { message: String((e as Error)?.stack ?? e), input } };
    }
    jobFinished(shared);
    if ("error" in reply) {
      parentPort?.postMessage(reply);
      return;
    }
    index = next();
    parentPort?.postMessage(reply);
  }
  // Warms vega up until the last job is done or charts are asked for (a chart begun is finished first).
  if (drawer) warming = prepareToDraw(() => asked || allJobsFinished(shared, jobs.length));
}

/** The drawer's warm-up, while it runs; and whether charts have been asked for. */
let warming: Promise<void> = Promise.resolve();
let asked = false;

async function draw({ draw, specs }: DrawRequest): Promise<void> {
  asked = true;
  await warming;
  let reply: DrawReply;
  try {
    reply = { drawn: draw, svgs: await renderHere(specs) };
  } catch (e) {
    reply = { drawn: draw, failure: String((e as Error)?.stack ?? e) };
  }
  parentPort?.postMessage(reply);
}

/** Whether this thread was started as a replication runner (its data is the pool's or prestart's). */
function isRunner(data: unknown): data is WorkerInput | Prestart {
  return typeof data === "object" && data !== null && ("jobs" in data || "prestarted" in data);
}

// Serves only in a runner thread: this module is also part of the CLI's bundle (src/bundle.ts).
if (parentPort && isRunner(workerData)) {
  parentPort.on("message", (m: WorkerInput | DrawRequest) => {
    if ("draw" in m) void draw(m);
    else void start(m);
  });
  const given = workerData;
  if ("jobs" in given) void start(given);
  else if (given.scenario !== null) {
    try {
      loadScenario(given.scenario);
    } catch {
      // Not a scenario after all, or a bad one: the CLI reports it.
    }
  }
}
