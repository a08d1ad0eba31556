/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no network) with the same
 * tables and sentences as report.md plus the charts rendered by vega.
 */
import type { TopLevelSpec } from "vega-lite";
import type { CompareSummary } from "../compare/aggregate.js";
import type { CompareData } from "../compare/files.js";
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

export function tableHtml(t: ReportTable): string {
  const head = t.head.map((h, i) => `<th${i ? ' class="n"' : ""}>${inline(h)}</th>`).join("");
  const rows = t.rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i ? `<td class="n">${inline(c)}</td>` : `<th>${inline(c)}</th>`)).join("")}</tr>`,
    )
    .join("\n");
  return `<section id="${t.id}"><h2>${inline(t.title)}</h2><p class="note">${inline(t.note)}</p>
<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>
${rows}
</tbody></table></div></section>`;
}

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;margin:0;background:#f6f7f9}
main{max-width:1240px;margin:0 auto;padding:24px 32px 64px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 6px;border-bottom:1px solid #e5e5e5;padding-bottom:4px}
p.meta{color:#555;margin:2px 0}p.note{color:#666;font-size:13px;margin:4px 0 8px}
ul.summary li{margin:4px 0}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
tbody th{white-space:normal;min-width:12em}
td.n,th.n{text-align:right}thead th{border-bottom:2px solid #ccc;background:#fafafa}
tbody tr:hover{background:#f3f7ff}.scroll{overflow-x:auto}
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
      `Each point is a policy; whiskers are 95 % confidence intervals across ${d.meta.batchMeans ? "batches of each run" : "replications"}.`,
    ],
    [latencyCdfSpec(d), "End-to-end latency including queueing, failed attempts and fallbacks."],
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
  const [headline, ...rest] = r.tables;
  return pageHtml(
    r.title,
    r.intro,
    `<h2>Summary</h2>
<ul class="summary">${r.summary.map((l) => `<li>${inline(l)}</li>`).join("\n")}</ul>
${tableHtml(headline)}
<section id="charts" class="charts"><h2>Charts</h2>
${charts.join("\n")}
</section>
${rest.map(tableHtml).join("\n")}
${r.outages.length ? `<section id="outages"><h2>Outage windows</h2><p class="note">${inline(r.outagesNote)}</p><ul>${r.outages.map((o) => `<li>${inline(o)}</li>`).join("")}</ul></section>` : ""}
<h2>How to read this</h2>
<ul>${r.notes.map((n) => `<li>${inline(n)}</li>`).join("\n")}</ul>`,
  );
}
