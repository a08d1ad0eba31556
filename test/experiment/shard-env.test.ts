/** `--shard auto` (issue 22 item 1): every engine's variables, and the errors when they are missing or clash. */
import { describe, expect, it } from "vitest";
import { shardFromEnv } from "../../src/experiment/shard-env.js";

describe("--shard auto from the batch engine's environment", () => {
  it("Slurm arrays: --array=0-9 and --array=1-10 give the same shards", () => {
    const a = shardFromEnv({
      SLURM_ARRAY_TASK_ID: "0",
      SLURM_ARRAY_TASK_MIN: "0",
      SLURM_ARRAY_TASK_COUNT: "10",
    });
    const b = shardFromEnv({
      SLURM_ARRAY_TASK_ID: "1",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_COUNT: "10",
    });
    expect(a).toMatchObject({ index: 1, count: 10, engine: "slurm" });
    expect(b).toMatchObject({ index: 1, count: 10, engine: "slurm" });
    expect(
      shardFromEnv({ SLURM_ARRAY_TASK_ID: "10", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_MAX: "10" }),
    ).toMatchObject({ index: 10, count: 10 });
    expect(b.vars).toEqual({
      SLURM_ARRAY_TASK_ID: "1",
      SLURM_ARRAY_TASK_MIN: "1",
      SLURM_ARRAY_TASK_COUNT: "10",
    });
    expect(() =>
      shardFromEnv({
        SLURM_ARRAY_TASK_ID: "2",
        SLURM_ARRAY_TASK_MIN: "0",
        SLURM_ARRAY_TASK_COUNT: "5",
        SLURM_ARRAY_TASK_STEP: "2",
      }),
    ).toThrow(/step 2/);
  });

  it("Kubernetes Indexed Jobs and AWS Batch need the count from --shards or ROUTESIM_SHARD_COUNT", () => {
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: "3" }, 8)).toMatchObject({
      index: 4,
      count: 8,
      engine: "kubernetes",
    });
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: "3", ROUTESIM_SHARD_COUNT: "4" })).toMatchObject({
      index: 4,
      count: 4,
    });
    expect(() => shardFromEnv({ JOB_COMPLETION_INDEX: "3" })).toThrow(
      /--shards N or set ROUTESIM_SHARD_COUNT/,
    );
    expect(shardFromEnv({ AWS_BATCH_JOB_ARRAY_INDEX: "0", ROUTESIM_SHARD_COUNT: "2" })).toMatchObject({
      index: 1,
      count: 2,
      engine: "aws-batch",
    });
  });

  it("Cloud Run jobs export both", () => {
    expect(shardFromEnv({ CLOUD_RUN_TASK_INDEX: "2", CLOUD_RUN_TASK_COUNT: "3" })).toMatchObject({
      index: 3,
      count: 3,
      engine: "cloud-run",
    });
  });

  it("no engine, two engines, or an index out of range is an error naming the variables", () => {
    expect(() => shardFromEnv({})).toThrow(
      /looked for SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX, CLOUD_RUN_TASK_INDEX/,
    );
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: "1", JOB_COMPLETION_INDEX: "1" }, 2)).toThrow(
      /ambiguous/,
    );
    expect(() => shardFromEnv({ CLOUD_RUN_TASK_INDEX: "3", CLOUD_RUN_TASK_COUNT: "3" })).toThrow(
      /outside 0…2/,
    );
    expect(() => shardFromEnv({ CLOUD_RUN_TASK_INDEX: "x", CLOUD_RUN_TASK_COUNT: "3" })).toThrow(
      /whole number/,
    );
  });
});
