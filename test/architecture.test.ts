/**
 * The import graph of src/ (issue 24 item 6): no cycles, and the simulation core never reaches up
 * into the layers built on it. Read from the source text, so a new import that breaks either rule
 * fails here with the files named.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of each file (static, re-exports, type-only and dynamic), as src paths. */
function importGraph(): Map<string, string[]> {
  const files = sources(SRC);
  const known = new Set(files);
  const spec = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g;
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const deps = [...text.matchAll(spec)]
      .map((m) => resolve(dirname(f), (m[1] ?? m[2]).replace(/\.js$/, ".ts")))
      .filter((d) => known.has(d));
    graph.set(relative(SRC, f), [...new Set(deps.map((d) => relative(SRC, d)))]);
  }
  return graph;
}

/** Strongly connected components of more than one file (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The simulation core, and what sits on top of it (which the core must never import). */
const CORE = ["sim", "rng", "traffic", "providers", "policies", "router", "metrics"];
const ABOVE = [
  "experiment",
  "pool",
  "results",
  "report",
  "cli",
  "live",
  "check",
  "logs",
  "calibrate",
  "catalog",
];
const TOP_FILES = ["simulate.ts", "index.ts", "worker.ts", "bundle.ts", "cached-bundle.ts"];
/** The ground floor every layer may import: domain types, input errors, limits. */
const GROUND = ["domain", "types.ts", "errors.ts", "limits.ts", "zod-problems.ts"];

const folder = (f: string): string => (f.includes("/") ? f.slice(0, f.indexOf("/")) : f);

describe("import graph of src/", () => {
  const graph = importGraph();

  it("reads the whole tree", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get("simulate.ts")).toContain("router/router.ts");
  });

  it("has no import cycles", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("finds a cycle when there is one (the check itself)", () => {
    const g = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(cycles(g)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });

  it("keeps each core layer below the next (sim → rng → … → metrics, never back up)", () => {
    const upward: string[] = [];
    for (const [f, deps] of graph) {
      const at = CORE.indexOf(folder(f));
      if (at < 0) continue;
      for (const d of deps) if (CORE.indexOf(folder(d)) > at) upward.push(`${f} -> ${d}`);
    }
    expect(upward).toEqual([]);
  });

  it("keeps the simulation core below the layers built on it", () => {
    const upward: string[] = [];
    for (const [f, deps] of graph) {
      if (!CORE.includes(folder(f))) continue;
      for (const d of deps)
        if (ABOVE.includes(folder(d)) || TOP_FILES.includes(d)) upward.push(`${f} -> ${d}`);
    }
    expect(upward).toEqual([]);
  });

  it("keeps the zod schemas at the edge: the core and the domain types never import scenario/ (issue 24 item 2)", () => {
    const inward: string[] = [];
    for (const [f, deps] of graph) {
      if (!CORE.includes(folder(f)) && !GROUND.includes(folder(f))) continue;
      for (const d of deps) if (folder(d) === "scenario") inward.push(`${f} -> ${d}`);
    }
    expect(inward).toEqual([]);
    // The rule reads real files: the domain is where policies take their types from.
    expect(graph.get("policies/openrouter/filters.ts")).toContain("types.ts");
    expect(graph.get("types.ts")).toContain("domain/scenario.ts");
  });

  it("lets reports read saved results without the experiments or the thread pool (issue 24 item 3)", () => {
    // report/ reads results/ only; pool/ runs any job and draws with what it is given; results/
    // (file formats, summary statistics) sits below both report/ and experiment/.
    const forbidden: Record<string, string[]> = {
      report: ["experiment", "pool"],
      pool: ["report", "experiment", "results"],
      results: ["experiment", "pool", "report"],
    };
    const crossing: string[] = [];
    for (const [f, deps] of graph)
      for (const d of deps) if (forbidden[folder(f)]?.includes(folder(d))) crossing.push(`${f} -> ${d}`);
    expect(crossing).toEqual([]);
    expect(graph.get("report/compare-markdown.ts")).toContain("results/compare-summary.ts");
  });
});
