/**
 * Imports a user's policy module file and registers its kinds (`registerPolicyModule`): for
 * `--policy-module` on the main thread, and again in each replication worker thread.
 */
import { createRequire } from "node:module";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { registerPolicyModule } from "./registry.js";

const TYPESCRIPT = new Set([".ts", ".mts", ".cts"]);
const IMPORT = Symbol.for("routesim.import");

/**
 * In the build the CLI runs as a script (src/cached-bundle.ts), whose own `import()` has no loader:
 * the loader of the ES module that started the script is used, which leaves it under `IMPORT`.
 */
function importUrl(url: string): Promise<unknown> {
  const hook = (globalThis as { [IMPORT]?: (url: string) => Promise<unknown> })[IMPORT];
  return hook ? hook(url) : import(url);
}

/** tsx's `tsImport`, from the module's folder or routesim's, when tsx is installed. */
async function tsxImport(file: string): Promise<unknown> {
  for (const from of [file, import.meta.url]) {
    let api: string;
    try {
      api = createRequire(from)
        .resolve("tsx/esm/api")
        .replace(/\.cjs$/, ".mjs");
    } catch {
      continue;
    }
    const { tsImport } = (await importUrl(pathToFileURL(api).href)) as {
      tsImport: (specifier: string, parent: string) => Promise<unknown>;
    };
    return tsImport(pathToFileURL(file).href, import.meta.url);
  }
  return undefined;
}

/**
 * Imports a policy module (an absolute path) and registers its kinds; returns their names. A
 * TypeScript module node cannot load by itself (no `--import tsx`, or a worker thread, which does
 * not inherit tsx's hooks) goes through tsx's API when tsx is installed.
 */
export async function importPolicyModule(file: string): Promise<string[]> {
  let exports: unknown;
  try {
    exports = await importUrl(pathToFileURL(file).href);
  } catch (e) {
    const ts =
      TYPESCRIPT.has(extname(file)) && (e as { code?: string })?.code === "ERR_UNKNOWN_FILE_EXTENSION";
    exports = ts ? await tsxImport(file) : undefined;
    if (exports === undefined) throw e;
  }
  return registerPolicyModule(file, exports);
}
