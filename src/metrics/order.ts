/**
 * The order of `a.localeCompare(b, "en", { numeric: true })`, which summaries sort their keys by.
 * Keys made of lowercase letters, digit runs without leading zeros and the punctuation of provider
 * tags and model ids (`atlas-cloud`, `meta-llama/llama-3.3-70b-instruct`) compare without ICU,
 * whose first collator costs about 14 ms to create; any other key pair uses it.
 * test/metrics/order.test.ts checks the two agree.
 */
// The punctuation the fast path knows, in the root collation's order (non-ignorable: each mark
// sorts by itself, before digits, and digits before letters).
const MARKS = "_-:.@/+";
const SIMPLE = /^(?:[a-z]+|[1-9][0-9]*|0(?![0-9])|[-_:.@/+])+$/;
const TOKEN = /[a-z]+|[0-9]+|[-_:.@/+]/g;

let collator: Intl.Collator | null = null;

/** 0 for a mark, 1 for a digit run, 2 for a run of letters. */
function rank(token: string): number {
  const c = token.charCodeAt(0);
  return c >= 97 ? 2 : c >= 48 && c <= 57 ? 1 : 0;
}

export function numericOrder(a: string, b: string): number {
  if (!SIMPLE.test(a) || !SIMPLE.test(b)) {
    collator ??= new Intl.Collator("en", { numeric: true });
    return collator.compare(a, b);
  }
  const ta = a.match(TOKEN)!;
  const tb = b.match(TOKEN)!;
  for (let i = 0; i < ta.length && i < tb.length; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === y) continue;
    const rx = rank(x);
    const ry = rank(y);
    if (rx !== ry) return rx < ry ? -1 : 1; // marks, then digits, then letters
    if (rx === 0) return MARKS.indexOf(x) < MARKS.indexOf(y) ? -1 : 1;
    if (rx === 1 && x.length !== y.length) return x.length < y.length ? -1 : 1; // no leading zeros
    // A run that is a prefix of the other is followed by a mark, a digit or the end: all earlier.
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}
