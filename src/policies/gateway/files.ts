/** Reading gateway config files named by a scenario (paths resolve against the scenario's folder). */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { InputError } from "../../errors.js";
import { zodProblems } from "../../zod-problems.js";
import type { PolicyContext } from "../kind.js";

/** Reads a config file as text (nginx.conf); problems name the scenario key. */
export function readTextFile(rel: string, ctx: PolicyContext, key: string): { file: string; data: string } {
  const file = resolve(ctx.baseDir, rel);
  try {
    return { file, data: readFileSync(file, "utf8") };
  } catch (e) {
    throw new InputError(ctx.file, [
      { path: `${ctx.path}.${key}`, message: `cannot read ${file}: ${(e as Error).message}` },
    ]);
  }
}

/** Reads and parses a YAML or JSON config file; problems name the file (or the scenario key). */
export function readConfigFile(
  rel: string,
  ctx: PolicyContext,
  key: string,
): { file: string; data: unknown } {
  const file = resolve(ctx.baseDir, rel);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(ctx.file, [
      { path: `${ctx.path}.${key}`, message: `cannot read ${file}: ${(e as Error).message}` },
    ]);
  }
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both.
    // logLevel error: a YAMLWarning would reach stderr as `(node:PID) ...` before our own message.
    return { file, data: parseYaml(text, { logLevel: "error" }) };
  } catch (e) {
    throw new InputError(file, [{ path: "", message: `not valid YAML/JSON: ${(e as Error).message}` }]);
  }
}

/** Validates a parsed config with zod; problems carry paths inside the config (`model_list[2].…`). */
export function parseConfig<T extends z.ZodType>(
  schema: T,
  data: unknown,
  file: string,
  base = "",
): z.infer<T> {
  const r = schema.safeParse(data, { reportInput: true, jitless: true }); // parsed once: no fast path
  if (r.success) return r.data;
  throw new InputError(
    file,
    zodProblems(r.error.issues).map((p) => ({
      path: base && p.path ? `${base}.${p.path}`.replace(".[", "[") : p.path || base,
      message: p.message,
    })),
  );
}

const FILE_KEYS = ["litellm", "portkey", "envoy", "nginx"] as const;
export type ConfigKey = (typeof FILE_KEYS)[number];

/**
 * Where a gateway policy's config comes from: the file named by `spec[key]` (problems located in
 * that file), or inline `options` (problems located at `policies[i].options`). A policy names at
 * most one config file.
 */
export function configSource(
  spec: { litellm?: string; portkey?: string; envoy?: string; nginx?: string; options: unknown },
  ctx: PolicyContext,
  key: ConfigKey,
): { file: string; data: unknown; base: string } {
  for (const other of FILE_KEYS)
    if (other !== key && spec[other] !== undefined)
      throw new InputError(ctx.file, [
        { path: `${ctx.path}.${other}`, message: `expected only one of ${key} or ${other}` },
      ]);
  const path = spec[key];
  // nginx.conf is its own syntax: its importer parses the text.
  if (path !== undefined && key === "nginx") return { ...readTextFile(path, ctx, key), base: "" };
  if (path !== undefined) return { ...readConfigFile(path, ctx, key), base: "" };
  return { file: ctx.file, data: spec.options, base: `${ctx.path}.options` };
}
