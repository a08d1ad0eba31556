// Memory bound of trace replay: generates Azure-format CSV traces of growing size, replays each
// with `routesim run --summary-only` in a child process and records the child's peak RSS. Constant
// memory means the peak stays flat as the row count grows. A benchmark, not a test.
//
//   npm run build && node --import tsx bench/trace-memory.ts            # 200k and 2M rows
//   npm run build && node --import tsx bench/trace-memory.ts --big      # also 10M rows (~380 MB file)
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWithPeakRss } from "./peak-rss.js";
import { writeAzureTrace } from "./trace-file.js";

const sizes = [200_000, 2_000_000, ...(process.argv.includes("--big") ? [10_000_000] : [])];
const dir = mkdtempSync(join(tmpdir(), "routesim-trace-mem-"));

console.log("| rows | trace file MB | peak RSS MB | wall s |");
console.log("|---:|---:|---:|---:|");
for (const rows of sizes) {
  const trace = join(dir, `trace-${rows}.csv`);
  writeAzureTrace(trace, rows);
  const scenario = join(dir, `scenario-${rows}.yaml`);
  writeFileSync(
    scenario,
    [
      `name: trace-memory-${rows}`,
      "traffic:",
      `  trace: { path: ${JSON.stringify(trace)}, format: azure-csv }`,
      "  model: m/x",
      "providers:",
      "  - { name: a, model: m/x, price: { prompt: 0.1, completion: 0.2 }, tokens_per_s: 200 }",
      "  - { name: b, model: m/x, price: { prompt: 0.2, completion: 0.3 }, tokens_per_s: 200 }",
      "policies:",
      "  - name: default",
      "",
    ].join("\n"),
  );
  const { peakMb, wallS } = runWithPeakRss([
    "run",
    scenario,
    "--summary-only",
    "-q",
    "-f",
    "-o",
    join(dir, "out"),
  ]);
  const summary = JSON.parse(readFileSync(join(dir, "out", "summary.json"), "utf8")) as { requests: number };
  if (summary.requests !== rows) throw new Error(`replayed ${summary.requests} of ${rows} rows`);
  const size = statSync(trace).size / 1e6;
  console.log(
    `| ${rows.toLocaleString("en-US")} | ${size.toFixed(0)} | ${peakMb.toFixed(0)} | ${wallS.toFixed(1)} |`,
  );
  rmSync(trace);
}
rmSync(dir, { recursive: true, force: true });
