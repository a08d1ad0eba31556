/**
 * The second run in a process reuses the first run's compiled code (docs/performance.md,
 * "Warm-up"): V8 discards none of routesim's optimised functions ("bailout" in --trace-deopt) while
 * it runs. Before the fixes it discarded about ten, among them the router's, the farm's and the
 * kernel loop, and recompiled them: `compare` and `sweep` pay that in every runner's second
 * replication. The child runs the TypeScript sources through tsx, as the benchmarks do.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("the second perf-model run in a process discards no compiled routesim code", () => {
  const child = fileURLToPath(new URL("./fixtures/second-run.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--trace-deopt", "--import", "tsx", child], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  expect(r.status, r.stderr).toBe(0);
  const out = r.stdout;
  const start = out.indexOf("=== second run");
  const end = out.indexOf("=== done");
  expect(start).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  // Every discarded function: eager deopts ("[bailout") and code marked for deoptimisation, except
  // code holding an object the GC has collected ("weak objects"), which depends on GC timing.
  const discarded = out
    .slice(start, end)
    .split("\n")
    .filter((l) => l.startsWith("[bailout") || l.includes("marking dependent code"))
    .filter((l) => !l.includes("reason: weak objects"));
  expect(discarded, discarded.join("\n")).toEqual([]);
}, 60_000);
