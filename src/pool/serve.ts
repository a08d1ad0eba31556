/**
 * The worker-thread side of the pool: claims jobs from the pool's shared counter until none are
 * left and posts each result (or error) back with its index (pool/pool.ts). Out of jobs, when the
 * results will be drawn, it loads vega and warms it up while the others finish (the first runner
 * there draws first), and then draws the charts it is sent. A worker started with its jobs
 * (`workerData`) begins at once; one prestarted by the launcher (pool/prestart.ts) reads the
 * scenario ahead and waits for them in a message.
 */
import { parentPort, workerData } from "node:worker_threads";
import { importPolicyModule } from "../policies/module-import.js";
import { InputError } from "../scenario/errors.js";
import {
  allJobsFinished,
  claimDrawer,
  claimJob,
  type DrawReply,
  type DrawRequest,
  type JobKind,
  jobFinished,
  type WorkerInput,
  type WorkerReply,
} from "./pool.js";
import type { Prestart } from "./prestart.js";

/**
 * Serves `kind`'s jobs when this thread is one of the pool's runners; does nothing elsewhere (the
 * worker entry is also part of the CLI's bundle, src/bundle.ts).
 */
export function serveJobs<J, R>(kind: JobKind<J, R>): void {
  if (!parentPort || !isRunner(workerData)) return;
  const port = parentPort;
  /** The drawer's warm-up, while it runs; and whether charts have been asked for. */
  let warming: Promise<void> = Promise.resolve();
  let asked = false;

  /** Imports the policy modules the main thread loaded, then works; an import failure fails the pool. */
  const start = async (input: WorkerInput<J>): Promise<void> => {
    try {
      for (const file of input.policyModules ?? []) await importPolicyModule(file);
    } catch (e) {
      const error = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
      port.postMessage({
        index: -1,
        error: { message: String((e as Error)?.stack ?? e), input: error },
      });
      return;
    }
    work(input);
  };

  const work = ({ jobs, shared, runner, charts }: WorkerInput<J>): void => {
    let idle = false;
    // Claims the next job; out of jobs (even at the first claim), claims the drawing too, before the
    // last result goes out (see claimDrawer).
    const next = (): number => {
      const i = claimJob(shared);
      if (i >= jobs.length && charts) {
        claimDrawer(shared, runner);
        idle = true;
      }
      return i;
    };
    let index = next();
    while (index < jobs.length) {
      let reply: WorkerReply<R>;
      try {
        reply = { index, result: kind.run(jobs[index]) };
      } catch (e) {
        const input = e instanceof InputError ? { file: e.file, problems: e.problems } : null;
        reply = { index, error: { message: String((e as Error)?.stack ?? e), input } };
      }
      jobFinished(shared);
      if ("error" in reply) {
        port.postMessage(reply);
        return;
      }
      index = next();
      port.postMessage(reply);
    }
    // Loads vega and warms it up until the last job is done or charts are asked for (a chart begun is
    // finished first). Not only the first runner out of jobs: a report's charts are split between
    // the free runners (pool/drawers.ts), and a cold one would hold the report up.
    if (idle) warming = kind.prepareToDraw(() => asked || allJobsFinished(shared, jobs.length));
  };

  const draw = async ({ draw, specs }: DrawRequest): Promise<void> => {
    asked = true;
    await warming;
    let reply: DrawReply;
    try {
      reply = { drawn: draw, svgs: await kind.renderHere(specs) };
    } catch (e) {
      reply = { drawn: draw, failure: String((e as Error)?.stack ?? e) };
    }
    port.postMessage(reply);
  };

  port.on("message", (m: WorkerInput<J> | DrawRequest) => {
    if ("draw" in m) void draw(m);
    else void start(m);
  });
  const given = workerData;
  if ("jobs" in given) void start(given as WorkerInput<J>);
  else if (given.scenario !== null) {
    try {
      kind.readAhead?.(given.scenario);
    } catch {
      // Not a scenario after all, or a bad one: the CLI reports it.
    }
  }
}

/** Whether this thread was started as a pool runner (its data is the pool's or prestart's). */
function isRunner(data: unknown): data is WorkerInput | Prestart {
  return typeof data === "object" && data !== null && ("jobs" in data || "prestarted" in data);
}
