/**
 * The order of `a.localeCompare(b, "en", { numeric: true })`, which summaries sort their keys by.
 * Keys made of lowercase letters and digit runs without leading zeros ("429", "p12", "deepinfra")
 * compare without ICU, whose collator costs about 5 ms to create; any other key pair uses it.
 * test/metrics/order.test.ts checks the two agree.
 */
const SIMPLE = /^(?:[a-z]+|[1-9][0-9]*|0(?![0-9]))+$/;
const TOKEN = /[a-z]+|[0-9]+/g;

let collator: Intl.Collator | null = null;

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
    const xDigit = x.charCodeAt(0) < 97;
    const yDigit = y.charCodeAt(0) < 97;
    if (xDigit !== yDigit) return xDigit ? -1 : 1; // digits sort before letters
    if (xDigit && x.length !== y.length) return x.length < y.length ? -1 : 1; // no leading zeros
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}
