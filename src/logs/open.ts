/** A log source from `--from` and `--format`: a file of the format, or LiteLLM's PostgreSQL. */
import { InputError } from "../scenario/errors.js";
import { liteLLMFile, liteLLMPostgres, type Skipped } from "./litellm.js";
import { openRouterFile } from "./openrouter.js";
import { otelFile } from "./otel.js";
import { LOG_FORMATS, type LogFormat, type LogSource } from "./record.js";

export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//.test(s);

export function openLog(from: string, format: string | undefined, skipped: Skipped): LogSource {
  const f = (format ?? (isPostgresUrl(from) ? "litellm" : undefined)) as LogFormat | undefined;
  if (f === undefined || !LOG_FORMATS.includes(f))
    throw new InputError("<command line>", [
      {
        path: "--format",
        message: `expected one of ${LOG_FORMATS.join(", ")}${format === undefined ? " (required for a file)" : `, got "${format}"`}`,
      },
    ]);
  if (isPostgresUrl(from)) {
    if (f !== "litellm")
      throw new InputError("<command line>", [
        { path: "--from", message: "a postgres:// source is LiteLLM's database: use --format litellm" },
      ]);
    return liteLLMPostgres(from, skipped);
  }
  if (f === "litellm") return liteLLMFile(from, skipped);
  if (f === "openrouter") return openRouterFile(from);
  return otelFile(from);
}
