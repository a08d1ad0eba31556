/** `routesim catalog import <file>`: OpenRouter endpoint listings → scenario provider entries. */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseDocument } from "yaml";
import { providersYaml, toProviders } from "../catalog/providers.js";
import { parseEndpoints } from "../catalog/sources.js";
import { InputError } from "../scenario/errors.js";
import { scenarioFromObject } from "../scenario/load.js";
import { UsageError } from "./common.js";

interface ImportFlags {
  model?: string;
  out?: string;
  scenario?: string;
}

/** Imports a listing and returns the YAML text (a providers block, or a whole scenario). */
export function catalogImport(file: string, flags: ImportFlags): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new InputError(file, [
      { path: "", message: `cannot read file (${(e as NodeJS.ErrnoException).code})` },
    ]);
  }
  const { shape, endpoints } = parseEndpoints(text, file, flags.model);
  if (endpoints.length === 0) throw new InputError(file, [{ path: "", message: "no endpoints in the file" }]);
  const models = [...new Set(endpoints.map((e) => e.model))];
  const imported = toProviders(endpoints);
  const header = [
    `Imported by \`routesim catalog import ${basename(file)}\` (${shape} shape): ${endpoints.length} endpoints of ${models.join(", ")}.`,
    "Prices converted from USD per token to USD per million tokens. TTFT: lognormal around the median",
    "latency; decode speed: normal around the median throughput; spreads and clipping as in docs/traces.md.",
  ];
  if (!flags.scenario) return providersYaml(imported, header);
  if (!/^[A-Za-z0-9._-]+$/.test(flags.scenario))
    throw new UsageError(`--scenario expects a name of letters, digits, . _ -, got "${flags.scenario}"`);
  const model = models[0];
  const scenarioText = [
    ...header.map((h) => `# ${h}`),
    `name: ${flags.scenario}`,
    "seed: 1",
    "traffic:",
    "  arrivals: { process: poisson, rate_per_s: 20 }",
    "  duration_s: 600",
    "  prompt_tokens: { dist: lognormal, median: 1000, sigma: 0.8 }",
    "  completion_tokens: { dist: lognormal, median: 250, sigma: 0.7 }",
    `  model: ${model}`,
    providersYaml(imported, []).trimEnd(),
    "policies:",
    "  - name: default",
    "    description: OpenRouter default load balancing (price-weighted)",
    `    request: { model: ${model} }`,
    "  - name: price-sort",
    `    request: { model: ${model}, provider: { sort: price } }`,
    "  - name: throughput-sort",
    `    request: { model: ${model}, provider: { sort: throughput } }`,
    "",
  ].join("\n");
  // The output must load as a scenario; a failure here is a bug in the importer.
  scenarioFromObject(parseDocument(scenarioText).toJS());
  return scenarioText;
}

export function registerCatalog(program: Command): void {
  const catalog = program.command("catalog").description("build provider catalogs from real listings");
  catalog
    .command("import")
    .description(
      "OpenRouter endpoint listing (website stats JSON, public /endpoints JSON, or the snapshot's per-model CSV) → provider entries (YAML)",
    )
    .argument("<file>", "listing file")
    .option("--model <id>", "model id for the entries (default: from the file)")
    .option(
      "--scenario <name>",
      "emit a runnable scenario (synthetic traffic, three policies) instead of a providers block",
    )
    .option("-o, --out <file>", "write here instead of stdout")
    .action((file: string, flags: ImportFlags) => {
      const yaml = catalogImport(file, flags);
      if (!flags.out) {
        process.stdout.write(yaml);
        return;
      }
      const out = resolve(flags.out);
      const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
      writeFileSync(tmp, yaml);
      renameSync(tmp, out);
    });
}
