/**
 * Writes synthetic traces in the Azure LLM inference CSV format (TIMESTAMP,ContextTokens,
 * GeneratedTokens) for the memory benchmarks: `rows` requests 10 ms apart (100 requests/s), with
 * deterministic sizes (context 500–4,499 tokens, output 10–309), written in 1 MB chunks.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export function writeAzureTrace(file: string, rows: number): void {
  const fd = openSync(file, "w");
  const start = Date.UTC(2023, 10, 16, 18, 0, 0);
  let buf = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  for (let i = 0; i < rows; i++) {
    const t = start + i * 10;
    const d = new Date(t).toISOString(); // 2023-11-16T18:00:00.010Z
    buf += `${d.slice(0, 10)} ${d.slice(11, 23)}${String(i % 10_000).padStart(4, "0")},${500 + ((i * 7919) % 4000)},${10 + ((i * 104_729) % 300)}\n`;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = "";
    }
  }
  writeSync(fd, buf);
  closeSync(fd);
}
