/** The CLI run in this process (fast), with what it prints captured. */
import { vi } from "vitest";
import { main } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `routesim <args>` in-process, in `dir` when given. */
export async function runCli(args: readonly string[], dir?: string): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((c) => {
    stdout += String(c);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((c) => {
    stderr += String(c);
    return true;
  });
  const home = process.cwd();
  if (dir !== undefined) process.chdir(dir);
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    if (dir !== undefined) process.chdir(home);
    out.mockRestore();
    err.mockRestore();
  }
}
