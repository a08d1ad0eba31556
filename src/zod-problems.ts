/**
 * zod issues as routesim's input problems (path + what was expected). Shared by the scenario loader
 * and every option parser (policy kinds, gateway configs), below all of them.
 */
import type { z } from "zod";
import { formatPath } from "./errors.js";

/**
 * Turns zod issues into path + expectation lines, choosing the most specific union branch. With the
 * `root` schema, unknown keys also get the allowed ones (and a "did you mean" for near misses).
 */
export function zodProblems(issues: readonly z.core.$ZodIssue[], base: PropertyKey[] = [], root?: z.ZodType) {
  const out: { path: string; message: string }[] = [];
  const implied = new Set<string>();
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "unrecognized_keys" && root) {
      const known = knownKeys(root, path, (issue as { input?: unknown }).input);
      if (known.length > 0) {
        out.push({ path: formatPath(path), message: unknownKeysMessage(issue.keys, known) });
        // A misspelt required key also shows up as missing: the suggestion already says it.
        for (const k of issue.keys) {
          const near = nearMiss(k, known);
          if (near) implied.add(formatPath([...path, near]));
        }
        continue;
      }
    }
    if (issue.code === "invalid_union" && issue.errors.length === 0 && "discriminator" in issue) {
      // A discriminated union whose tag matched no branch (e.g. `dist: weibull`).
      const { options, input } = issue as { options?: unknown[]; input?: unknown };
      const got = (input as Record<string, unknown> | undefined)?.[String(issue.discriminator)];
      out.push({
        path: formatPath(path),
        message: `expected one of ${(options ?? []).map((o) => JSON.stringify(o)).join(", ")}${got === undefined ? " (missing)" : `, got ${typeName(got)}`}`,
      });
      continue;
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Prefer the branch that got furthest (longest paths): that is what the user meant.
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0];
      if (depth(best) > 0 || issue.errors.length === 1) {
        out.push(...zodProblems(best, path, root));
        continue;
      }
      // No branch got anywhere: list what each branch accepts (types and enum values).
      const expected: string[] = [];
      for (const branch of issue.errors) {
        const first = branch[0];
        if (first?.code === "invalid_type") expected.push(first.expected);
        else if (first?.code === "invalid_value")
          expected.push(`one of ${first.values.map((v) => JSON.stringify(v)).join(", ")}`);
      }
      out.push({
        path: formatPath(path),
        message: expected.length
          ? `expected ${[...new Set(expected)].join(" or ")}${got(issue)}`
          : issue.message,
      });
      continue;
    }
    out.push({ path: formatPath(path), message: describe(issue) });
  }
  return out.filter((p) => !(implied.has(p.path) && p.message.endsWith("(missing)")));
}

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  items?: z.ZodType[];
};
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;
/** A `z.lazy`'s schema, resolved once and kept by zod (calling the getter again would rebuild it). */
const lazyInner = (s: z.ZodType): z.ZodType =>
  (s as unknown as { _zod: { innerType: z.ZodType } })._zod.innerType;

/** Wrappers (default, optional, nullable, pipe, lazy, ...) down to the schema that does the work. */
function unwrap(s: z.ZodType): z.ZodType {
  for (let i = 0; i < 16; i++) {
    const d = defOf(s);
    const inner = d.innerType ?? (d.type === "pipe" ? d.in : d.type === "lazy" ? lazyInner(s) : undefined);
    if (!inner) return s;
    s = inner;
  }
  return s;
}

/** The alternatives a schema stands for: wrappers removed, unions flattened. */
function branches(s: z.ZodType): z.ZodType[] {
  const u = unwrap(s);
  const d = defOf(u);
  return d.type === "union" && d.options ? d.options.flatMap(branches) : [u];
}

/** The keys allowed at `path` of `root` (empty when the path cannot be followed). */
function knownKeys(root: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  let nodes = [root];
  for (const seg of path) {
    nodes = nodes.flatMap(branches).flatMap((b) => {
      const d = defOf(b);
      if (typeof seg === "number") {
        if (d.type === "array" && d.element) return [d.element];
        if (d.type === "tuple" && d.items?.[seg]) return [d.items[seg]];
        return [];
      }
      if (d.type === "object" && d.shape?.[String(seg)]) return [d.shape[String(seg)]];
      if (d.type === "record" && d.valueType) return [d.valueType];
      return [];
    });
  }
  const objects = nodes.flatMap(branches).filter((b) => defOf(b).type === "object");
  // Among union branches, keep those whose keys cover most of what was written.
  const written = input && typeof input === "object" ? Object.keys(input) : [];
  const score = (o: z.ZodType) => written.filter((k) => k in (defOf(o).shape ?? {})).length;
  const best = Math.max(0, ...objects.map(score));
  const keys = objects.filter((o) => score(o) === best).flatMap((o) => Object.keys(defOf(o).shape ?? {}));
  return [...new Set(keys)];
}

function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const parts = keys.map((k) => {
    const near = nearMiss(k, known);
    return near ? `"${k}" (did you mean "${near}"?)` : `"${k}"`;
  });
  return `unknown key${keys.length > 1 ? "s" : ""} ${parts.join(", ")}; expected one of ${known.join(", ")}`;
}

/** Optimal string alignment distance: edits and adjacent transpositions ("stauts" → "status"). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** A known key close enough to a misspelt one to suggest it. */
function nearMiss(k: string, known: readonly string[]): string | undefined {
  const lower = k.toLowerCase();
  return (
    known.find((c) => editDistance(lower, c) <= Math.max(1, Math.floor(c.length / 4))) ??
    known.find((c) => lower.length >= 3 && (c.startsWith(lower) || lower.startsWith(c)))
  );
}

function depth(branch: readonly z.core.$ZodIssue[]): number {
  let d = 0;
  for (const i of branch) {
    const deep = i.path.length + (i.code === "invalid_type" && i.path.length === 0 ? -1 : 0);
    if (i.code === "invalid_union" && i.errors.length > 0) d = Math.max(d, i.path.length + 1);
    d = Math.max(d, deep + (i.code === "unrecognized_keys" || i.code === "custom" ? 1 : 0));
  }
  return d;
}

function describe(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    case "invalid_type": {
      const received = (issue as { input?: unknown }).input;
      return `expected ${issue.expected}${received === undefined ? " (missing)" : `, got ${typeName(received)}`}`;
    }
    case "too_small":
      return `expected ${issue.origin === "array" ? "at least" : issue.inclusive ? ">=" : ">"} ${String(issue.minimum)}${issue.origin === "array" ? " item(s)" : ""}${got(issue)}`;
    case "too_big":
      return `expected ${issue.origin === "array" ? "at most" : issue.inclusive ? "<=" : "<"} ${String(issue.maximum)}${issue.origin === "array" ? " item(s)" : ""}${got(issue)}`;
    case "invalid_key":
      // A record key that failed its own schema: that schema's message says what was expected.
      return `bad key: ${issue.issues.map((i) => describe(i)).join("; ")}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}${got(issue)}`;
    case "invalid_format":
      return `${issue.message}${got(issue)}`;
    default:
      return issue.message.replace(/^Invalid input: /, "");
  }
}

/** ", got <value>" for issues that carry their input (scalars only; arrays by length). */
function got(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined) return "";
  if (Array.isArray(input)) return `, got ${input.length} item(s)`;
  return `, got ${typeName(input)}`;
}

/** A value described for a message: its type, and scalars shortly. */
export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  // A short, printable snippet only: the value may come from a file that is not a scenario at all.
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 24 ? `${v.slice(0, 24)}…` : v)}`;
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${String(v)}`;
  return typeof v;
}
