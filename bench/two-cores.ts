/**
 * Does the machine give two cores right now? The typed-array loop (no allocation, no I/O) timed on
 * one thread, then on two threads at once. On two free cores each thread runs as fast as one
 * alone (slowdown ≈ 1.00); when the two vCPUs share a physical core or the host is busy, both
 * threads run slower, and no program's `--jobs 2` can reach 2× in that moment. The bench probes
 * just before each `compare` round, so each round's ratio can be read against it.
 */
import type { Worker } from "node:worker_threads";
import { tsWorker } from "./jobs.js";

export interface CoreProbe {
  /** Median wall time of one loop run on a thread alone (ms). */
  aloneMs: number;
  /** Median wall time of one loop run while the other thread runs one too (ms). */
  togetherMs: number;
  /** togetherMs ÷ aloneMs. */
  slowdown: number;
}

/** The median (of an even count, the mean of the middle two). */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface CoreProber {
  probe(): Promise<CoreProbe>;
  stop(): Promise<void>;
}

/** Starts two probe threads (warmed up); `requests` sizes one loop run (300k: about 0.1 s). */
export async function startCoreProber(requests = 300_000): Promise<CoreProber> {
  const threads = [0, 1].map(() => tsWorker(new URL("./two-cores-worker.ts", import.meta.url)));
  let seed = 0;
  // One listener per thread for the whole bench; each run waits for its thread's next answer.
  const waiting: ({ resolve: (ms: number) => void; reject: (e: Error) => void } | null)[] = [null, null];
  threads.forEach((w, i) => {
    w.on("message", (ms: number) => waiting[i]?.resolve(ms));
    w.on("error", (e) => waiting[i]?.reject(e));
  });
  const run = (w: Worker): Promise<number> =>
    new Promise((resolve, reject) => {
      waiting[threads.indexOf(w)] = { resolve, reject };
      w.postMessage({ requests, seed: ++seed });
    });
  const alone = async (): Promise<number[]> => {
    const out: number[] = [];
    for (const w of threads) for (let i = 0; i < 2; i++) out.push(await run(w));
    return out;
  };
  const together = async (): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < 2; i++) out.push(...(await Promise.all(threads.map(run))));
    return out;
  };
  await alone(); // warm-up: both threads compile the loop
  return {
    async probe() {
      const a = median(await alone());
      const t = median(await together());
      return { aloneMs: a, togetherMs: t, slowdown: t / a };
    },
    async stop() {
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
