/**
 * Layout stability across runs (src/sim/doubles.ts): a field that first holds 0 and later a
 * fraction changes its class's hidden class, and code compiled for the old one is thrown away when
 * the next run in the same process builds its objects. Two instances made together must keep one
 * hidden class after one of them has held fractions. `%HaveSameMap` needs --allow-natives-syntax,
 * which V8 accepts at run time for functions compiled afterwards.
 */
import { setFlagsFromString } from "node:v8";
import { describe, expect, it } from "vitest";
import { ExactSum, QuantileSketch } from "../../src/metrics/sketch.js";
import { LiveAttempt } from "../../src/providers/farm.js";
import { storeAsDoubles } from "../../src/sim/doubles.js";
import { Simulator } from "../../src/sim/kernel.js";

setFlagsFromString("--allow-natives-syntax");
const sameMap = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: object, b: object) => boolean;

describe("numeric fields are doubles from the first instance on", () => {
  it("Simulator: the clock reaching a fractional time keeps the hidden class", () => {
    const ran = new Simulator(16);
    const fresh = new Simulator(16);
    ran.schedule(
      1.5,
      ran.handler(() => {}),
    );
    ran.run();
    expect(ran.now).toBe(1.5);
    expect(sameMap(ran, fresh)).toBe(true);
  });

  it("ExactSum and QuantileSketch: fractional sums keep the hidden class", () => {
    const s1 = new ExactSum();
    const s2 = new ExactSum();
    s1.add(0.25);
    expect(s1.value).toBe(0.25);
    expect(sameMap(s1, s2)).toBe(true);
    const q1 = new QuantileSketch();
    const q2 = new QuantileSketch();
    q1.add(0.25);
    expect(sameMap(q1, q2)).toBe(true);
  });

  it("LiveAttempt: fractional times keep the hidden class", () => {
    const a1 = new LiveAttempt();
    const a2 = new LiveAttempt();
    a1.submitMs = 0.5;
    a1.deadlineMs = 1.5;
    a1.endMs = 2.5;
    expect(sameMap(a1, a2)).toBe(true);
  });

  it("a class without the call changes hidden class (the check can fail)", () => {
    class Plain {
      t = 0;
    }
    const p1 = new Plain();
    const p2 = new Plain();
    p1.t = 0.5;
    expect(sameMap(p1, p2)).toBe(false);
    class Primed {
      t = 0;
    }
    storeAsDoubles(new Primed(), ["t"]);
    const r1 = new Primed();
    const r2 = new Primed();
    r1.t = 0.5;
    expect(sameMap(r1, r2)).toBe(true);
  });

  it("names only numeric fields", () => {
    expect(() => storeAsDoubles({ a: "x" }, ["a"])).toThrow(/not a numeric field/);
    expect(() => storeAsDoubles({ a: 1 }, ["b"])).toThrow(/not a numeric field/);
  });
});
