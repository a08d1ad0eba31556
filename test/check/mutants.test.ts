/** Mutation check: every planted bug must be caught by the invariants named for it. */
import { describe, expect, it } from "vitest";
import { checkSubject } from "../../src/check/runner.js";
import { MUTANTS } from "./mutants.js";

describe("the invariant suite catches every planted bug", () => {
  for (const m of MUTANTS) {
    it(`${m.name}: ${m.bug} → ${m.caughtBy.join(", ")}`, () => {
      const results = checkSubject({ ...m.subject, name: m.name }, { runs: 60, invariants: m.caughtBy });
      for (const r of results)
        expect({ invariant: r.invariant, status: r.status }).toEqual({
          invariant: r.invariant,
          status: "fail",
        });
    });
  }
});
