import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { numericOrder } from "../../src/metrics/order.js";

const icu = new Intl.Collator("en", { numeric: true });
const sign = (x: number) => Math.sign(x);

describe("numericOrder", () => {
  it("orders keys as localeCompare(…, 'en', { numeric: true }) does", () => {
    const keys = [
      "0",
      "1",
      "2",
      "10",
      "429",
      "500",
      "p1",
      "p2",
      "p10",
      "a",
      "ab",
      "ab1",
      "abc",
      "b",
      "timeout",
    ];
    for (const a of keys)
      for (const b of keys) expect(sign(numericOrder(a, b)), `${a} vs ${b}`).toBe(sign(icu.compare(a, b)));
    // Keys outside the fast path (case, punctuation, leading zeros) go to the collator.
    for (const [a, b] of [
      ["A", "a"],
      ["fireworks-ai", "fireworks"],
      ["p01", "p1"],
      ["x · y", "x"],
    ])
      expect(sign(numericOrder(a, b))).toBe(sign(icu.compare(a, b)));
  });

  it("agrees with the collator on random keys", () => {
    const key = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(sign(numericOrder(a, b))).toBe(sign(icu.compare(a, b)));
      }),
      { numRuns: 20_000, seed: 3 },
    );
  });
});
