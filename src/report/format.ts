/** Number formatting shared by the comparison reports (Markdown and HTML): units, CIs, signs. */
import type { Unit } from "../results/headline.js";
import type { Stat } from "../stats/ci.js";
import type { Slo } from "../types.js";

const MINUS = "−";

function sign(x: number, s: string): string {
  return x < 0 ? `${MINUS}${s.replace(/^-/, "")}` : `+${s}`;
}

/**
 * `x.toLocaleString("en-US")` with exactly `digits` decimals, without ICU (its first use in a
 * process costs about 15 ms of start-up). Like ICU, it rounds the shortest decimal that reads back
 * as `x` (what `String(x)` writes), half away from zero; test/report/format.test.ts compares both.
 */
export function thousands(x: number, digits = 0): string {
  const abs = Math.abs(x);
  const plain = String(abs);
  if (!(abs < 2 ** 53) || digits > 6 || (plain.includes("e") && abs >= 1))
    return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  // Below 1e-6 String() writes an exponent; with at most 6 decimals such a value rounds to 0.
  const [int0, frac0 = ""] = plain.includes("e") ? ["0", ""] : plain.split(".");
  let kept = int0 + frac0.slice(0, digits).padEnd(digits, "0");
  if (frac0.length > digits && frac0.charCodeAt(digits) >= 53 /* "5" */) kept = incremented(kept);
  const int = kept.slice(0, kept.length - digits);
  let grouped = int.slice(0, ((int.length - 1) % 3) + 1);
  for (let i = grouped.length; i < int.length; i += 3) grouped += `,${int.slice(i, i + 3)}`;
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  return sign + grouped + (digits > 0 ? `.${kept.slice(kept.length - digits)}` : "");
}

/** A string of decimal digits plus one in its last place. */
function incremented(d: string): string {
  let i = d.length - 1;
  while (i >= 0 && d[i] === "9") i--;
  return i < 0
    ? `1${"0".repeat(d.length)}`
    : d.slice(0, i) + String(Number(d[i]) + 1) + "0".repeat(d.length - i - 1);
}

/** A plain value in its unit, without the unit for ms/ratio/score (units sit in headers). */
export function value(x: number | null, unit: Unit): string {
  if (x === null || !Number.isFinite(x)) return "–";
  switch (unit) {
    case "fraction":
      return `${(100 * x).toFixed(2)} %`;
    case "usd":
      return x === 0 ? "$0" : Math.abs(x) >= 1 ? `$${x.toFixed(2)}` : `$${x.toPrecision(3)}`;
    case "ms":
      return thousands(x, 0);
    case "ratio":
      return x.toFixed(3);
    case "score":
      return x.toFixed(3);
  }
}

/** Decimals `value` shows for a USD amount (three significant digits below $1). */
function usdDecimals(x: number): number {
  return Math.abs(x) >= 1 || x === 0 ? 2 : Math.max(2, 2 - Math.floor(Math.log10(Math.abs(x))));
}

/** Half-width in the unit of `value` (percentage points for fractions), at the mean's precision. */
function spread(h: number, unit: Unit, mean: number): string {
  switch (unit) {
    case "fraction":
      return (100 * h).toFixed(2);
    case "usd":
      return h.toFixed(usdDecimals(mean));
    case "ms":
      return thousands(h, 0);
    default:
      return h.toFixed(3);
  }
}

/** "mean ± half-width" (or the mean alone when there is no interval). */
export function stat(s: Stat, unit: Unit): string {
  if (s.mean === null) return "–";
  if (s.lo === null || s.hi === null) return value(s.mean, unit);
  return `${value(s.mean, unit)} ± ${spread((s.hi - s.lo) / 2, unit, s.mean)}`;
}

/** A paired absolute difference: "+0.52 pp ± 0.10" for fractions, signed values otherwise. */
export function absDiff(s: Stat, unit: Unit): string {
  if (s.mean === null) return "–";
  const h = s.lo === null || s.hi === null ? null : (s.hi - s.lo) / 2;
  if (unit === "fraction") {
    const m = sign(s.mean, (100 * s.mean).toFixed(2));
    return h === null ? `${m} pp` : `${m} pp ± ${(100 * h).toFixed(2)}`;
  }
  const m = sign(s.mean, value(Math.abs(s.mean), unit));
  return h === null ? m : `${m} ± ${spread(h, unit, s.mean)}`;
}

/** A paired relative difference: "−12.3 % ± 1.5 %". */
export function relDiff(s: Stat): string {
  if (s.mean === null) return "–";
  const m = sign(s.mean, `${(100 * Math.abs(s.mean)).toFixed(1)} %`);
  if (s.lo === null || s.hi === null) return m;
  return `${m} ± ${((100 * (s.hi - s.lo)) / 2).toFixed(1)} %`;
}

export function unitLabel(unit: Unit): string {
  return { fraction: "%", usd: "USD", ms: "ms", ratio: "×", score: "score" }[unit];
}

/** "TTFT ≤ 2,000 ms and latency ≤ 10,000 ms": a scenario's service-level targets in words. */
export function sloText(slo: Slo): string {
  const parts: string[] = [];
  if (slo.ttftMs !== null) parts.push(`TTFT ≤ ${thousands(slo.ttftMs)} ms`);
  if (slo.latencyMs !== null) parts.push(`latency ≤ ${thousands(slo.latencyMs)} ms`);
  return parts.join(" and ");
}

/**
 * " (but fails 48.82 %)" when a policy serves over a percentage point less than the most
 * successful one (issue 25 item 4): it is then never named fastest or cheapest without it.
 */
export function failsCaveat(topSuccessRate: number, successRate: number): string {
  return topSuccessRate - successRate > 0.01 ? ` (but fails ${value(1 - successRate, "fraction")})` : "";
}
