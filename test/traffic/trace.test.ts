import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError, scenarioFromObject, simulate } from "../../src/index.js";
import type { TraceSpec } from "../../src/scenario/schema.js";
import { openTraffic } from "../../src/traffic/index.js";
import "../../src/traffic/trace.js";
import type { TrafficRequest } from "../../src/types.js";
import { thrownInputError } from "../helpers.js";

const MODEL = "m/x";
const dir = mkdtempSync(join(tmpdir(), "routesim-trace-"));
let n = 0;
function file(text: string, ext = "csv"): string {
  const f = join(dir, `t${n++}.${ext}`);
  writeFileSync(f, text);
  return f;
}

function scenario(trace: Record<string, unknown>, traffic: Record<string, unknown> = { model: MODEL }) {
  return scenarioFromObject(
    {
      name: "trace-test",
      traffic: { trace, ...traffic },
      providers: [{ name: "a", model: MODEL, price: { prompt: 1, completion: 1 } }],
      policies: [{ name: "default" }],
    },
    {},
    dir,
  );
}

function readAll(trace: Record<string, unknown>, traffic?: Record<string, unknown>, seed = 1) {
  const s = scenario(trace, traffic).scenario;
  const src = openTraffic(s.traffic, dir, seed, "<test>");
  const out: TrafficRequest[] = [];
  for (let r = src.next(); r; r = src.next()) out.push(r);
  return { out, skipped: src.skipped ?? 0 };
}

const inputError = thrownInputError;

const AZURE = [
  "TIMESTAMP,ContextTokens,GeneratedTokens",
  "2023-11-16 18:15:46.6805900,374,44",
  "2023-11-16 18:15:46.6806900,396,109",
  "2023-11-16 18:15:47.0000000,879,0",
  "2023-11-16 18:15:50.1234567,91,12",
].join("\n");

describe("azure-csv", () => {
  it("replays a file with the exact Azure header given only path and format", () => {
    const path = file(AZURE);
    const { out } = readAll({ path, format: "azure-csv" });
    expect(out.map((r) => r.promptTokens)).toEqual([374, 396, 879, 91]);
    expect(out.map((r) => r.completionTokens)).toEqual([44, 109, 0, 12]);
    // Rebased to the first row; 7-digit fractions keep sub-millisecond gaps.
    expect(out[0].arrivalMs).toBe(0);
    expect(out[1].arrivalMs).toBeCloseTo(0.1, 6);
    expect(out[3].arrivalMs).toBeCloseTo(3442.8667, 3);
    expect(out.map((r) => r.id)).toEqual([0, 1, 2, 3]);
    expect(out.every((r) => r.model === MODEL)).toBe(true);
  });

  it("runs end to end: summary.requests equals the row count", () => {
    const path = file(AZURE);
    const { summary } = simulate(scenario({ path, format: "azure-csv" }));
    expect(summary.requests).toBe(4);
    expect(summary.skippedRows).toBe(0);
  });

  it("resolves relative paths against the scenario's folder", () => {
    const path = file(AZURE);
    const rel = path.slice(dir.length + 1);
    expect(readAll({ path: rel, format: "azure-csv" }).out).toHaveLength(4);
  });

  it("sorts rows that are out of order by less than the reorder window", () => {
    const path = file(
      [
        "TIMESTAMP,ContextTokens,GeneratedTokens",
        "2023-11-16 18:00:00.0000000,1,1",
        "2023-11-16 18:00:00.0050000,2,1",
        "2023-11-16 18:00:00.0020000,3,1",
        "2023-11-16 18:00:00.0100000,4,1",
        "2023-11-16 18:00:00.0090000,5,1",
      ].join("\r\n"),
    );
    const { out } = readAll({ path, format: "azure-csv" });
    expect(out.map((r) => r.promptTokens)).toEqual([1, 3, 2, 5, 4]);
    const t = out.map((r) => r.arrivalMs);
    expect(t.every((x, i) => i === 0 || x >= t[i - 1])).toBe(true);
  });

  it("names the line of a row more out of order than the window, or skips it", () => {
    const text = [
      "TIMESTAMP,ContextTokens,GeneratedTokens",
      "2023-11-16 18:00:00.0000000,1,1",
      "2023-11-16 18:00:05.0000000,2,1",
      "2023-11-16 18:00:06.0000000,3,1",
      "2023-11-16 18:00:01.0000000,4,1",
      "2023-11-16 18:00:07.0000000,5,1",
    ].join("\n");
    const path = file(text);
    const e = inputError(() => readAll({ path, format: "azure-csv", reorder_window_ms: 500 }));
    expect(e.file).toBe(path);
    expect(e.problems[0].path).toBe("line 5");
    const { out, skipped } = readAll({
      path,
      format: "azure-csv",
      reorder_window_ms: 500,
      on_bad_row: "skip",
    });
    expect(out.map((r) => r.promptTokens)).toEqual([1, 2, 3, 5]);
    expect(skipped).toBe(1);
  });

  it("rejects a header without the Azure columns", () => {
    const path = file("time,prompt,completion\n1,2,3\n");
    const e = inputError(() => readAll({ path, format: "azure-csv" }));
    expect(e.problems[0].path).toBe("line 1");
    expect(e.problems.map((p) => p.message).join()).toContain('"TIMESTAMP"');
  });
});

describe("bad rows", () => {
  const text = [
    "TIMESTAMP,ContextTokens,GeneratedTokens",
    "2023-11-16 18:00:00.0000000,10,1",
    "2023-11-16 18:00:01.0000000,ten,1",
    "not a time,5,1",
    "2023-11-16 18:00:02.0000000,7",
    "2023-11-16 18:00:03.0000000,8,-1",
    "2023-11-16 18:00:04.0000000,9,2",
    "",
  ].join("\n");

  it("raise an InputError with the file and line number by default", () => {
    const path = file(text);
    const e = inputError(() => readAll({ path, format: "azure-csv" }));
    expect(e.file).toBe(path);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0].path).toBe("line 3");
    expect(e.problems[0].message).toContain("ContextTokens");
    expect(e.message).toContain(path);
  });

  it("are skipped and counted with on_bad_row: skip, and the count reaches summary and report", () => {
    const path = file(text);
    const { out, skipped } = readAll({ path, format: "azure-csv", on_bad_row: "skip" });
    expect(out.map((r) => r.promptTokens)).toEqual([10, 9]);
    expect(skipped).toBe(4);
    const outDir = join(dir, `run${n++}`);
    const { summary } = simulate(scenario({ path, format: "azure-csv", on_bad_row: "skip" }), { outDir });
    expect(summary.requests).toBe(2);
    expect(summary.skippedRows).toBe(4);
    expect(JSON.parse(readFileSync(join(outDir, "summary.json"), "utf8")).skippedRows).toBe(4);
    expect(readFileSync(join(outDir, "report.md"), "utf8")).toContain("skipped as bad: 4");
  });

  it("in a run leave no output folder behind", () => {
    const path = file(text);
    const outDir = join(dir, `run${n++}`);
    expect(() => simulate(scenario({ path, format: "azure-csv" }), { outDir })).toThrow(InputError);
    expect(() => readFileSync(join(outDir, "summary.json"))).toThrow();
  });
});

describe("mooncake-jsonl", () => {
  const rows = [
    { timestamp: 0, input_length: 1200, output_length: 10, hash_ids: [0, 1, 2] },
    { timestamp: 0, input_length: 700, output_length: 20, hash_ids: [0, 5] },
    { timestamp: 250, input_length: 1600, output_length: 30, hash_ids: [0, 1, 2, 3, 4] },
    { timestamp: 1000, input_length: 100, output_length: 40, hash_ids: [9] },
  ];
  const text = `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

  it("reads times in ms, token counts and a session from the first two prefix blocks", () => {
    const path = file(text, "jsonl");
    const { out } = readAll({ path, format: "mooncake-jsonl" });
    expect(out.map((r) => r.arrivalMs)).toEqual([0, 0, 250, 1000]);
    expect(out.map((r) => r.promptTokens)).toEqual([1200, 700, 1600, 100]);
    expect(out.map((r) => r.completionTokens)).toEqual([10, 20, 30, 40]);
    expect(out.map((r) => r.session)).toEqual(["h0-1", "h0-5", "h0-1", "h9"]);
  });

  it("session_blocks: 0 drops sessions; a malformed line names its number", () => {
    const path = file(text, "jsonl");
    expect(readAll({ path, format: "mooncake-jsonl", session_blocks: 0 }).out.every((r) => !r.session)).toBe(
      true,
    );
    const bad = file(`${text}{"timestamp": 1200, "input_length": 5\n`, "jsonl");
    const e = inputError(() => readAll({ path: bad, format: "mooncake-jsonl" }));
    expect(e.problems[0].path).toBe("line 5");
    expect(e.problems[0].message).toContain("malformed JSON");
  });

  it("replays every row in a run", () => {
    const path = file(text, "jsonl");
    expect(simulate(scenario({ path, format: "mooncake-jsonl" })).summary.requests).toBe(4);
  });
});

describe("generic mappings", () => {
  it("csv: time in seconds, model, session, priority, quoted fields and keep_status", () => {
    const path = file(
      [
        "t,user,in,out,model,prio,code",
        '10.5,"u,1",100,5,m/x,2,200',
        '11.0,u2,200,6,"m/y",1,500',
        "12.25,,300,7,m/x,0,200",
      ].join("\n"),
    );
    const columns = {
      time: "t",
      time_unit: "s",
      prompt: "in",
      completion: "out",
      model: "model",
      session: "user",
      priority: "prio",
      status: "code",
    };
    const { out } = readAll({ path, format: "csv", columns }, {});
    expect(out.map((r) => r.arrivalMs)).toEqual([0, 500, 1750]);
    expect(out.map((r) => r.model)).toEqual(["m/x", "m/y", "m/x"]);
    expect(out.map((r) => r.session)).toEqual(["u,1", "u2", undefined]);
    expect(out.map((r) => r.priority)).toEqual([2, 1, 0]);
    const kept = readAll({ path, format: "csv", columns, keep_status: [200] }, {}).out;
    expect(kept.map((r) => r.promptTokens)).toEqual([100, 300]);
  });

  it("jsonl: ISO datetimes with a zone, model_mix when the trace has no model", () => {
    const lines = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({ at: `2024-01-01T00:00:${String(i % 60).padStart(2, "0")}.5+01:00`, p: 10, c: 1 }),
    ).filter((_, i) => i < 60);
    const path = file(lines.join("\n"), "jsonl");
    const columns = { time: "at", time_unit: "datetime", prompt: "p", completion: "c" };
    const { out } = readAll({ path, format: "jsonl", columns }, { model_mix: { "m/x": 1, "m/y": 1 } });
    expect(out).toHaveLength(60);
    expect(out[59].arrivalMs).toBe(59_000);
    const ys = out.filter((r) => r.model === "m/y").length;
    expect(ys).toBeGreaterThan(10); // Binomial(60, 0.5): mean 30, sd 3.9
    expect(ys).toBeLessThan(50);
  });

  it("ns and us units", () => {
    const path = file("ts,p,c\n1000000000,1,1\n1500000000,1,1\n");
    const ns = readAll({
      path,
      format: "csv",
      columns: { time: "ts", time_unit: "ns", prompt: "p", completion: "c" },
    });
    expect(ns.out.map((r) => r.arrivalMs)).toEqual([0, 500]);
    const us = readAll({
      path,
      format: "csv",
      columns: { time: "ts", time_unit: "us", prompt: "p", completion: "c" },
    });
    expect(us.out.map((r) => r.arrivalMs)).toEqual([0, 500_000]);
  });

  it("a missing mapped column names the column and its setting", () => {
    const path = file("ts,p,c\n1,1,1\n");
    const e = inputError(() =>
      readAll({ path, format: "csv", columns: { time: "ts", prompt: "prompt", completion: "c" } }),
    );
    expect(e.problems[0].message).toContain('"prompt" (traffic.trace.columns.prompt)');
  });
});

describe("options", () => {
  // 1 request per second for 100 s.
  const secs = ["ts,p,c", ...Array.from({ length: 100 }, (_, i) => `${i + 7},${i + 1},1`)].join("\n");
  const columns = { time: "ts", prompt: "p", completion: "c" };
  const base = (extra: Record<string, unknown> = {}) => ({
    path: file(secs),
    format: "csv",
    columns,
    ...extra,
  });

  it("time_scale multiplies trace time", () => {
    expect(
      readAll(base({ time_scale: 0.5 }))
        .out.map((r) => r.arrivalMs)
        .slice(0, 3),
    ).toEqual([0, 500, 1000]);
    expect(readAll(base({ time_scale: 2 })).out[99].arrivalMs).toBe(198_000);
  });

  it("start_s / duration_s select a window of trace time, rebased to 0", () => {
    const { out } = readAll(base({ start_s: 10, duration_s: 5 }));
    expect(out.map((r) => r.promptTokens)).toEqual([11, 12, 13, 14, 15]);
    expect(out[0].arrivalMs).toBe(0);
    expect(out.map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
  });

  it("limit stops after that many requests (and --requests maps onto it)", () => {
    expect(readAll(base({ limit: 7 })).out).toHaveLength(7);
    const s = scenarioFromObject(
      {
        name: "x",
        traffic: { trace: base(), model: MODEL },
        providers: [{ name: "a", model: MODEL, price: { prompt: 1, completion: 1 } }],
        policies: [{ name: "default" }],
      },
      { requests: 3 },
      dir,
    );
    expect(simulate(s).summary.requests).toBe(3);
  });

  it("rate_scale thins or replicates rows with seeded jitter, keeping time order and determinism", () => {
    const big = file(
      ["ts,p,c", ...Array.from({ length: 2000 }, (_, i) => `${i / 10},${i + 1},1`)].join("\n"),
    );
    const spec = { path: big, format: "csv", columns };
    const half = readAll({ ...spec, rate_scale: 0.5 }).out;
    // Binomial(2000, 0.5): sd 22.4; ±150 is over 6 sd.
    expect(half.length).toBeGreaterThan(850);
    expect(half.length).toBeLessThan(1150);
    const more = readAll({ ...spec, rate_scale: 2.5, jitter_ms: 300 }).out;
    // 2 copies each plus Binomial(2000, 0.5) extra.
    expect(more.length).toBeGreaterThan(4850);
    expect(more.length).toBeLessThan(5150);
    expect(more.every((r, i) => i === 0 || r.arrivalMs >= more[i - 1].arrivalMs)).toBe(true);
    expect(more.map((r) => r.id)).toEqual(more.map((_, i) => i));
    const again = readAll({ ...spec, rate_scale: 2.5, jitter_ms: 300 }).out;
    expect(again).toEqual(more);
    const other = readAll({ ...spec, rate_scale: 2.5, jitter_ms: 300 }, undefined, 2).out;
    expect(other).not.toEqual(more);
  });

  it("streams across read-chunk boundaries without losing rows", () => {
    const rows = 60_000; // ~1.4 MB: crosses the 1 MiB chunk
    const text = [
      "ts,p,c",
      ...Array.from({ length: rows }, (_, i) => `${i},${1000 + (i % 9000)},${i % 100}`),
    ];
    const path = file(text.join("\n"));
    const { out } = readAll({ path, format: "csv", columns });
    expect(out).toHaveLength(rows);
    expect(out[rows - 1].promptTokens).toBe(1000 + ((rows - 1) % 9000));
  });
});

describe("scenario validation", () => {
  it("rejects unknown trace keys with their path", () => {
    const e = inputError(() => scenario({ path: "x.csv", format: "azure-csv", speed: 2 }));
    expect(e.problems[0].path).toBe("traffic.trace");
    expect(e.problems[0].message).toContain('"speed"');
  });

  it("requires columns for generic formats and names bad options", () => {
    const e = inputError(() => scenario({ path: "x.csv", format: "csv" }));
    expect(e.problems[0].path).toBe("traffic.trace.columns");
    const e2 = inputError(() => scenario({ path: "x.csv", format: "azure-csv", on_bad_row: "ignore" }));
    expect(e2.problems[0].path).toBe("traffic.trace.on_bad_row");
  });

  it("requires a model when the trace has none, and an existing file", () => {
    const path = file(AZURE);
    const e = inputError(() => readAll({ path, format: "azure-csv" }, {}));
    expect(e.problems[0].path).toBe("traffic.model");
    const e2 = inputError(() => readAll({ path: "missing.csv", format: "azure-csv" }));
    expect(e2.problems[0].path).toBe("traffic.trace.path");
  });

  it("keeps the TraceSpec type in step with the schema", () => {
    const spec: TraceSpec = scenario({ path: "x.csv", format: "azure-csv" }).scenario.traffic.trace!;
    expect(spec).toMatchObject({ time_scale: 1, rate_scale: 1, on_bad_row: "error", start_s: 0 });
  });
});
