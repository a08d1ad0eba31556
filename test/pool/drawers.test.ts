import type { Worker } from "node:worker_threads";
import type { TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import { Drawers, type DrawRequest, splitBySize } from "../../src/pool/drawers.js";

/** A chart spec whose JSON is about `size` characters long. */
const spec = (title: string, size: number): TopLevelSpec =>
  ({ title, data: { values: [{ pad: "x".repeat(size) }] }, mark: "point" }) as TopLevelSpec;

/** A stand-in worker: draws "w:<title>" for each spec it is sent, and counts what it drew. */
function fakeWorker(drawers: () => Drawers, drew: string[]): Worker {
  return {
    postMessage(m: DrawRequest) {
      setImmediate(() => {
        const titles = m.specs.map((s) => String((s as { title: string }).title));
        drew.push(...titles);
        drawers().answered({ drawn: m.draw, svgs: titles.map((t) => `w:${t}`) });
      });
    },
  } as unknown as Worker;
}

describe("splitBySize", () => {
  it("puts every spec in exactly one group and balances the groups by size", () => {
    const specs = [spec("a", 10), spec("b", 900), spec("c", 400), spec("d", 450), spec("e", 20)];
    const groups = splitBySize(specs, 2);
    expect(groups.flat().sort()).toEqual([0, 1, 2, 3, 4]);
    // The largest (b) alone against the rest, the greedy largest-first split.
    expect(groups[0]).toEqual([1, 4]);
    expect(groups[1]).toEqual([3, 2, 0]);
  });

  it("gives no empty group when there are more runners than specs", () => {
    expect(splitBySize([spec("a", 5), spec("b", 6)], 4)).toEqual([[1], [0]]);
  });
});

/** Draws "h:<title>" on this thread. */
const here = async (specs: readonly TopLevelSpec[]) =>
  specs.map((s) => `h:${(s as { title: string }).title}`);

describe("Drawers", () => {
  it("splits one report's charts between the free runners and returns them in the report's order", async () => {
    const drew: string[] = [];
    let d!: Drawers;
    const worker = fakeWorker(() => d, drew);
    d = new Drawers([worker], "here", here);
    const specs = [spec("a", 100), spec("b", 5000), spec("c", 3000), spec("d", 2500)];
    const svgs = await d.render(specs);
    // b (largest) goes to the first runner, this thread (the warm one); c and d balance it, a tops up b.
    expect(svgs).toEqual(["h:a", "h:b", "w:c", "w:d"]);
    expect(drew).toEqual(["c", "d"]);
  });

  it("gives this thread no share when a worker is the warm one", async () => {
    const drew: string[] = [];
    let d!: Drawers;
    const worker = fakeWorker(() => d, drew);
    d = new Drawers([worker], worker, here);
    const svgs = await d.render([spec("a", 100), spec("b", 5000), spec("c", 3000)]);
    expect(svgs).toEqual(["w:a", "w:b", "w:c"]);
    expect(drew).toEqual(["a", "b", "c"]);
  });

  it("draws a second report while the first is being drawn without splitting it", async () => {
    const drew: string[] = [];
    let d!: Drawers;
    const worker = fakeWorker(() => d, drew);
    d = new Drawers([worker], "here", here);
    const [one, two] = await Promise.all([
      d.render([spec("a", 10), spec("b", 20)]),
      d.render([spec("c", 10), spec("d", 20)]),
    ]);
    expect(one).toEqual(["w:a", "h:b"]);
    // Both runners were busy when it came: it waited, whole, for the first one free.
    expect(new Set(two.map((svg) => svg.slice(0, 2))).size).toBe(1);
    expect(two.map((svg) => svg.slice(2))).toEqual(["c", "d"]);
  });
});
