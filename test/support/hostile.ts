/**
 * Hostile inputs for the fuzz suite (issue #27): fast-check arbitraries that break a valid scenario
 * at one or more paths, write traces with bad rows, and raw texts with YAML/JSON pathologies.
 * Each case is a set of files to write and the `routesim run` flags to try them with.
 */
import fc from "fast-check";
import { stringify } from "yaml";

export interface HostileCase {
  /** What was done, for failure messages. */
  label: string;
  /** File name → contents; `scenario` names the one to run. */
  files: Record<string, string>;
  scenario: string;
  flags: string[];
  /** Whether the case edits a scenario key (so an error must name a path). */
  structured: boolean;
}

type Json = unknown;

/** A small valid scenario: two endpoints, three policies (one of them a LiteLLM config). */
export function baseScenario(): Record<string, Json> {
  return {
    name: "fuzz",
    seed: 5,
    traffic: {
      arrivals: { process: "poisson", rate_per_s: 40 },
      requests: 40,
      model: "m",
      prompt_tokens: { dist: "lognormal", median: 500, sigma: 0.5 },
      completion_tokens: 100,
      sessions: { count: 5, share: 0.5 },
    },
    providers: [
      {
        name: "alpha",
        model: "m",
        price: { prompt: 1, completion: 2 },
        ttft_ms: { dist: "lognormal", median: 200, sigma: 0.3 },
        tokens_per_s: { dist: "normal", mean: 80, cv: 0.1 },
        concurrency: 8,
        error_rate: 0.05,
        outages: [{ start_s: 0.2, duration_s: 0.3, status: 503 }],
      },
      {
        name: "beta",
        model: "m",
        price: { prompt: 3, completion: 3 },
        rate_limit: { rpm: 600 },
        queue_limit: 4,
      },
    ],
    policies: [
      { name: "default" },
      {
        name: "sorted",
        request: { provider: { sort: "price", allow_fallbacks: true } },
        router: { max_attempts: 3 },
      },
      { name: "lite", litellm: "lite.yaml" },
    ],
  };
}

const LITE = `model_list:
  - model_name: m
    litellm_params: { model: alpha/m }
  - model_name: m
    litellm_params: { model: beta/m }
router_settings: { routing_strategy: simple-shuffle, num_retries: 2 }
`;

/** Values that have broken parsers and simulators before. */
const nasty = fc.oneof(
  fc.constantFrom<Json>(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1e308,
    -1e308,
    1e-300,
    -5,
    0,
    -0,
    2.5,
    1e9,
    1e12 + 1,
    Number.MAX_SAFE_INTEGER + 2,
    "NaN",
    "Infinity",
    "1e308",
    "",
    " ",
    "x",
    "../../etc",
    ".",
    null,
    true,
    [],
    {},
    [null],
    { dist: "weibull" },
    { dist: "uniform", min: 5, max: 1 },
    { dist: "empirical", values: [] },
    "a".repeat(10_000),
    "=cmd|' /C calc'!A0",
    "\u0000\u0007\u001b[31m",
  ),
  fc.double(),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: 1, max: 60 }).map((d) => nest(d)),
);

function nest(depth: number): Json {
  let v: Json = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

/** Every path (as keys) to a value inside `o`. */
function paths(o: Json, base: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (o && typeof o === "object") {
    for (const [k, v] of Object.entries(o)) {
      const p = [...base, Array.isArray(o) ? Number(k) : k];
      out.push(p, ...paths(v, p));
    }
  }
  return out;
}

const ALL_PATHS = paths(baseScenario());

type Edit =
  | { op: "set"; path: (string | number)[]; value: Json }
  | { op: "scale"; path: (string | number)[]; exp: number }
  | { op: "delete"; path: (string | number)[] }
  | { op: "unknown"; path: (string | number)[]; key: string };

const NUMBER_PATHS = ALL_PATHS.filter((p) => typeof at(baseScenario(), p) === "number");

function at(o: Json, path: (string | number)[]): Json {
  let cur = o;
  for (const k of path)
    cur = cur && typeof cur === "object" ? (cur as Record<string | number, Json>)[k] : undefined;
  return cur;
}

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    // Finite but absurd: a number of the scenario times 10^-12 … 10^12 (often still valid).
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("scale" as const),
      path: fc.constantFrom(...NUMBER_PATHS),
      exp: fc.integer({ min: -12, max: 12 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("set" as const),
      path: fc.constantFrom(...ALL_PATHS),
      value: nasty,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("delete" as const), path: fc.constantFrom(...ALL_PATHS) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("unknown" as const),
      path: fc.constantFrom([], ...ALL_PATHS),
      key: fc.constantFrom("stauts", "__proto__", "constructor", "rate_per_sec", "x"),
    }),
  },
);

function apply(o: Record<string, Json>, e: Edit): void {
  let cur: Json = o;
  const keys = e.op === "unknown" ? e.path : e.path.slice(0, -1);
  for (const k of keys) {
    if (!cur || typeof cur !== "object") return;
    cur = (cur as Record<string | number, Json>)[k];
  }
  if (!cur || typeof cur !== "object") return;
  const c = cur as Record<string | number, Json>;
  if (e.op === "unknown")
    Object.defineProperty(c, e.key, { value: 1, enumerable: true, writable: true, configurable: true });
  else if (e.op === "delete") delete c[e.path[e.path.length - 1]];
  else if (e.op === "scale") {
    const k = e.path[e.path.length - 1];
    if (typeof c[k] === "number") c[k] = (c[k] as number) * 10 ** e.exp;
  } else c[e.path[e.path.length - 1]] = e.value;
}

const describeEdit = (e: Edit) =>
  `${e.op} ${e.path.join(".")}${e.op === "set" ? ` = ${JSON.stringify(e.value)?.slice(0, 40)}` : e.op === "unknown" ? ` +${e.key}` : e.op === "scale" ? ` ×1e${e.exp}` : ""}`;

/** JSON can hold neither NaN nor Infinity: such values are written as YAML (.nan, .inf). */
function writeScenario(o: Json, asJson: boolean): { name: string; text: string } {
  let lossy = false;
  JSON.stringify(o, (_k, v) => {
    if (typeof v === "number" && !Number.isFinite(v)) lossy = true;
    return v;
  });
  if (asJson && !lossy) return { name: "s.json", text: JSON.stringify(o, null, 2) };
  return { name: "s.yaml", text: stringify(o, { aliasDuplicateObjects: false }) };
}

/** A valid scenario broken at 1–3 paths. */
export const mutatedScenario: fc.Arbitrary<HostileCase> = fc
  .tuple(fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([edits, asJson]) => {
    const s = baseScenario();
    for (const e of edits) apply(s, e);
    const { name, text } = writeScenario(s, asJson);
    return {
      label: edits.map(describeEdit).join("; "),
      files: { [name]: text, "lite.yaml": LITE },
      scenario: name,
      flags: ["--requests", "40"],
      structured: true,
    };
  });

/** A trace cell: mostly sane, sometimes hostile. */
const cell = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 5000 }).map(String) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "NaN", "-1", "2.5", "1e308", "1e20", "x", '"', "-100000", "Infinity"),
  },
);

/** A generic CSV trace with hostile rows and options. */
export const hostileTrace: fc.Arbitrary<HostileCase> = fc
  .record({
    rows: fc.array(fc.tuple(cell, cell, cell), { maxLength: 25 }),
    header: fc.constantFrom("t,p,c", "t,p", "", "t;p;c", "\uFEFFt,p,c"),
    options: fc.record(
      {
        start_s: fc.oneof(fc.constantFrom(0, 1, 1e6, -1), fc.double({ min: 0, max: 100, noNaN: true })),
        duration_s: fc.constantFrom(0.001, 1, 100, 0),
        rate_scale: fc.constantFrom(0.01, 0.5, 2, 1000, 1e9),
        time_scale: fc.constantFrom(1e-9, 0.5, 2, 1e9),
        reorder_window_ms: fc.constantFrom(0, 1000, 1e12),
        on_bad_row: fc.constantFrom("error", "skip"),
        jitter_ms: fc.constantFrom(0, 1000, 1e15),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ rows, header, options }) => {
    const s = baseScenario();
    s.traffic = {
      model: "m",
      trace: {
        path: "t.csv",
        format: "csv",
        columns: { time: "t", prompt: "p", completion: "c" },
        ...options,
      },
    };
    const csv = [header, ...rows.map((r) => r.join(","))].join("\n");
    return {
      label: `trace ${JSON.stringify(options)} rows ${JSON.stringify(csv.slice(0, 120))}`,
      files: { "s.json": JSON.stringify(s, null, 2), "t.csv": csv, "lite.yaml": LITE },
      scenario: "s.json",
      flags: ["--requests", "40"],
      structured: true,
    };
  });

function aliasBomb(levels: number): string {
  const rows = ["l0: &l0 [x,x,x,x,x,x,x,x,x,x]"];
  for (let i = 1; i <= levels; i++)
    rows.push(
      `l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(",")}]`,
    );
  return `${rows.join("\n")}\n`;
}

/** Raw texts that are not scenarios, or are one written in a hostile way. */
export const rawText: fc.Arbitrary<HostileCase> = fc
  .constantFrom<[string, string, string]>(
    ["empty", "s.yaml", ""],
    ["whitespace", "s.yaml", " \n\t\n"],
    ["unresolved alias", "s.yaml", "name: a\nseed: *nope\n"],
    ["alias bomb", "s.yaml", `${aliasBomb(7)}name: x\n`],
    ["alias of a valid scenario", "s.yaml", `base: &b 1\n${stringify(baseScenario())}`],
    ["bom json", "s.json", `\uFEFF${JSON.stringify(baseScenario())}`],
    ["bom yaml", "s.yaml", `\uFEFF${stringify(baseScenario())}`],
    ["trailing comma", "s.json", JSON.stringify(baseScenario(), null, 2).replace(/\n}$/, ",\n}")],
    ["json comment", "s.json", `// hi\n${JSON.stringify(baseScenario())}`],
    ["deep nesting", "s.yaml", `${"[".repeat(5000)}${"]".repeat(5000)}\n`],
    ["deep json", "s.json", `{"a":${"[".repeat(3000)}${"]".repeat(3000)}}`],
    ["huge number", "s.yaml", stringify(baseScenario()).replace("seed: 5", `seed: 1${"0".repeat(400)}`)],
    ["nan seed", "s.yaml", stringify(baseScenario()).replace("seed: 5", "seed: .nan")],
    ["inf rate", "s.yaml", stringify(baseScenario()).replace("rate_per_s: 40", "rate_per_s: .inf")],
    [
      "duplicate keys",
      "s.yaml",
      `name: a\nname: b\n${stringify(baseScenario()).replace("name: fuzz\n", "")}`,
    ],
    ["two documents", "s.yaml", `${stringify(baseScenario())}---\nname: other\n`],
    ["binary", "s.yaml", "\u0000\u0001\u0002\uFFFD\uD800"],
    ["tag", "s.yaml", stringify(baseScenario()).replace("seed: 5", "seed: !!binary 5")],
    ["unknown tag", "s.yaml", stringify(baseScenario()).replace("seed: 5", "seed: !foo 5")],
    ["top-level list", "s.yaml", "- 1\n- 2\n"],
    ["top-level string", "s.json", '"scenario"'],
    ["tabs", "s.yaml", "name:\tx\n\ttraffic: 1\n"],
    ["long line", "s.yaml", `name: ${"x".repeat(200_000)}\n`],
  )
  .map(([label, name, text]) => ({
    label,
    files: { [name]: text, "lite.yaml": LITE },
    scenario: name,
    flags: ["--requests", "40"],
    structured: false,
  }));

/** Hostile command-line flags on a valid scenario. */
export const hostileFlags: fc.Arbitrary<HostileCase> = fc
  .tuple(
    fc.constantFrom("--requests", "--seed", "--policies"),
    fc.constantFrom(
      "",
      "0",
      "-1",
      "2.5",
      "1e9",
      "99999999999999999999",
      "NaN",
      "x",
      ",",
      "default,nope",
      "default",
    ),
  )
  .map(([flag, value]) => ({
    label: `${flag} ${JSON.stringify(value)}`,
    files: { "s.json": JSON.stringify(baseScenario()), "lite.yaml": LITE },
    scenario: "s.json",
    // Always bounded: a flag other than --requests keeps the scenario's 40 requests.
    flags: flag === "--requests" ? [flag, value] : ["--requests", "40", flag, value],
    structured: false,
  }));

/** All hostile inputs, mutations weighted most. */
export const hostileCase: fc.Arbitrary<HostileCase> = fc.oneof(
  { weight: 6, arbitrary: mutatedScenario },
  { weight: 3, arbitrary: hostileTrace },
  { weight: 1, arbitrary: rawText },
  { weight: 1, arbitrary: hostileFlags },
);
