/**
 * Seeded random streams. One root seed; every concern (arrivals, token sizes, each provider's
 * latency / errors / outages, each policy) gets its own stream derived by hashing its name, so a
 * draw depends on what it is for, not on how many draws came before (common random numbers).
 *
 * Generator: xoshiro128** (32-bit state words, fast in JS, passes BigCrush); seeded through
 * splitmix32 from a 64-bit hash of the key parts. Never ARC4 on the hot path.
 */

export type Key = string | number;

const M1 = 0x85ebca6b;
const M2 = 0xc2b2ae35;

/** murmur3 finaliser: a good 32-bit avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, M1);
  h ^= h >>> 13;
  h = Math.imul(h, M2);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, w: number): number {
  let k = Math.imul(w | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Feeds one key part into two independent 32-bit accumulators. */
function absorb(h: [number, number], part: Key): void {
  if (typeof part === "number") {
    // Split a (possibly fractional or > 2^32) number into two words losslessly enough for seeds.
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    h[0] = mixWord(mixWord(h[0], lo), hi ^ 0x9e3779b9);
    h[1] = mixWord(mixWord(h[1], hi), lo ^ 0x7f4a7c15);
  } else {
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      h[0] = mixWord(h[0], c);
      h[1] = mixWord(h[1], c ^ 0x5bd1e995);
    }
    h[0] = mixWord(h[0], part.length | 0x40000000);
    h[1] = mixWord(h[1], part.length | 0x20000000);
  }
}

/** splitmix32 output function of state `s`. */
function splitmix32(s: number): number {
  let z = s ^ (s >>> 16);
  z = Math.imul(z, 0x21f0aaad);
  z ^= z >>> 15;
  z = Math.imul(z, 0x735a2d97);
  return (z ^ (z >>> 15)) | 0;
}

/** Hashes key parts to a pair of 32-bit words. */
export function hashKey(parts: readonly Key[]): [number, number] {
  const h: [number, number] = [0x243f6a88, 0x85a308d3];
  for (const p of parts) absorb(h, p);
  return [fmix32(h[0]), fmix32(h[1] ^ h[0])];
}

/** A generator's 128-bit state, for replaying draws later (`Rng.saveState` / `restoreState`). */
export interface RngState {
  s0: number;
  s1: number;
  s2: number;
  s3: number;
}

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** A stream for the given key parts, e.g. `new Rng(seed, "latency", "alpha")`. */
  constructor(...key: Key[]) {
    const [h1, h2] = hashKey(key);
    this.setState(h1, h2);
  }

  /** Re-keys this generator in place (no allocation): `(base words) + parts`. */
  reseed(base: readonly [number, number], k1: number, k2 = 0, k3 = 0): void {
    // Hot path (several times per request): everything inlined by hand and kept in int32, which
    // gives exactly the values of `mixWord`/`fmix32`/`setState` (every step truncates to 32 bits).
    // The expansion below repeats `setState` on purpose: calling it instead costs 400–600 more
    // instructions per perf-model request (callgrind, measured again after the ziggurat change).
    const b0 = base[0] | 0;
    const b1 = base[1] | 0;
    let h1 = mixWord(mixWord(mixWord(b0, k1), k2), k3);
    let h2 = mixWord(mixWord(mixWord(b1, k3 ^ 0x68e31da4), k2 ^ 0xb5297a4d), k1 ^ 0x1b56c4e9);
    h2 ^= h1; // fmix32(h2 ^ h1) takes h1 before its own finalisation
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, M1);
    h1 ^= h1 >>> 13;
    h1 = Math.imul(h1, M2);
    h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 16;
    h2 = Math.imul(h2, M1);
    h2 ^= h2 >>> 13;
    h2 = Math.imul(h2, M2);
    h2 ^= h2 >>> 16;
    let s = (h1 ^ Math.imul(h2, 0x9e3779b9)) | 0;
    s = (s + 0x9e3779b9) | 0;
    let z = s ^ (s >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    const a = z ^ (z >>> 15) ^ h2;
    s = (s + 0x9e3779b9) | 0;
    z = s ^ (s >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    const b = z ^ (z >>> 15);
    s = (s + 0x9e3779b9) | 0;
    z = s ^ (s >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    const c = z ^ (z >>> 15) ^ h1;
    s = (s + 0x9e3779b9) | 0;
    z = s ^ (s >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    const d = z ^ (z >>> 15);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = (a | b | c | d) === 0 ? 1 : d;
  }

  private setState(h1: number, h2: number): void {
    // splitmix32 expansion of the 64-bit hash into 128 bits of state.
    let s = (h1 ^ Math.imul(h2, 0x9e3779b9)) | 0;
    s = (s + 0x9e3779b9) | 0;
    this.a = splitmix32(s) ^ h2;
    s = (s + 0x9e3779b9) | 0;
    this.b = splitmix32(s);
    s = (s + 0x9e3779b9) | 0;
    this.c = splitmix32(s) ^ h1;
    s = (s + 0x9e3779b9) | 0;
    this.d = splitmix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** Copies the state into `to` (no allocation): the draws from here on can be replayed. */
  saveState(to: RngState): void {
    to.s0 = this.a;
    to.s1 = this.b;
    to.s2 = this.c;
    to.s3 = this.d;
  }

  /** Continues from a state saved with `saveState`: the same draws follow. */
  restoreState(from: RngState): void {
    this.a = from.s0;
    this.b = from.s1;
    this.c = from.s2;
    this.d = from.s3;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    return this.nextI32() >>> 0;
  }

  /**
   * The same 32 bits as a signed integer. The draws use this one: an unsigned value from 2^31 up,
   * returned by a call V8 did not inline, is boxed (an allocation); a signed one never is.
   */
  nextI32(): number {
    // Each field read once and written once, and the multiplies by 5 and 9 as exact products
    // truncated to 32 bits (same bits as Math.imul): a smaller body, which leaves V8 more inlining
    // budget at the call sites (measured with callgrind on the perf model).
    const a = this.a;
    const b = this.b;
    const c = this.c ^ a;
    const d = this.d ^ b;
    this.a = a ^ d;
    this.b = b ^ c;
    this.c = c ^ (b << 9);
    this.d = (d << 11) | (d >>> 21);
    const r = (b * 5) | 0;
    return (((r << 7) | (r >>> 25)) * 9) | 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return (this.nextI32() >>> 0) / 4294967296;
  }

  /** Uniform in (0, 1): safe for logarithms. */
  nextOpen(): number {
    return ((this.nextI32() >>> 0) + 0.5) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
