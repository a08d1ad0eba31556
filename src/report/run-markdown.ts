/** The parts of a run folder's report.md that only some runs have: the live replay, batch intervals. */
import type { CompareData } from "../results/compare-folder.js";
import type { CompareSummary } from "../results/compare-summary.js";
import type { LiveInfo } from "../types.js";
import { reportModel, table } from "./compare-markdown.js";

export function liveMarkdown(l: LiveInfo): string {
  const used = Object.entries(l.lastUsedOption)
    .map(([k, v]) => `${k} ×${v}`)
    .join(", ");
  return [
    "## Live run",
    "",
    `These results are live: ${l.requests} requests replayed through the gateway at ${l.gateway} (time scale ${l.timeScale}×, ${l.warmup} warm-up requests left out) in ${(l.wallTimeMs / 1000).toFixed(1)} s, joined with ${l.journalEntries} calls in the mock providers' journal. The gateway draws from its own random numbers: compare distributions with a simulation, not rows. Times are scenario milliseconds (wall time × scale) and include the gateway's own overhead.`,
    ...(used ? ["", `Targets the gateway reported using (x-portkey-last-used-option-index): ${used}.`] : []),
    ...(l.mismatched
      ? ["", `${l.mismatched} requests could not be joined with the journal (see warnings).`]
      : []),
    "",
  ].join("\n");
}

/** The headline metrics of a run with batch-means intervals (and differences, for several policies). */
export function intervalsMarkdown(d: CompareData, s: CompareSummary): string {
  const r = reportModel(d, s);
  const out = ["## Intervals (batch means)", "", r.intro[r.intro.length - 1], ""];
  const one = s.policies.length === 1;
  for (const t of r.tables.filter((x) => x.id === "headline" || x.id === "differences")) {
    // With one policy there is nothing to rank: no "best" column.
    const cut = (row: string[]) => (one && t.id === "headline" ? row.slice(0, -1) : row);
    out.push(`### ${t.title}`, "", ...(one ? [] : [t.note, ""]), table(cut(t.head), t.rows.map(cut)), "");
  }
  out.push(
    "`routesim diff <old> <new>` checks two such runs for regressions; `routesim compare --from <dirs…>` puts runs side by side with every table and chart.",
    "",
  );
  return out.join("\n");
}
