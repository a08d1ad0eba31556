/**
 * Issue 25 item 5: no "best" on a metric every policy has the same value of, and the replications
 * the summary says are needed come from the decision metrics, not from a noisy secondary one.
 */
import { describe, expect, it } from "vitest";
import { plainSummary, winnerCell } from "../../src/report/compare-markdown.js";
import type { CompareSummary } from "../../src/results/compare-summary.js";

const stat = (mean: number) => ({ mean, lo: mean, hi: mean, sd: 0, n: 10 });
function summary(wasted: [number, number]): CompareSummary {
  const policy = (name: string, w: number) => ({
    name,
    metrics: { successRate: stat(1), wastedSpendUsd: stat(w), costPerSuccessUsd: stat(0.001) },
  });
  return {
    replications: 10,
    policies: [policy("a", wasted[0]), policy("b", wasted[1])],
    winners: [{ metric: "wastedSpendUsd", best: "a", runnerUp: "b", margin: stat(0), clear: false }],
    differences: [],
    precision: [
      { policy: "a", metric: "recoveryMs", relHalfWidth: 3, replicationsNeeded: 4565 },
      { policy: "b", metric: "costPerSuccessUsd", relHalfWidth: 0.08, replicationsNeeded: 26 },
    ],
  } as unknown as CompareSummary;
}

describe("verdicts that cannot mislead", () => {
  it('says "all equal" instead of naming a best when every policy has the same value', () => {
    expect(winnerCell(summary([0, 0]), "wastedSpendUsd")).toBe("all equal");
    expect(winnerCell(summary([0, 0.5]), "wastedSpendUsd")).toBe("a ≈ b");
  });

  it("takes the replications needed from success, cost per success and p99, not a secondary metric", () => {
    const line = plainSummary(summary([0, 0])).find((l) => l.includes("wider than the target"))!;
    expect(line).toContain("the widest needs 26 replications (b, cost per success)");
    expect(line).not.toContain("4565");
  });

  it("names no replication count at all when only secondary metrics are imprecise", () => {
    const s = summary([0, 0]);
    s.precision = s.precision.filter((x) => x.metric === "recoveryMs");
    const line = plainSummary(s).find((l) => l.includes("secondary"))!;
    expect(line).toBe(
      'The intervals of success rate, cost per success and p99 latency of successes are within the target; 1 interval(s) of secondary metrics are wider (see "Precision" below).',
    );
    expect(plainSummary(s).join("\n")).not.toContain("4565");
  });
});
