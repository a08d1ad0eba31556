/**
 * Replication workers started by the launcher (bin/routesim.js) before the CLI loads its modules,
 * for `compare` and `sweep` with more than one job: a worker's own module load and start-up (about
 * a quarter of a second) then overlaps the main thread's, instead of following it. The pool
 * (`withPool`) adopts them and sends them the job list; whatever it does not adopt it terminates.
 * This module imports nothing of routesim's, so loading it costs the launcher almost nothing.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

interface Prestarted {
  worker: Worker;
  /** Set when the worker stopped (failed to load, say) before the pool took it. */
  exited: boolean;
}

/**
 * Workers started and not yet adopted. Kept on the global object, not in this module: the launcher
 * loads this file, and the bundled CLI (dist/routesim.cjs) has its own copy of it, which must see the
 * same list.
 */
const KEY = Symbol.for("routesim.prestartedWorkers");
const shared = globalThis as { [KEY]?: Prestarted[] };
const waiting: Prestarted[] = (shared[KEY] ??= []);

/** The value of flag `long` / `short` in `args` (undefined when absent, NaN when not a number). */
function flagValue(args: readonly string[], long: string, short: string): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === long || a === short) return Number(args[i + 1]);
    if (a.startsWith(`${long}=`)) return Number(a.slice(long.length + 1));
    if (a.startsWith(short) && a.length > short.length && !a.startsWith("--"))
      return Number(a.slice(short.length));
  }
  return undefined;
}

/** How many workers `routesim <args>` will want, as far as the arguments tell (0 when unsure). */
export function workersWanted(args: readonly string[]): number {
  const command = args[0];
  if (command !== "compare" && command !== "sweep") return 0;
  if (args.includes("--help") || args.includes("-h")) return 0;
  const jobs = flagValue(args, "--jobs", "-j") ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 2) return 0;
  // compare's default is 10 replications (src/cli/compare.ts); a sweep has at least as many jobs.
  const replications = command === "compare" ? (flagValue(args, "--replications", "-r") ?? 10) : jobs;
  if (!(Number.isInteger(replications) && replications >= 2)) return 0;
  return Math.min(jobs, replications) - 1;
}

/** What a prestarted worker is started with (its `workerData`), until its jobs come. */
export interface Prestart {
  prestarted: true;
  /**
   * The scenario file `compare` will most likely run (its first argument): the worker reads it
   * while it waits, so its first replication finds the file parsed and the validator warm (about
   * 20 ms). A wrong guess only costs that reading; its errors are ignored (the CLI reports them).
   */
  scenario: string | null;
}

/** The scenario a worker may read ahead: `compare`'s first argument, when it is not an option. */
export function scenarioGuess(args: readonly string[]): string | null {
  const file = args[1];
  return args[0] === "compare" && file !== undefined && !file.startsWith("-") ? file : null;
}

/** Starts the workers `args` will want; they wait for their jobs (see `adoptPrestarted`). */
export function prestartWorkers(args: readonly string[], entry: URL): void {
  const workerData: Prestart = { prestarted: true, scenario: scenarioGuess(args) };
  for (let i = workersWanted(args); i > 0; i--) {
    const p: Prestarted = { worker: new Worker(entry, { workerData }), exited: false };
    // Until adopted, a worker neither keeps the process alive nor throws its errors at it.
    p.worker.unref();
    p.worker.on("error", () => {});
    p.worker.once("exit", () => {
      p.exited = true;
    });
    waiting.push(p);
  }
}

/** Takes up to `n` prestarted workers that are still alive; terminates the rest. */
export function adoptPrestarted(n: number): Worker[] {
  const alive = waiting.splice(0).filter((p) => !p.exited);
  for (const p of alive.slice(n)) void p.worker.terminate();
  return alive.slice(0, n).map((p) => {
    p.worker.ref();
    return p.worker;
  });
}
