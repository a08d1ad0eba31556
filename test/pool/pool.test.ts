import { describe, expect, it } from "vitest";
import { rawScenario } from "../../src/experiment/grid.js";
import { runJobs, withJobs } from "../../src/experiment/jobs.js";
import { type ReplicationJob, replicationSeed } from "../../src/experiment/replicate.js";
import { renderHere } from "../../src/report/charts.js";
import { InputError } from "../../src/scenario/errors.js";

/** Replication jobs of the flagship scenario, shortened to `requests` requests. */
function flagshipJobs(count: number, requests: number): ReplicationJob[] {
  const input = rawScenario("scenarios/flagship.yaml") as { traffic: Record<string, unknown> };
  delete input.traffic.duration_s;
  input.traffic.requests = requests;
  const source = { kind: "object" as const, input, baseDir: process.cwd(), label: "flagship-short" };
  return Array.from({ length: count }, (_v, replication) => ({
    source,
    replication,
    seed: replicationSeed(1, replication),
  }));
}

describe("runJobs", () => {
  it("the main thread plus workers give the results of --jobs 1, in job order, and count every job done", async () => {
    const jobs = flagshipJobs(5, 400);
    const inline = await runJobs(jobs, 1);
    // Workers alone (mainThread: false) and the main thread with workers, which may well run
    // every one of these short jobs before a worker is up.
    for (const [parallel, mainThread] of [
      [2, false],
      [2, true],
      [3, true],
    ] as const) {
      const progress: [number, number][] = [];
      const results = await runJobs(jobs, parallel, (done, total) => progress.push([done, total]), {
        mainThread,
      });
      expect(results).toEqual(inline);
      expect(progress).toEqual(jobs.map((_j, i) => [i + 1, jobs.length]));
    }
    expect(inline.map((r) => r.replication)).toEqual([0, 1, 2, 3, 4]);
  }, 30_000);

  it("with a fold, every result is folded once, in job order, whatever finished first, and none is kept", async () => {
    // The first job is long, so with two workers the short ones after it finish first.
    const jobs = flagshipJobs(5, 200).map((j, i) => (i === 0 ? { ...j, requests: 4000 } : j));
    const inline = await runJobs(jobs, 1);
    for (const [parallel, mainThread] of [
      [1, true],
      [2, false],
      [2, true],
    ] as const) {
      const folded: [number, number][] = [];
      const finished: number[] = [];
      const kept = await withJobs(
        jobs,
        parallel,
        {
          mainThread,
          fold: (r, index) => folded.push([index, r.replication]),
          onDone: (done) => finished.push(done),
        },
        async (results) => results,
      );
      expect(kept).toEqual([]);
      expect(folded).toEqual(inline.map((r, i) => [i, r.replication]));
      expect(finished).toEqual([1, 2, 3, 4, 5]);
    }
  }, 30_000);

  it("a failing job's InputError is reported, wherever it ran", async () => {
    const jobs = flagshipJobs(4, 300);
    const bad = structuredClone(jobs[0].source.kind === "object" ? jobs[0].source.input : null) as {
      providers: { concurrency: unknown }[];
    };
    bad.providers[1].concurrency = "many";
    // Every job but the first fails: whichever runner (main thread or worker) claims one reports it.
    const failing = jobs.map((j, i) => (i === 0 ? j : { ...j, source: { ...j.source, input: bad } }));
    for (const [parallel, mainThread] of [
      [1, true],
      [2, true],
      [2, false],
    ] as const) {
      const e = await runJobs(failing, parallel, undefined, { mainThread }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).problems[0].path).toBe("providers[1].concurrency");
    }
  }, 30_000);

  it("charts are drawn by a runner that ran out of jobs, as this thread would draw them", async () => {
    const jobs = flagshipJobs(3, 200);
    const spec = {
      data: { values: jobs.map((j, i) => ({ replication: i, seed: j.seed })) },
      mark: "bar" as const,
      encoding: {
        x: { field: "replication", type: "ordinal" as const },
        y: { field: "seed", type: "quantitative" as const },
      },
    };
    const [here] = await renderHere([spec]);
    // Workers only, so the drawer is one of them; and with charts off, this thread draws.
    for (const charts of [true, false]) {
      const drawn = await withJobs(
        jobs,
        2,
        { mainThread: false, charts },
        async (results, render, drawer) => {
          expect(results.map((r) => r.replication)).toEqual([0, 1, 2]);
          expect(drawer).toBe(charts ? "worker" : "this thread");
          return Promise.all([render([spec, spec]), render([spec])]);
        },
      );
      expect(drawn).toEqual([[here, here], [here]]);
    }
  }, 30_000);
});
