/**
 * Loading scenario files: YAML or JSON → validated, fully defaulted, frozen `Scenario`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { formatPath, InputError } from "./errors.js";
import { Scenario, type ScenarioInput } from "./schema.js";

export interface LoadedScenario {
  readonly scenario: Scenario;
  /** Absolute path of the file ("<inline>" for objects). */
  readonly file: string;
  /** Folder against which relative paths in the scenario resolve. */
  readonly baseDir: string;
  /** SHA-256 of the file's bytes (or of the canonical JSON for inline objects). */
  readonly hash: string;
}

/** Reads and validates a scenario file. Throws InputError (never a raw parser/zod error). */
export function loadScenario(path: string, overrides: ScenarioOverrides = {}): LoadedScenario {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, [
      { path: "", message: code === "ENOENT" ? "file not found" : `cannot read file (${code ?? String(e)})` },
    ]);
  }
  const raw = parseText(path, text);
  const scenario = validateScenario(raw, path, overrides);
  return {
    scenario,
    file,
    baseDir: dirname(file),
    hash: createHash("sha256").update(text).digest("hex"),
  };
}

/** Validates an in-memory scenario object (library use). */
export function scenarioFromObject(
  input: ScenarioInput | unknown,
  overrides: ScenarioOverrides = {},
  baseDir = process.cwd(),
): LoadedScenario {
  const scenario = validateScenario(input, "<inline>", overrides);
  return {
    scenario,
    file: "<inline>",
    baseDir,
    hash: createHash("sha256").update(JSON.stringify(input)).digest("hex"),
  };
}

export interface ScenarioOverrides {
  seed?: number;
  /** Exactly this many requests (synthetic traffic: replaces `duration_s`; traces: a row limit). */
  requests?: number;
}

function parseText(path: string, text: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new InputError(
      path,
      doc.errors.slice(0, 5).map((e) => {
        const pos = e.linePos?.[0] ?? (e.pos ? lines.linePos(e.pos[0]) : undefined);
        const where = pos ? `line ${pos.line}, column ${pos.col}` : "";
        return { path: where, message: `malformed YAML/JSON: ${e.message.split("\n")[0]}` };
      }),
    );
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(path, [
      { path: "", message: "expected a mapping at the top level (name, traffic, ...)" },
    ]);
  }
  return value;
}

function validateScenario(raw: unknown, file: string, overrides: ScenarioOverrides): Scenario {
  // reportInput: issues carry the offending value, so messages can say what was received.
  const parsed = Scenario.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(file, zodProblems(parsed.error.issues));
  const s = parsed.data;
  if (overrides.seed !== undefined) s.seed = overrides.seed;
  if (overrides.requests !== undefined) {
    s.traffic.requests = overrides.requests;
    // "Run N requests" replaces the synthetic stop condition: a duration would cut it short.
    if (!s.traffic.trace) delete s.traffic.duration_s;
    if (s.traffic.trace) s.traffic.trace = { ...s.traffic.trace, limit: overrides.requests };
  }
  return deepFreeze(s);
}

/** Turns zod issues into path + expectation lines, choosing the most specific union branch. */
export function zodProblems(issues: readonly z.core.$ZodIssue[], base: PropertyKey[] = []) {
  const out: { path: string; message: string }[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
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
        out.push(...zodProblems(best, path));
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
  return out;
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

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "string") return `string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === "number" || typeof v === "boolean") return `${typeof v} ${String(v)}`;
  return typeof v;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
