/**
 * `--shard auto`: which shard this task is, read from the batch engine's environment, so one job
 * definition (a Slurm array, a Kubernetes Indexed Job, an AWS Batch array, a Cloud Run job) runs
 * every shard of a sweep without per-task arguments. Shards are 1-based (`--shard i/n`).
 *
 * | engine | index | count |
 * |---|---|---|
 * | Slurm job array | SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN | SLURM_ARRAY_TASK_COUNT (else MAX − MIN + 1) |
 * | Kubernetes Indexed Job | JOB_COMPLETION_INDEX (0-based) | --shards or ROUTESIM_SHARD_COUNT (Kubernetes exports none) |
 * | AWS Batch array job | AWS_BATCH_JOB_ARRAY_INDEX (0-based) | --shards or ROUTESIM_SHARD_COUNT (AWS exports none) |
 * | Cloud Run job | CLOUD_RUN_TASK_INDEX (0-based) | CLOUD_RUN_TASK_COUNT |
 *
 * A CI matrix passes `--shard i/n` itself. A Slurm array with a step (`--array=0-9:2`) has no
 * dense index: it is refused.
 */
import { InputError } from "../scenario/errors.js";

export type Engine = "slurm" | "kubernetes" | "aws-batch" | "cloud-run";

export interface AutoShard {
  /** 1-based. */
  index: number;
  count: number;
  engine: Engine;
  /** The variables read, as found (recorded in the results' run information). */
  vars: Record<string, string>;
}

export const COUNT_VAR = "ROUTESIM_SHARD_COUNT";

const INDEX_VARS: Record<Engine, string> = {
  slurm: "SLURM_ARRAY_TASK_ID",
  kubernetes: "JOB_COMPLETION_INDEX",
  "aws-batch": "AWS_BATCH_JOB_ARRAY_INDEX",
  "cloud-run": "CLOUD_RUN_TASK_INDEX",
};

const fail = (message: string): InputError =>
  new InputError("<environment>", [{ path: "--shard auto", message }]);

function whole(name: string, v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v.trim()))
    throw fail(`${name} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v.trim());
}

/** The shard of this task, from `env` (normally process.env); `shards` is the --shards flag. */
export function shardFromEnv(env: Readonly<Record<string, string | undefined>>, shards?: number): AutoShard {
  const found = (Object.keys(INDEX_VARS) as Engine[]).filter((e) => env[INDEX_VARS[e]] !== undefined);
  if (found.length === 0)
    throw fail(
      `no batch engine found: looked for ${Object.values(INDEX_VARS).join(", ")}; in a CI matrix pass --shard i/n`,
    );
  if (found.length > 1)
    throw fail(
      `ambiguous: ${found.map((e) => `${INDEX_VARS[e]} (${e})`).join(" and ")} are both set; pass --shard i/n`,
    );
  const engine = found[0];
  const vars: Record<string, string> = {};
  const read = (name: string): string | undefined => {
    const v = env[name];
    if (v !== undefined) vars[name] = v;
    return v;
  };
  const external = (): number => {
    const v = read(COUNT_VAR);
    const n = shards ?? (v !== undefined ? whole(COUNT_VAR, v) : undefined);
    if (n === undefined)
      throw fail(`${engine} does not export the number of tasks: pass --shards N or set ${COUNT_VAR}`);
    return n;
  };
  let zeroBased: number;
  let count: number;
  if (engine === "slurm") {
    const id = whole("SLURM_ARRAY_TASK_ID", read("SLURM_ARRAY_TASK_ID"));
    const min = whole("SLURM_ARRAY_TASK_MIN", read("SLURM_ARRAY_TASK_MIN") ?? "0");
    const step = read("SLURM_ARRAY_TASK_STEP");
    if (step !== undefined && whole("SLURM_ARRAY_TASK_STEP", step) !== 1)
      throw fail(
        `a Slurm array with step ${step} has gaps in its task ids; use --array=<min>-<max> with step 1`,
      );
    const cnt = read("SLURM_ARRAY_TASK_COUNT");
    const max = read("SLURM_ARRAY_TASK_MAX");
    count =
      shards ??
      (cnt !== undefined
        ? whole("SLURM_ARRAY_TASK_COUNT", cnt)
        : max !== undefined
          ? whole("SLURM_ARRAY_TASK_MAX", max) - min + 1
          : Number.NaN);
    if (!Number.isFinite(count))
      throw fail("SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MAX are both missing");
    zeroBased = id - min;
  } else if (engine === "cloud-run") {
    zeroBased = whole("CLOUD_RUN_TASK_INDEX", read("CLOUD_RUN_TASK_INDEX"));
    count = shards ?? whole("CLOUD_RUN_TASK_COUNT", read("CLOUD_RUN_TASK_COUNT"));
  } else {
    zeroBased = whole(INDEX_VARS[engine], read(INDEX_VARS[engine]));
    count = external();
  }
  if (!(count >= 1)) throw fail(`the number of tasks must be at least 1, got ${count}`);
  if (zeroBased < 0 || zeroBased >= count)
    throw fail(`task ${zeroBased} (0-based, from ${Object.keys(vars).join(", ")}) is outside 0…${count - 1}`);
  return { index: zeroBased + 1, count, engine, vars };
}
