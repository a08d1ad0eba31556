/**
 * Loading scenario files: YAML or JSON → validated, fully defaulted, frozen `Scenario`.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import type { Slo } from "../types.js";
import { typeName, zodProblems } from "../zod-problems.js";
import { InputError } from "./errors.js";
import { MAX_REQUESTS } from "./limits.js";
import { Scenario, type ScenarioInput } from "./schema.js";

export { zodProblems } from "../zod-problems.js";

export interface LoadedScenario {
  readonly scenario: Scenario;
  /** Absolute path of the file ("<inline>" for objects). */
  readonly file: string;
  /** Folder against which relative paths in the scenario resolve. */
  readonly baseDir: string;
  /** SHA-256 of the file's bytes (or of the canonical JSON for inline objects). */
  readonly hash: string;
}

/**
 * The last file this thread parsed, reused while its text is unchanged. Validation never mutates
 * the parsed object (zod builds a new one), so sharing it between loads is safe.
 */
let lastParsed: { file: string; text: string; raw: unknown } | null = null;

/** Reads and validates a scenario file. Throws InputError (never a raw parser/zod error). */
export function loadScenario(path: string, overrides: ScenarioOverrides = {}): LoadedScenario {
  if (typeof path !== "string" || path === "")
    throw new InputError("<argument>", [
      { path: "path", message: `expected a file path, got ${typeName(path)}` },
    ]);
  checkOverrides(path, overrides);
  const file = resolve(path);
  const text = readScenarioText(path, file);
  // Replications load the same file once per job (compare, sweep): parse it once per thread.
  const raw = lastParsed?.file === file && lastParsed.text === text ? lastParsed.raw : parseText(path, text);
  lastParsed = { file, text, raw };
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
  checkOverrides("<inline>", overrides);
  if (typeof baseDir !== "string")
    throw new InputError("<inline>", [
      { path: "baseDir", message: `expected a folder path, got ${typeName(baseDir)}` },
    ]);
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

/** The overrides of the library and the CLI flags, checked like the scenario keys they replace. */
const Overrides = z.strictObject({
  seed: Scenario.shape.seed.unwrap().optional(),
  requests: z.number().int().positive().max(MAX_REQUESTS).optional(),
});

function checkOverrides(file: string, overrides: unknown): void {
  if (overrides === undefined) return;
  const r = Overrides.safeParse(overrides, { reportInput: true, jitless: true });
  if (!r.success) throw new InputError(file, zodProblems(r.error.issues, ["overrides"]));
}

function readScenarioText(path: string, file: string): string {
  try {
    if (statSync(file).isDirectory())
      throw new InputError(path, [{ path: "", message: "is a directory, expected a scenario file" }]);
    // A byte order mark is not part of the text (JSON.parse would reject it).
    return readFileSync(file, "utf8").replace(/^\uFEFF/, "");
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(path, [
      { path: "", message: code === "ENOENT" ? "file not found" : `cannot read file (${code ?? String(e)})` },
    ]);
  }
}

/**
 * Parses scenario text: `.json` files as strict JSON (YAML would accept trailing commas), anything
 * else as YAML. Alias errors and alias bombs become InputErrors like syntax errors.
 */
export function parseText(path: string, text: string): unknown {
  const value = path.toLowerCase().endsWith(".json") ? parseJson(path, text) : parseYaml(path, text);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(path, [
      { path: "", message: "expected a mapping at the top level (name, traffic, ...)" },
    ]);
  }
  return value;
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 names the offset ("at position 42"); users want a line and column.
    const at = /position (\d+)/.exec((e as Error).message);
    let where = "";
    if (at) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split("\n").length;
      where = `line ${line}, column ${Number(at[1]) - before.lastIndexOf("\n")}`;
    }
    const why = (e as Error).message
      .replace(/^.*?(Unexpected|Expected|Bad|Unterminated)/, "$1")
      .split(/ in JSON| at position|, "/)[0];
    return fail(path, where, `malformed JSON: ${why}`);
  }
}

function fail(path: string, where: string, message: string): never {
  throw new InputError(path, [{ path: where, message }]);
}

function parseYaml(path: string, text: string): unknown {
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
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // `*nope` without its anchor, or an alias bomb (billion laughs): the parser's message says which.
    return fail(path, "", `malformed YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}

function validateScenario(raw: unknown, file: string, overrides: ScenarioOverrides): Scenario {
  // reportInput: issues carry the offending value, so messages can say what was received.
  // jitless: a file is parsed once, and compiling zod's fast path for it costs more than it saves.
  const parsed = Scenario.safeParse(raw, { reportInput: true, jitless: true });
  if (!parsed.success) throw new InputError(file, zodProblems(parsed.error.issues, [], Scenario));
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

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The scenario's service-level targets as the domain type (null when it sets none). */
export function sloOf(s: Pick<Scenario, "slo">): Slo | null {
  return s.slo ? { ttftMs: s.slo.ttft_ms ?? null, latencyMs: s.slo.latency_ms ?? null } : null;
}
