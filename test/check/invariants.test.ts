import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSubject, invariantNames } from "../../src/check/runner.js";
import { specSubject } from "../../src/check/subjects.js";
import { checkInvariants, loadScenario, simulate } from "../../src/index.js";
import { PolicySpec } from "../../src/scenario/schema.js";
import { MUTANTS, original, withAuto } from "./mutants.js";

const RUNS = 40;

describe("the OpenRouter policy satisfies every invariant", () => {
  it("default knobs, generated cases", () => {
    const results = checkSubject(original, { runs: RUNS });
    expect(results.map((r) => r.invariant)).toEqual(invariantNames());
    for (const r of results)
      expect({ inv: r.invariant, status: r.status, msg: r.message }).toMatchObject({
        status: r.invariant === "capacity" ? "report" : r.invariant === "auto" ? "n/a" : "pass",
      });
  });

  // The orderings of R25, R31–R34, R74–R77 and R82–R88, at 100 cases and two seeds each.
  for (const seed of [1, 2])
    it(`uptime tiers, BYOK, sticky, Auto Router, preferred_*, partition: 100 cases, seed ${seed}`, () => {
      const names = ["uptime", "byok", "sticky", "auto", "preferred", "partition"];
      const results = [
        ...checkSubject(original, { runs: 100, seed, invariants: names.filter((n) => n !== "auto") }),
        ...checkSubject(withAuto, { runs: 100, seed, invariants: ["auto"] }),
      ];
      for (const r of results)
        expect({ inv: r.invariant, status: r.status, msg: r.message }).toMatchObject({ status: "pass" });
      expect(results.map((r) => r.invariant).sort()).toEqual([...names].sort());
    });

  it("legacy v1 load balancing (linear weights, 10 s window)", () => {
    const v1 = specSubject(PolicySpec.parse({ name: "v1", openrouter: { lbMode: "v1" } }), {
      baseDir: ".",
      file: "<generated>",
    });
    const results = checkSubject(v1, { runs: RUNS, invariants: ["weights", "price-monotone", "outage"] });
    expect(results.map((r) => r.status)).toEqual(["pass", "pass", "pass"]);
  });

  it("skips what does not apply: non-OpenRouter kinds, lbMode v3", () => {
    const v3 = specSubject(PolicySpec.parse({ name: "v3", openrouter: { lbMode: "v3" } }), {
      baseDir: ".",
      file: "<generated>",
    });
    const [w] = checkSubject(v3, { runs: 5, invariants: ["weights"] });
    expect(w.status).toBe("n/a");
    const generic = checkInvariants(
      {
        name: "first",
        route: (req, view) => ({
          kind: "route",
          candidates: [view.endpointsOf(req.body.model ?? "")[0]?.id ?? 0],
        }),
      },
      { runs: 5, invariants: ["filters", "conservation"], openrouterSemantics: false },
    );
    expect(generic.map((r) => r.status)).toEqual(["pass", "n/a"]);
  });
});

describe("counterexamples", () => {
  const mutant = MUTANTS.find((m) => m.name === "ignores-ignore")!;
  const [failed] = checkSubject(mutant.subject, { runs: 60, invariants: ["filters"] });

  it("shrink to a small case printed as a runnable scenario", () => {
    expect(failed.status).toBe("fail");
    expect(failed.message).toMatch(/which ignore excludes/);
    expect(failed.case!.providers.length).toBeLessThanOrEqual(2);
    expect(Object.keys(failed.case!.body.provider ?? {})).toEqual(["ignore"]);
    const dir = mkdtempSync(join(tmpdir(), "routesim-check-"));
    writeFileSync(join(dir, "case.yaml"), failed.yaml!);
    const loaded = loadScenario(join(dir, "case.yaml"));
    expect(loaded.scenario.policies[0].request.provider?.ignore).toBeDefined();
    expect(simulate(loaded).summary.requests).toBe(1);
    expect(failed.yaml).toContain(`--seed 1 --path ${failed.path}`);
  });

  it("replay from seed and path", () => {
    const [again] = checkSubject(mutant.subject, { invariants: ["filters"], seed: 1, path: failed.path });
    expect(again.status).toBe("fail");
    expect(again.message).toBe(failed.message);
    expect(again.case).toEqual(failed.case);
  });
});

describe("report-only invariants", () => {
  it("count the cases where the property held and never fail", () => {
    const [cap] = checkSubject(original, { runs: 20, invariants: ["capacity"] });
    expect(cap.status).toBe("report");
    expect(cap.runs).toBe(20);
    expect(cap.violations).toBeGreaterThanOrEqual(0);
  });
});
