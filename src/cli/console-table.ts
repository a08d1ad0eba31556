/**
 * Console tables whose columns line up: every column as wide as its widest cell, so that a long
 * policy name moves the whole table right instead of breaking its row (issue 25 item 10).
 */
export type Align = "left" | "right";

/** Display width of a cell: code points, not UTF-16 units (names may hold any character). */
const width = (s: string): number => [...s].length;

/** The rows as lines (each ending in "\n"), columns two spaces apart, no trailing spaces. */
export function consoleTable(rows: readonly (readonly string[])[], align: readonly Align[]): string {
  const widths: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, width(c));
  return rows
    .map((r) => {
      const cells = r.map((c, i) => {
        const pad = " ".repeat(widths[i] - width(c));
        return align[i] === "right" ? pad + c : c + pad;
      });
      return `${cells.join("  ").trimEnd()}\n`;
    })
    .join("");
}
