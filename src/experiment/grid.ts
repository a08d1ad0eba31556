/**
 * Parameter sweeps: `--set path=v1,v2,...` assignments expand into a grid (the first --set varies
 * slowest); every grid point is a scenario validated on its own and compared like `compare` does.
 * `--shard i/n` runs work units (grid point × replication) i−1, i−1+n, ... so n machines cover the grid exactly once,
 * and `merge` puts the shard folders back together.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { GridPoint, SetValue, Shard, SweepAxis } from "../results/sweep-folder.js";
import { InputError } from "../scenario/errors.js";
import { MAX_GRID_POINTS } from "../scenario/limits.js";
import { loadScenario, parseText, scenarioFromObject } from "../scenario/load.js";

/** `a.b[2].c` → ["a", "b", 2, "c"]; null when malformed. */
export function parsePath(path: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  const re = /([A-Za-z_][\w-]*)|\[(\d+)\]|(\.)/gy;
  let expectKey = true;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    m = re.exec(path);
    if (!m) return null;
    if (m[1] !== undefined) {
      if (!expectKey) return null;
      out.push(m[1]);
      expectKey = false;
    } else if (m[2] !== undefined) {
      if (out.length === 0) return null;
      out.push(Number(m[2]));
    } else {
      if (expectKey) return null;
      expectKey = true;
    }
    pos = re.lastIndex;
  }
  return out.length && !expectKey ? out : null;
}

function parseValue(v: string): SetValue {
  const t = v.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t !== "" && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/** Parses `path=v1,v2` assignments. */
export function parseSets(file: string, sets: readonly string[]): SweepAxis[] {
  if (sets.length === 0)
    throw new InputError(file, [{ path: "--set", message: "expected at least one --set path=v1,v2" }]);
  return sets.map((s) => {
    const eq = s.indexOf("=");
    const path = eq < 0 ? s : s.slice(0, eq);
    if (eq < 0 || eq === s.length - 1)
      throw new InputError(file, [{ path: "--set", message: `expected path=v1,v2,... in "${s}"` }]);
    if (!parsePath(path))
      throw new InputError(file, [
        { path, message: "malformed path (expected e.g. providers[0].price.prompt)" },
      ]);
    return {
      path,
      values: s
        .slice(eq + 1)
        .split(",")
        .map(parseValue),
    };
  });
}

/** The full grid, first axis slowest; its size is checked before anything is built. */
export function expandGrid(axes: readonly SweepAxis[], file = "<command line>"): GridPoint[] {
  const size = axes.reduce((n, a) => n * a.values.length, 1);
  if (size > MAX_GRID_POINTS)
    throw new InputError(file, [
      {
        path: "--set",
        message: `the grid has ${axes.map((a) => a.values.length).join(" × ")} = ${size} points; at most ${MAX_GRID_POINTS}`,
      },
    ]);
  let points: Record<string, SetValue>[] = [{}];
  for (const a of axes) points = points.flatMap((p) => a.values.map((v) => ({ ...p, [a.path]: v })));
  return points.map((values, index) => ({ index, values }));
}

export function parseShard(v: string | undefined): Shard | null {
  if (v === undefined) return null;
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = m ? Number(m[1]) : 0;
  const count = m ? Number(m[2]) : 0;
  if (!m || count < 1 || index < 1 || index > count)
    throw new InputError("<command line>", [
      { path: "--shard", message: `expected i/n with 1 ≤ i ≤ n, got "${v}"` },
    ]);
  return { index, count };
}

/**
 * The work units a shard runs: unit u = point · R + replication, every n-th from i−1 (round
 * robin over grid point × replication, so 3 points × 30 replications keep 90 tasks busy).
 */
export function shardUnits(points: number, replications: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let u = shard.index - 1; u < points * replications; u += shard.count) out.push(u);
  return out;
}

/** The points a shard runs: every n-th, starting at i−1 (round robin keeps shards balanced). */
export function shardPoints(points: readonly GridPoint[], shard: Shard | null): GridPoint[] {
  return shard ? points.filter((p) => p.index % shard.count === shard.index - 1) : [...points];
}

/** Sets one path in a (cloned) raw scenario; the path must lead through existing objects/arrays. */
export function setPath(file: string, raw: unknown, path: string, value: SetValue): void {
  const keys = parsePath(path)!;
  let cur: unknown = raw;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const last = i === keys.length - 1;
    const here = keys
      .slice(0, i + 1)
      .reduce<string>((acc, x) => (typeof x === "number" ? `${acc}[${x}]` : acc ? `${acc}.${x}` : x), "");
    if (typeof k === "number") {
      if (!Array.isArray(cur))
        throw new InputError(file, [{ path: here, message: "not a list in the scenario" }]);
      if (k >= cur.length)
        throw new InputError(file, [{ path: here, message: `no such item (the list has ${cur.length})` }]);
    } else if (cur === null || typeof cur !== "object" || Array.isArray(cur)) {
      throw new InputError(file, [{ path: here, message: "not a mapping in the scenario" }]);
    } else if (!last && !(k in (cur as object))) {
      throw new InputError(file, [{ path: here, message: "no such key in the scenario" }]);
    }
    if (last) (cur as Record<string | number, unknown>)[k] = value;
    else cur = (cur as Record<string | number, unknown>)[k];
  }
}

/** The raw scenario object of a file (validated as a whole first, so errors name the file). */
export function rawScenario(file: string): unknown {
  loadScenario(file);
  // The loader's parser: no YAML warnings on stderr, strict JSON.
  return parseText(file, readFileSync(resolve(file), "utf8").replace(/^\uFEFF/, ""));
}

/** The scenario object of one grid point, validated; problems name the point and the path. */
export function pointScenario(file: string, raw: unknown, point: GridPoint): unknown {
  const label = `${file} (sweep point ${point.index}: ${Object.entries(point.values)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ")})`;
  const obj = structuredClone(raw);
  for (const [path, v] of Object.entries(point.values)) setPath(label, obj, path, v);
  try {
    scenarioFromObject(obj);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(label, e.problems);
    throw e;
  }
  return obj;
}
