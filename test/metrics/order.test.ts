import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
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
      "atlas-cloud",
      "atlas",
      "atlas1",
      "google-vertex",
      "google-vertex/eu",
      "meta-llama/llama-3.3-70b-instruct",
      "meta-llama/llama-3.1-8b-instruct",
      "deepseek/deepseek-r1:free",
      "a_b",
      "a@b",
      "a+b",
      "a.9",
      "a-10",
      "-a",
    ];
    for (const a of keys)
      for (const b of keys) expect(sign(numericOrder(a, b)), `${a} vs ${b}`).toBe(sign(icu.compare(a, b)));
    // Keys outside the fast path (case, punctuation, leading zeros) go to the collator.
    for (const [a, b] of [
      ["A", "a"],
      ["fireworks-ai", "Fireworks"],
      ["a,b", "a-b"],
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
    // With the marks of tags and model ids, and pairs that share a prefix (where order is decided).
    const marked = fc.stringMatching(/^[a-c0-2_:.@/+-]{0,6}$/);
    fc.assert(
      fc.property(marked, marked, marked, (p, a, b) => {
        expect(sign(numericOrder(p + a, p + b)), `${p + a} vs ${p + b}`).toBe(
          sign(icu.compare(p + a, p + b)),
        );
      }),
      { numRuns: 30_000, seed: 5 },
    );
  });

  it("sorts provider tags and model ids without creating a collator", async () => {
    vi.resetModules();
    const fresh = (await import("../../src/metrics/order.js")).numericOrder;
    const real = Intl.Collator;
    let made = 0;
    Object.defineProperty(Intl, "Collator", {
      configurable: true,
      writable: true,
      value: class extends real {
        constructor(...args: ConstructorParameters<typeof Intl.Collator>) {
          super(...args);
          made++;
        }
      },
    });
    try {
      const keys = [
        "together",
        "atlas-cloud",
        "meta-llama/llama-3.3-70b-instruct",
        "p10",
        "p9",
        "deepseek/r1:free",
      ];
      expect(keys.sort(fresh)).toEqual([
        "atlas-cloud",
        "deepseek/r1:free",
        "meta-llama/llama-3.3-70b-instruct",
        "p9",
        "p10",
        "together",
      ]);
      expect(made).toBe(0);
      fresh("Atlas", "atlas");
      expect(made).toBe(1);
    } finally {
      Object.defineProperty(Intl, "Collator", { configurable: true, writable: true, value: real });
    }
  });
});
