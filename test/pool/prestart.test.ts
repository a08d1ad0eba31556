/** Which commands get worker threads from the launcher before the CLI loads (src/pool/prestart.ts). */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { adoptPrestarted, prestartWorkers, scenarioGuess, workersWanted } from "../../src/pool/prestart.js";

describe("workersWanted", () => {
  it("counts one worker fewer than the jobs, for compare and sweep only", () => {
    expect(workersWanted(["compare", "s.yaml", "--jobs", "2"])).toBe(1);
    expect(workersWanted(["compare", "s.yaml", "--jobs=4"])).toBe(3);
    expect(workersWanted(["compare", "s.yaml", "-j", "3"])).toBe(2);
    expect(workersWanted(["compare", "s.yaml", "-j2"])).toBe(1);
    expect(workersWanted(["sweep", "s.yaml", "--set", "a=1,2", "--jobs", "2"])).toBe(1);
    expect(workersWanted(["run", "s.yaml", "--jobs", "2"])).toBe(0);
    expect(workersWanted(["report", "dir"])).toBe(0);
  });

  it("no more workers than replications need, none for one job, --help or a bad value", () => {
    expect(workersWanted(["compare", "s.yaml", "--jobs", "4", "--replications", "2"])).toBe(1);
    expect(workersWanted(["compare", "s.yaml", "--jobs", "4", "-r", "1"])).toBe(0);
    expect(workersWanted(["compare", "s.yaml", "--jobs", "1"])).toBe(0);
    expect(workersWanted(["compare", "s.yaml", "--jobs", "two"])).toBe(0);
    expect(workersWanted(["compare", "--help"])).toBe(0);
  });

  it("defaults to the machine's cores, and to compare's 10 replications", () => {
    const cores = availableParallelism();
    expect(workersWanted(["compare", "s.yaml"])).toBe(cores < 2 ? 0 : Math.min(cores, 10) - 1);
  });

  it("a prestarted worker reads ahead compare's first argument, unless it is an option", () => {
    expect(scenarioGuess(["compare", "s.yaml", "--jobs", "2"])).toBe("s.yaml");
    expect(scenarioGuess(["compare", "--jobs", "2", "s.yaml"])).toBeNull();
    expect(scenarioGuess(["compare"])).toBeNull();
    // A sweep's jobs run edited scenario objects, not the file.
    expect(scenarioGuess(["sweep", "s.yaml", "--jobs", "2"])).toBeNull();
  });

  it("nothing is adopted when nothing was started", () => {
    expect(adoptPrestarted(3)).toEqual([]);
  });

  it("another copy of the module (the bundled CLI's) adopts the workers this one started", async () => {
    // A query string makes a second instance of the module, as the bundle has its own copy.
    const copy = (await import(
      // @ts-expect-error the query string has no declaration file
      "../../src/pool/prestart.js?copy"
    )) as typeof import("../../src/pool/prestart.js");
    const entry = new URL("data:text/javascript,");
    prestartWorkers(["compare", "s.yaml", "--jobs", "3"], entry);
    const adopted = copy.adoptPrestarted(5);
    expect(adopted).toHaveLength(2);
    expect(adoptPrestarted(5)).toEqual([]);
    await Promise.all(adopted.map((w) => w.terminate()));
  });
});
