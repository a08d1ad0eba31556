/**
 * A replication's raw result on disk: what a shard keeps of each work unit, so that `merge` can
 * fold every replication in order, exactly as an unsharded run folds them.
 */
import { existsSync, readFileSync } from "node:fs";
import { InputError } from "../scenario/errors.js";
import { CompareFolder } from "./compare.js";
import type { ReplicationResult } from "./replicate.js";

/** A replication's raw result as JSON; NaN and infinities survive (JSON has no such numbers). */
export function encodeResult(r: ReplicationResult): string {
  return JSON.stringify(r, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? { $n: String(v) } : v));
}

export function decodeResult(text: string): ReplicationResult {
  return JSON.parse(text, (_k, v) =>
    v !== null && typeof v === "object" && typeof v.$n === "string" && Object.keys(v).length === 1
      ? Number(v.$n)
      : v,
  ) as ReplicationResult;
}

/** The unit files of one comparison, folded in the order given (replication order). */
export function foldUnits(files: readonly string[]): CompareFolder {
  const folder = new CompareFolder();
  for (const f of files) {
    if (!existsSync(f)) throw new InputError(f, [{ path: "", message: "unit file missing" }]);
    folder.add(decodeResult(readFileSync(f, "utf8")));
  }
  return folder;
}
