/** Shared CLI plumbing: error reporting, output folders, the progress bar. */
import { isAbsolute, relative, resolve } from "node:path";
import cliProgress from "cli-progress";
import { checkPathSegment, outDirProblem } from "../results/folder.js";
import { InputError } from "../scenario/errors.js";
import type { Progress } from "../simulate.js";

/** Exit code for bad input (scenario, flags, files). */
export const EXIT_INPUT = 2;

export class UsageError extends Error {}

/** Ends a command with a given exit code and no message (e.g. `diff` found a regression). */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/**
 * Resolves an output folder and refuses an existing one unless forced, and even then one
 * routesim did not mark as its own (results/folder.ts; the write checks again at the end).
 */
export function outputDir(dir: string, force: boolean): string {
  const problem = outDirProblem(dir, force);
  if (problem) throw new UsageError(problem);
  return resolve(dir);
}

/** A name that becomes a folder of the default output path, checked to be one safe segment. */
export function safeName(name: string, file: string, path: string): string {
  checkPathSegment(name, file, path);
  return name;
}

export function parseIntFlag(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} expects a non-negative integer, got "${v}"`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} is too large: ${v}`);
  return n;
}

/** A progress reporter: a bar on a TTY, nothing otherwise or when quiet. */
export function progressReporter(quiet: boolean): { update: (p: Progress) => void; stop: () => void } {
  if (quiet || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: " {policy} |{bar}| {value}/{total} requests · sim time {sim}",
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let current = -1;
  return {
    update(p) {
      const total = p.expected ?? Math.max(p.done, 1);
      const sim = formatSimTime(p.simTimeMs);
      if (p.policyIndex !== current) {
        if (current >= 0) bar.stop();
        current = p.policyIndex;
        bar.start(total, p.done, { policy: `${p.policy} (${p.policyIndex + 1}/${p.policies})`, sim });
      } else {
        bar.setTotal(total);
        bar.update(p.done, { sim });
      }
    },
    stop() {
      if (current >= 0) bar.stop();
    },
  };
}

function formatSimTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Prints a bad-input error (no stack trace) and returns the exit code. */
export function reportError(e: unknown): number {
  if (e instanceof ExitCode) return e.code;
  if (e instanceof InputError && isAbsolute(e.file)) {
    // Name files as the user would type them (relative to here) whichever layer raised the error.
    const rel = relative(process.cwd(), e.file);
    if (rel && !rel.startsWith("..") && !isAbsolute(rel)) e = new InputError(rel, e.problems);
  }
  if (e instanceof InputError || e instanceof UsageError) {
    process.stderr.write(`routesim: error: ${e.message}\n`);
    return EXIT_INPUT;
  }
  throw e;
}

/** Settings a run could not simulate and suspicious values: on stderr too, not only in the report. */
export function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}
