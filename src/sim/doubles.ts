/**
 * Keeps a class's numeric fields stored as doubles from the first instance on.
 *
 * V8 lays a field out from its first value: `0` makes it a small-integer field, and the first
 * fraction stored into it later changes the class's layout (its hidden class is replaced). Objects
 * built after that, such as the next run's in the same process (`compare`, `sweep`, a benchmark's
 * warm-up), get the new layout, and every compiled function that relied on the old one is thrown
 * away and compiled again: about 15 % of the CPU time of a 1M-request perf-model run that followed
 * a 20k-request one (docs/performance.md, "The second run"). Calling this once, right after the
 * class, on a throwaway instance makes that change before any real instance exists.
 */
export function storeAsDoubles(sample: object, fields: readonly string[]): void {
  const o = sample as Record<string, unknown>;
  for (const f of fields) {
    if (typeof o[f] !== "number") throw new Error(`storeAsDoubles: ${f} is not a numeric field`);
    o[f] = 0.5;
  }
}

/**
 * Lets fields that hold either `undefined` or a number (small integer or fraction) take any of
 * them from the first instance on: otherwise the first small integer stored into a field that held
 * only `undefined` and fractions makes optimised code that stores into it bail out, again and again.
 */
export function storeAsAnyValue(sample: object, fields: readonly string[]): void {
  const o = sample as Record<string, unknown>;
  for (const f of fields) {
    o[f] = 1;
    o[f] = 0.5;
    o[f] = undefined;
  }
}

/**
 * An empty array laid out for objects from the start. `[]` starts as an array of small integers
 * and changes layout at its first object; code compiled for the changed layout in one run meets
 * the next run's new `[]` in the old one and is thrown away.
 */
export function objectList<T extends object>(): T[] {
  const a = [{}] as T[];
  a.pop();
  return a;
}
