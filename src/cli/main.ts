/** The `routesim` command line. Each command lives in its own module and registers itself here. */
import { Command, CommanderError } from "commander";
import { routesimVersion } from "../simulate.js";
import { registerCalibrate } from "./calibrate.js";
import { registerCatalog } from "./catalog.js";
import { registerCheck } from "./check.js";
import { EXIT_INPUT, reportError } from "./common.js";
import { registerCompare } from "./compare.js";
import { registerDiff } from "./diff.js";
import { registerDrive } from "./drive.js";
import { registerExplain } from "./explain.js";
import { registerMerge } from "./merge.js";
import { registerReport } from "./report.js";
import { registerRun } from "./run.js";
import { registerServe } from "./serve.js";
import { registerSweep } from "./sweep.js";
import { registerValidate } from "./validate.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("routesim")
    .description("Discrete-event simulator and benchmarking harness for LLM gateway routing policies")
    .version(routesimVersion(), "-V, --version")
    .showHelpAfterError()
    .exitOverride();
  registerRun(program);
  registerCompare(program);
  registerReport(program);
  registerSweep(program);
  registerMerge(program);
  registerDiff(program);
  registerCatalog(program);
  registerCalibrate(program);
  registerCheck(program);
  registerServe(program);
  registerDrive(program);
  registerExplain(program);
  registerValidate(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors already printed their message.
      return e.exitCode === 0 ? 0 : EXIT_INPUT;
    }
    return reportError(e);
  }
}
