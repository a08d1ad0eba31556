/**
 * Runs bench/reference/simpy_perf_model.py where python3 and SimPy are installed (Debian:
 * `apt-get install python3-simpy3`, then /usr/bin/python3). Never required: returns null with the
 * reason when Python or SimPy is missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface SimpyResult {
  requests: number;
  wall_s: number;
  /** CPU time of the Python process during the run. */
  cpu_s: number;
  requests_per_s: number;
  mean_latency_s: number;
  simpy: string;
  python: string;
}

const SCRIPT = fileURLToPath(new URL("./simpy_perf_model.py", import.meta.url));

/** The first python3 that can import simpy, or null. */
export function findSimpyPython(): string | null {
  const candidates = [process.env.ROUTESIM_PYTHON, "/usr/bin/python3", "python3"].filter(
    (p): p is string => !!p,
  );
  for (const py of candidates) {
    if (py.startsWith("/") && !existsSync(py)) continue;
    const r = spawnSync(py, ["-c", "import simpy"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return null;
}

export function runSimpy(python: string, requests: number, seed = 1): SimpyResult {
  const r = spawnSync(python, [SCRIPT, String(requests), String(seed)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`SimPy reference failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as SimpyResult;
}
