// `routesim <args>` as a child process (the built bin/routesim.js), with its peak RSS, read by an
// exit hook inside the child, and its wall time. Throws when the command fails.
import { spawnSync } from "node:child_process";

const exitHook = `data:text/javascript,process.on("exit",()=>process.stderr.write("MAXRSS_KB="+process.resourceUsage().maxRSS+"\\n"))`;

export function runWithPeakRss(args: readonly string[]): { peakMb: number; wallS: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ["--import", exitHook, "bin/routesim.js", ...args], {
    encoding: "utf8",
  });
  const wallS = (performance.now() - t0) / 1000;
  const m = /MAXRSS_KB=(\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`routesim ${args[0]} failed (${r.status}): ${r.stderr}`);
  return { peakMb: Number(m[1]) / 1024, wallS };
}
