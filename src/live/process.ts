/** A gateway child process started by live mode: whether it exited, and how to stop it. */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";

export const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

export interface Watched {
  /** True once the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs` if it is still running; resolves when it has exited. */
  stop(graceMs: number): Promise<void>;
}

export function watchChild(child: ChildProcess): Watched {
  let exited = false;
  const exit = new Promise<void>((ok) =>
    child.once("exit", () => {
      exited = true;
      ok();
    }),
  );
  return {
    exited: () => exited,
    async stop(graceMs) {
      if (exited) return;
      child.kill("SIGTERM");
      const done = await Promise.race([exit.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child.kill("SIGKILL");
        await exit;
      }
    },
  };
}

/** The last 2000 characters of a gateway's log, for error messages; `missing` when unreadable. */
export function logTail(file: string, missing = ""): string {
  try {
    return readFileSync(file, "utf8").slice(-2000);
  } catch {
    return missing;
  }
}
