/**
 * Runs invariants with fast-check and turns the outcome into results: pass / fail (with the shrunk
 * case as a runnable scenario YAML, plus the seed and path that replay it) / n/a / report.
 */
import fc from "fast-check";
import { stringify } from "yaml";
import type { z } from "zod";
import { policyKinds } from "../policies/registry.js";
import type { Policy } from "../policies/types.js";
import type { LoadedScenario } from "../scenario/load.js";
import type { Provider } from "../scenario/schema.js";
import type { Endpoint } from "../types.js";
import type { CaseSpace } from "./arbitraries.js";
import { type CheckCase, type CheckSubject, caseScenarioInput, ROUTE_NOW_MS } from "./harness.js";
import { INVARIANTS, type Invariant, type InvariantContext } from "./invariants/index.js";
import { knobsOf } from "./oracle.js";
import { type PolicySubjectOptions, policySubject } from "./subjects.js";

export interface CheckOptions {
  /** Generated cases per invariant (statistical invariants run a fifth of it). Default 100. */
  runs?: number;
  /** fast-check seed. Default 1, so a check is reproducible. */
  seed?: number;
  /** Invariant names to run; default all. */
  invariants?: readonly string[];
  /** Replay one counterexample (fast-check path); use with a single invariant. */
  path?: string;
  /** Base scenario: cases reuse its endpoints and traffic sizes instead of generated ones. */
  base?: Pick<LoadedScenario, "scenario" | "file">;
  /** The base scenario's `providers` as written (shorter reproducers); default: the validated ones. */
  baseProviders?: readonly z.input<typeof Provider>[];
  /** Called as each result is ready (the CLI prints progress). */
  onResult?: (r: InvariantResult) => void;
}

export type ResultStatus = "pass" | "fail" | "error" | "n/a" | "report";

export interface InvariantResult {
  invariant: string;
  rules: string;
  policy: string;
  status: ResultStatus;
  /** Cases run. */
  runs: number;
  /** Report-mode invariants: cases where the property did not hold. */
  violations?: number;
  /** Violation message, or why the invariant does not apply. */
  message?: string;
  seed: number;
  /** fast-check path of the (shrunk) counterexample. */
  path?: string;
  case?: CheckCase;
  /** The counterexample as a runnable scenario, with a comment header on how to replay it. */
  yaml?: string;
}

class Violation extends Error {}

export function invariantNames(): string[] {
  return INVARIANTS.map((i) => i.name);
}

/** Validates invariant names (throws with the list of known ones). */
export function selectInvariants(names?: readonly string[]): Invariant[] {
  if (!names) return [...INVARIANTS];
  const unknown = names.filter((n) => !INVARIANTS.some((i) => i.name === n));
  if (unknown.length)
    throw new RangeError(
      `unknown invariant ${unknown.join(", ")}; expected some of ${invariantNames().join(", ")}`,
    );
  return INVARIANTS.filter((i) => names.includes(i.name));
}

/** Runs the selected invariants against one subject. */
export function checkSubject(subject: CheckSubject, options: CheckOptions = {}): InvariantResult[] {
  const runs = options.runs ?? 100;
  const seed = options.seed ?? 1;
  const knobs = knobsOf(subject.openrouter);
  const base = options.base?.scenario;
  const space: CaseSpace = {
    providers: options.baseProviders ?? base?.providers,
    traffic: base?.traffic,
    knobs,
    wholeBase: !subject.openrouterSemantics,
  };
  const ctx: InvariantContext = { subject, space, knobs };
  const out: InvariantResult[] = [];
  for (const inv of selectInvariants(options.invariants)) {
    const r = checkOne(inv, ctx, runs, seed, options);
    options.onResult?.(r);
    out.push(r);
  }
  return out;
}

function checkOne(
  inv: Invariant,
  ctx: InvariantContext,
  runs: number,
  seed: number,
  options: CheckOptions,
): InvariantResult {
  const head = { invariant: inv.name, rules: inv.rules, policy: ctx.subject.name, seed };
  const na =
    inv.group === "openrouter" && !ctx.subject.openrouterSemantics
      ? `${ctx.subject.kind} policies do not claim OpenRouter semantics`
      : (inv.notApplicable?.(ctx) ?? null);
  if (na !== null) return { ...head, status: "n/a", runs: 0, message: na };
  const numRuns = Math.max(5, Math.round(runs * (inv.runsFactor ?? 1)));
  let index = 0;
  let violations = 0;
  let first: { c: CheckCase; msg: string; path: string } | null = null;
  const prop = fc.property(inv.arbitrary(ctx), (c) => {
    const msg = inv.check(c, ctx);
    if (inv.mode === "report") {
      if (msg !== null && first === null) first = { c, msg, path: String(index) };
      if (msg !== null) violations++;
      index++;
      return true;
    }
    if (msg !== null) throw new Violation(msg);
    return true;
  });
  // A report-mode property never fails, so replaying a path must be told to stop after that case.
  const replayOne = inv.mode === "report" && options.path !== undefined;
  const d = fc.check(prop, { numRuns: replayOne ? 1 : numRuns, seed, path: options.path });
  if (inv.mode === "report" && !d.failed) {
    const f = first as { c: CheckCase; msg: string; path: string } | null;
    const res: InvariantResult = { ...head, status: "report", runs: d.numRuns, violations };
    if (f) {
      Object.assign(res, { message: f.msg, path: options.path ?? f.path, case: f.c });
      res.yaml = caseYaml(inv, ctx.subject, f.c, f.msg, seed, res.path!, options.base?.file);
    }
    return res;
  }
  if (!d.failed) return { ...head, status: "pass", runs: d.numRuns };
  if (d.counterexample === null)
    return {
      ...head,
      status: "error",
      runs: d.numRuns,
      message: "fast-check gave up without a counterexample",
    };
  const c = d.counterexample[0];
  const err = d.errorInstance;
  const isViolation = err instanceof Violation;
  const message = isViolation
    ? err.message
    : `harness error: ${err instanceof Error ? err.message : String(err)}`;
  return {
    ...head,
    status: isViolation ? "fail" : "error",
    runs: d.numRuns,
    message,
    path: d.counterexamplePath,
    case: c,
    yaml: caseYaml(inv, ctx.subject, c, message, seed, d.counterexamplePath, options.base?.file),
  };
}

/** The counterexample as a scenario file: a comment header (what failed, how to replay) + YAML. */
export function caseYaml(
  inv: Invariant,
  subject: CheckSubject,
  c: CheckCase,
  message: string,
  seed: number,
  path: string,
  scenarioFile?: string,
): string {
  const lines = [
    `# routesim check: invariant "${inv.name}" (${inv.rules}) ${inv.mode === "report" ? "did not hold" : "failed"} for policy "${subject.name}"`,
    `# ${message}`,
    `# fast-check seed ${seed}, path ${path}`,
    `# replay: routesim check ${scenarioFile ?? "<scenario>"} --policies ${subject.name} --invariants ${inv.name} --seed ${seed} --path ${path}`,
  ];
  if (c.routing) {
    const failures = c.routing.failuresAgoMs
      .map((ago, i) =>
        ago.length
          ? `${c.providers[i].name} (${c.providers[i].model}) ${ago.map((a) => `${a / 1000} s`).join(", ")} before`
          : "",
      )
      .filter(Boolean);
    lines.push(
      `# routing state: one request routed at t = ${ROUTE_NOW_MS / 1000} s; counted failures: ${failures.join("; ") || "none"}`,
    );
    const uptime = (c.routing.uptime ?? [])
      .map((u, i) =>
        u.successes + u.errors > 0
          ? `${c.providers[i].name} (${c.providers[i].model}) ${u.successes} ok / ${u.errors} errors`
          : "",
      )
      .filter(Boolean);
    if (uptime.length) lines.push(`# uptime window (R90): ${uptime.join("; ")}`);
  }
  if (c.pick)
    lines.push(
      `# metamorphic change: providers[${c.pick.endpoint}] (${c.providers[c.pick.endpoint].name}), factor ${c.pick.factor}`,
    );
  if (!policyKinds().includes(subject.kind))
    lines.push(`# policy kind "${subject.kind}" must be registered (registerPolicyKind) to run this file`);
  const doc = caseScenarioInput(
    c,
    subject,
    `check-${inv.name}-${subject.name}`.replace(/[^A-Za-z0-9._-]/g, "-"),
  );
  return `${lines.join("\n")}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** The pass/fail table: one row per invariant, one column per policy. */
export function formatTable(results: readonly InvariantResult[]): string {
  const policies = [...new Set(results.map((r) => r.policy))];
  const invs = [...new Set(results.map((r) => r.invariant))];
  const cell = (r: InvariantResult | undefined): string => {
    if (!r) return "";
    if (r.status === "report") return `${r.runs - (r.violations ?? 0)}/${r.runs} held`;
    return r.status === "pass" ? `pass (${r.runs})` : r.status.toUpperCase().replace("N/A", "n/a");
  };
  const rows = invs.map((inv) => {
    const rules = results.find((r) => r.invariant === inv)!.rules;
    return [
      inv,
      rules,
      ...policies.map((p) => cell(results.find((r) => r.invariant === inv && r.policy === p))),
    ];
  });
  const header = ["invariant", "rules", ...policies];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) =>
    r
      .map((x, i) => x.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

/** True when every asserted invariant passed (report-only invariants never fail a check). */
export function allPassed(results: readonly InvariantResult[]): boolean {
  return results.every((r) => r.status !== "fail" && r.status !== "error");
}

export interface CheckInvariantsOptions extends CheckOptions, PolicySubjectOptions {}

/**
 * Checks a TypeScript policy against the invariant library.
 *
 *   const results = checkInvariants(myPolicy, { runs: 50, invariants: ["conservation", "filters"] });
 *   if (!allPassed(results)) console.log(formatTable(results));
 */
export function checkInvariants(
  policy: Policy | ((catalog: readonly Endpoint[]) => Policy),
  options: CheckInvariantsOptions = {},
): InvariantResult[] {
  return checkSubject(policySubject(policy, options), options);
}
