/**
 * `--policy-module <file>` (run, compare, sweep, check): imports a user's policy module, whose
 * `kinds` export names policy factories, and registers them (src/policies/registry.ts), so that a
 * scenario's `policies:` use them by `kind:`. Worker threads of `--jobs N` import the same files
 * (src/pool/pool.ts passes them on). Contract and example: docs/own-policy.md.
 */
import { statSync } from "node:fs";
import { extname, resolve } from "node:path";
import { Option } from "commander";
import { importPolicyModule } from "../policies/module-import.js";
import { InputError } from "../scenario/errors.js";

const SCRIPT = new Set([".js", ".mjs", ".cjs"]);
const TYPESCRIPT = new Set([".ts", ".mts", ".cts"]);
const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** The repeatable `--policy-module <file>` option (`command.addOption(policyModuleOption())`). */
export function policyModuleOption(): Option {
  return new Option(
    "--policy-module <file>",
    "import your own policy kinds from this module (exports `kinds`; repeatable; docs/own-policy.md)",
  )
    .argParser(collect)
    .default([]);
}

/** Kinds of the modules loaded so far, by absolute path: a module is imported once per thread. */
const loadedKinds = new Map<string, string[]>();

/**
 * Imports each module and registers its kinds (returns their names); bad modules are input errors
 * naming the file.
 */
export async function loadPolicyModules(files: readonly string[] = []): Promise<string[]> {
  const loaded: string[] = [];
  for (const given of files) {
    const file = resolve(given);
    const known = loadedKinds.get(file);
    if (known) {
      loaded.push(...known);
      continue;
    }
    const fail = (message: string) => new InputError(given, [{ path: "", message }]);
    const ext = extname(file);
    if (!SCRIPT.has(ext) && !TYPESCRIPT.has(ext))
      throw fail(`a policy module is a .js or .mjs file (or .ts, with tsx installed), got "${ext}"`);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile())
      throw fail("no such file (--policy-module expects a module that exports `kinds`)");
    try {
      const kinds = await importPolicyModule(file);
      loadedKinds.set(file, kinds);
      loaded.push(...kinds);
    } catch (e) {
      if (e instanceof InputError) throw e;
      const err = e as { code?: string; message?: string };
      if (TYPESCRIPT.has(ext) && err?.code === "ERR_UNKNOWN_FILE_EXTENSION")
        throw fail(
          "node cannot import TypeScript by itself and tsx is not installed: compile the module to .js (npx tsc), or install tsx (npm install --save-dev tsx)",
        );
      throw fail(`importing the module failed: ${String(err?.message ?? e).split("\n")[0]}`);
    }
  }
  return loaded;
}
