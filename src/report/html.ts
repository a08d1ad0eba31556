/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no network) with the same
 * tables and sentences as report.md plus the charts rendered by vega.
 */
import type { TopLevelSpec } from "vega-lite";
import type { CompareData } from "../results/compare-folder.js";
import type { CompareSummary } from "../results/compare-summary.js";
import {
  type ChartRenderer,
  errorsSpec,
  frontierSpec,
  latencyCdfSpec,
  renderHere,
  shareSpec,
} from "./charts.js";
import { type ReportTable, reportModel } from "./compare-markdown.js";

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const MD_ESCAPE = /\\([\\`*_[\]<>|~&#!\-+=.)])/g;

/** Plain text of a Markdown-escaped string (mdEscape undone). */
function unescapeMd(s: string): string {
  return s.replace(MD_ESCAPE, "$1");
}

/**
 * The little Markdown the report model uses: **bold** and `code`, and backslash escapes (a
 * scenario string's characters, see mdEscape) shown as typed, never as markup.
 */
function inline(s: string): string {
  const lit: string[] = [];
  const held = s.replace(MD_ESCAPE, (_m, c: string) => `\uE000${lit.push(c) - 1}\uE001`);
  return escapeHtml(held)
    .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
    .replace(/`(.+?)`/g, "<code>$1</code>")
    .replace(/\[([^\]]+)\]\(([^)\s]+)\.md\)/g, '<a href="$2.html">$1</a>')
    .replace(/\uE000(\d+)\uE001/g, (_m, i: string) => escapeHtml(lit[Number(i)]));
}

/**
 * A header cell may break after `_ . / :` as after a hyphen: long policy names wrap, not widen.
 * (<wbr>, not a zero-width space, so that a name copied from the page is the name.)
 */
const breakable = (s: string): string =>
  inline(s.replace(/([_./:])(?=[^\s\\])/g, "$1\uE002")).replace(/\uE002/g, "<wbr>");

/** A cell that starts like a figure (a number, a sign, a price, "–"); other text wraps at its spaces. */
const FIGURE = /^(\*\*)?[-+\u2212$\u2013\d]/; // escaped: the bundle stays ASCII (cached-bundle.ts)

/**
 * A figure cell ("$0.00104 ± 0.00025", "+2.1 % (+0.004)") breaks only before its "±" or "(" part,
 * so that a narrow column shows the mean above its half-width instead of running off the page.
 */
const compact = (s: string): string =>
  FIGURE.test(s) ? s.replace(/ /g, "\u00a0").replace(/\u00a0(?=[\u00b1(])/g, " ") : s;

export interface TableLayout {
  /** Move a last column headed "best" to this position (after the row labels), where it stays in view. */
  bestAt?: number;
}

/** Moves column `from` of every row to position `to`. */
function moveColumn(rows: readonly string[][], from: number, to: number): string[][] {
  return rows.map((r) => {
    const out = r.filter((_c, i) => i !== from);
    out.splice(to, 0, r[from]);
    return out;
  });
}

export function tableHtml(t: ReportTable, layout: TableLayout = {}): string {
  const last = t.head.length - 1;
  const moved = layout.bestAt !== undefined && last > layout.bestAt && t.head[last] === "best";
  const [head, ...rows] = moved ? moveColumn([t.head, ...t.rows], last, layout.bestAt!) : [t.head, ...t.rows];
  const best = moved ? layout.bestAt : -1;
  const cls = (i: number): string => (i === best ? ' class="best"' : i ? ' class="n"' : "");
  const headHtml = head.map((h, i) => `<th${cls(i)}>${breakable(h)}</th>`).join("");
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<th>${inline(c)}</th>` : `<td${cls(i)}>${inline(i === best ? c : compact(c))}</td>`)).join("")}</tr>`,
    )
    .join("\n");
  return `<section id="${t.id}"><h2>${inline(t.title)}</h2><p class="note">${inline(t.note)}</p>
<div class="scroll"><table><thead><tr>${headHtml}</tr></thead><tbody>
${body}
</tbody></table></div></section>`;
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0;background:#f6f7f9}
main{max-width:1240px;margin:0 auto;padding:24px 32px 64px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 6px;border-bottom:1px solid #e5e5e5;padding-bottom:4px}
p.meta{color:#555;margin:2px 0}p.note{color:#666;font-size:13px;margin:4px 0 8px}
ul.summary li{margin:4px 0}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 7px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
tbody th{min-width:10em}tbody th:not(:last-child){max-width:20em}
td.n,th.n{text-align:right}thead th{border-bottom:2px solid #ccc;background:#fafafa;vertical-align:bottom}
td.best{min-width:7em;max-width:18em}th.best,td.best{border-right:1px solid #e5e5e5}
tbody th,thead th:first-child{position:sticky;left:0;background:#fff;z-index:1}
thead th:first-child{background:#fafafa}
tbody tr:hover,tbody tr:hover th{background:#f3f7ff}.scroll{overflow-x:auto}
figure{margin:16px 0 24px}figure svg{max-width:100%;height:auto}
code{background:#f1f1f1;padding:1px 4px;border-radius:3px;font-size:12px}
.charts{display:block}
`;

/** A whole page: title, intro paragraphs, then the body. */
export function pageHtml(title: string, intro: readonly string[], body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(unescapeMd(title))}</title><style>${CSS}</style></head>
<body><main>
<h1>${escapeHtml(unescapeMd(title))}</h1>
${intro.map((p) => `<p class="meta">${inline(p)}</p>`).join("\n")}
${body}
</main></body></html>
`;
}

export async function renderCompareHtml(
  d: CompareData,
  s: CompareSummary,
  render: ChartRenderer = renderHere,
): Promise<string> {
  const r = reportModel(d, s);
  const figures: [TopLevelSpec, string][] = [
    [
      frontierSpec(s),
      `Each point is a policy; whiskers are 95 % confidence intervals across ${d.meta.batchMeans ? "batches of each run" : "replications"}. The dashed staircase is the Pareto frontier: the lowest cost per success at each success rate or higher; the policies on it are squares; each other policy is beaten by one of them (at least as good on both, better on one).`,
    ],
    [
      latencyCdfSpec(d, s),
      "Share of all requests served within each latency, end to end (queueing, failed attempts and fallbacks included); failed requests never count, so a curve stops at the success rate.",
    ],
    [errorsSpec(d), "Requests that finally failed, by arrival time."],
    ...d.meta.policies.map((p): [TopLevelSpec, string] => [
      shareSpec(d, p),
      `Where **${p}** sent the requests it served.`,
    ]),
  ];
  const svgs = await render(figures.map(([spec]) => spec));
  const charts = figures.map(
    ([, caption], i) => `<figure>${svgs[i]}<figcaption class="note">${inline(caption)}</figcaption></figure>`,
  );
  // The tables up to the headline (warnings, issue 25 item 2) come before the charts, the rest after.
  const at = r.tables.findIndex((t) => t.id === "headline") + 1;
  const top = r.tables.slice(0, at);
  const rest = r.tables.slice(at);
  return pageHtml(
    r.title,
    r.intro,
    `<h2>Summary</h2>
<ul class="summary">${r.summary.map((l) => `<li>${inline(l)}</li>`).join("\n")}</ul>
${top.map((t) => tableHtml(t, t.id === "headline" ? { bestAt: 1 } : {})).join("\n")}
<section id="charts" class="charts"><h2>Charts</h2>
${charts.join("\n")}
</section>
${rest.map((t) => tableHtml(t)).join("\n")}
${r.outages.length ? `<section id="outages"><h2>Outage windows</h2><p class="note">${inline(r.outagesNote)}</p><ul>${r.outages.map((o) => `<li>${inline(o)}</li>`).join("")}</ul></section>` : ""}
<h2>How to read this</h2>
<ul>${r.notes.map((n) => `<li>${inline(n)}</li>`).join("\n")}</ul>`,
  );
}
