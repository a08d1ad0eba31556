// Memory bound of `calibrate --from` on a LiteLLM spend-log export: generates CSV exports of
// growing size, calibrates each (two streamed passes, the trace written, the held-out 30 %
// simulated) in a child process and records its peak RSS. Flat peaks mean constant memory.
// A benchmark, not a test.
//
//   npm run build && node --import tsx bench/logs-memory.ts          # 200k and 2M rows
//   npm run build && node --import tsx bench/logs-memory.ts --big    # also 10M rows (~1.4 GB file)
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWithPeakRss } from "./peak-rss.js";

const sizes = [200_000, 2_000_000, ...(process.argv.includes("--big") ? [10_000_000] : [])];
const dir = mkdtempSync(join(tmpdir(), "routesim-logs-mem-"));

/** A spend-log export with the columns calibration reads; a fixed LCG, so every run is the same file. */
function writeSpendLogs(file: string, rows: number): void {
  const fd = openSync(file, "w");
  let x = 12345;
  const u = () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 4294967296;
  };
  const providers = ["together_ai", "deepinfra", "fireworks_ai"];
  const t0 = Date.UTC(2026, 10, 3);
  const ts = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  let buf =
    "request_id,call_type,startTime,endTime,completionStartTime,model_group,custom_llm_provider,prompt_tokens,completion_tokens,spend,status,session_id\n";
  let t = t0;
  for (let i = 0; i < rows; i++) {
    t += -Math.log(1 - u()) * 20;
    const p = providers[Math.floor(u() * 3)];
    const ok = u() > 0.05;
    const ttft = 200 + 600 * u();
    const out = ok ? 20 + Math.floor(400 * u()) : 0;
    const end = t + ttft + out * 20;
    buf += `r${i},acompletion,${ts(t)},${ts(end)},${ts(ok ? t + ttft : end)},m/x,${p},${500 + Math.floor(1000 * u())},${out},${ok ? (out * 1e-6).toPrecision(6) : 0},${ok ? "success" : "failure"},s${i % 1000}\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = "";
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
}

console.log("| rows | log file MB | peak RSS MB | wall s |");
console.log("|---:|---:|---:|---:|");
for (const rows of sizes) {
  const log = join(dir, `spend-${rows}.csv`);
  writeSpendLogs(log, rows);
  const { peakMb, wallS } = runWithPeakRss([
    "calibrate",
    "--from",
    log,
    "--format",
    "litellm",
    "--out",
    join(dir, `s-${rows}.yaml`),
  ]);
  const mb = statSync(log).size / 1e6;
  console.log(
    `| ${rows.toLocaleString("en-US")} | ${mb.toFixed(0)} | ${peakMb.toFixed(0)} | ${wallS.toFixed(1)} |`,
  );
  rmSync(log);
}
rmSync(dir, { recursive: true, force: true });
