/**
 * The reference ("perf") model as a hand-written minimal typed-array loop: the practical floor for
 * a JavaScript discrete-event simulation of it. No objects per event: a binary heap of (time, seq,
 * code) in typed arrays, per-server busy counts and FIFO rings of arrival times, xoshiro128**
 * with inline Box–Muller. Same model as bench/reference/simpy_perf_model.py and
 * scenarios/bench/perf-model.yaml.
 */

const RATE_PER_MS = 140 / 1000;
const SERVERS = 8;
const SLOTS = 32;
const SIGMA = 0.5;
const MU = Math.log(1000) - (SIGMA * SIGMA) / 2; // mean 1000 ms

export interface TypedLoopResult {
  requests: number;
  events: number;
  meanLatencyMs: number;
}

export function typedLoop(n: number, seed = 1): TypedLoopResult {
  // xoshiro128** state (seeded by splitmix32).
  let s = seed | 0;
  const sm = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s ^ (s >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    return (z ^ (z >>> 15)) | 0;
  };
  let a = sm();
  let b = sm();
  let c = sm();
  let d = sm() | 1;
  const u32 = (): number => {
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };
  const uOpen = (): number => (u32() + 0.5) / 4294967296;

  // Heap of events: time, seq (FIFO ties), code (-1 arrival, else server index of a departure).
  let cap = 1024;
  let ht = new Float64Array(cap);
  let hs = new Float64Array(cap);
  let hc = new Int32Array(cap);
  let size = 0;
  let seq = 0;
  const push = (time: number, code: number): void => {
    if (size === cap) {
      cap *= 2;
      const t2 = new Float64Array(cap);
      t2.set(ht);
      ht = t2;
      const s2 = new Float64Array(cap);
      s2.set(hs);
      hs = s2;
      const c2 = new Int32Array(cap);
      c2.set(hc);
      hc = c2;
    }
    let i = size++;
    const q = seq++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ht[p];
      if (pt < time || (pt === time && hs[p] < q)) break;
      ht[i] = pt;
      hs[i] = hs[p];
      hc[i] = hc[p];
      i = p;
    }
    ht[i] = time;
    hs[i] = q;
    hc[i] = code;
  };
  const popRoot = (): void => {
    const m = --size;
    if (m === 0) return;
    const t = ht[m];
    const q = hs[m];
    const k = hc[m];
    let i = 0;
    const half = m >> 1;
    while (i < half) {
      let ch = 2 * i + 1;
      const r = ch + 1;
      if (r < m && (ht[r] < ht[ch] || (ht[r] === ht[ch] && hs[r] < hs[ch]))) ch = r;
      const ct = ht[ch];
      if (t < ct || (t === ct && q < hs[ch])) break;
      ht[i] = ct;
      hs[i] = hs[ch];
      hc[i] = hc[ch];
      i = ch;
    }
    ht[i] = t;
    hs[i] = q;
    hc[i] = k;
  };

  const busy = new Int32Array(SERVERS);
  // Per-server FIFO rings of arrival times (waiting requests) and of in-service arrival times.
  const RING = 1 << 16;
  const waitQ = new Float64Array(SERVERS * RING);
  const waitHead = new Int32Array(SERVERS);
  const waitLen = new Int32Array(SERVERS);
  // Departure events carry only the server; the arrival time of the departing request is kept
  // in a per-slot table indexed by the event's seq would need more state, so latency is summed as
  // (departure - arrival) by adding -arrival at service start and +departure at departure.
  let latencySum = 0;
  let done = 0;
  let arrived = 0;
  let events = 0;
  const serviceMs = (): number => {
    const u1 = uOpen();
    const u2 = u32() / 4294967296;
    return Math.exp(MU + SIGMA * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  };

  let now = 0;
  push(-Math.log(uOpen()) / RATE_PER_MS, -1);
  while (size > 0) {
    now = ht[0];
    const code = hc[0];
    popRoot();
    events++;
    if (code < 0) {
      arrived++;
      if (arrived < n) push(now - Math.log(uOpen()) / RATE_PER_MS, -1);
      const srv = Math.floor((u32() / 4294967296) * SERVERS);
      if (busy[srv] < SLOTS) {
        busy[srv]++;
        latencySum -= now;
        push(now + serviceMs(), srv);
      } else {
        waitQ[srv * RING + ((waitHead[srv] + waitLen[srv]) & (RING - 1))] = now;
        waitLen[srv]++;
      }
    } else {
      latencySum += now;
      done++;
      if (waitLen[code] > 0) {
        const t0 = waitQ[code * RING + waitHead[code]];
        waitHead[code] = (waitHead[code] + 1) & (RING - 1);
        waitLen[code]--;
        latencySum -= t0;
        push(now + serviceMs(), code);
      } else {
        busy[code]--;
      }
    }
  }
  if (done !== n) throw new Error(`typed loop lost requests: ${done} of ${n}`);
  return { requests: n, events, meanLatencyMs: latencySum / n };
}
