/**
 * The reference ("perf") model as a hand-written typed-array loop: the practical floor for a
 * JavaScript discrete-event simulation of it, and this repository's own copy of that floor (a clone
 * without the shared bench still has one). No objects per event: one binary heap of event times with
 * the server index as payload (-1 for the one pending arrival), a pop and a push fused into one
 * sift-down, per-server busy counts and FIFO rings, xoshiro128** with both Box–Muller normals used.
 * Same model as bench/reference/simpy_perf_model.py and scenarios/bench/perf-model.yaml.
 *
 *   node <bundled typed-loop> [requests=1000000] [seed=1]   (the bench bundles it with esbuild and
 *   runs it as a whole process; it prints one JSON line, as the shared floor loop does)
 */

const RATE_PER_S = 140;
const SERVERS = 8;
const SLOTS = 32;
const SIGMA = 0.5;
const MU = -(SIGMA * SIGMA) / 2; // mean service time 1 s
const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;

export interface TypedLoopResult {
  requests: number;
  events: number;
  /** Mean latency in ms. */
  meanLatencyMs: number;
}

export function typedLoop(n: number, seed = 1): TypedLoopResult {
  // xoshiro128** seeded by splitmix32.
  let s = seed | 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s ^ (s >>> 16);
    z = Math.imul(z, 0x21f0aaad);
    z ^= z >>> 15;
    z = Math.imul(z, 0x735a2d97);
    return (z ^ (z >>> 15)) | 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix() | 1;
  const u32 = (): number => {
    const r = Math.imul(b, 5);
    const out = Math.imul((r << 7) | (r >>> 25), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return out >>> 0;
  };
  const uOpen = (): number => (u32() + 1) * INV_2_32; // (0, 1]: safe for log
  let spare = 0;
  let haveSpare = false;
  const normal = (): number => {
    if (haveSpare) {
      haveSpare = false;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(uOpen()));
    const theta = TWO_PI * u32() * INV_2_32;
    spare = r * Math.sin(theta);
    haveSpare = true;
    return r * Math.cos(theta);
  };
  const gap = (): number => -Math.log(uOpen()) / RATE_PER_S;

  // At most one arrival and SERVERS × SLOTS departures are pending: the heap never grows.
  const cap = 1 + SERVERS * SLOTS;
  const ht = new Float64Array(cap);
  const hv = new Int32Array(cap);
  let size = 0;
  const push = (t: number, v: number): void => {
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = ht[p];
      if (pt <= t) break;
      ht[i] = pt;
      hv[i] = hv[p];
      i = p;
    }
    ht[i] = t;
    hv[i] = v;
  };
  // Replaces the root with (t, v): a pop and a push in one sift-down.
  const replaceTop = (t: number, v: number): void => {
    let i = 0;
    for (;;) {
      let ch = 2 * i + 1;
      if (ch >= size) break;
      let ct = ht[ch];
      const r = ch + 1;
      if (r < size) {
        const rt = ht[r];
        if (rt < ct) {
          ch = r;
          ct = rt;
        }
      }
      if (t <= ct) break;
      ht[i] = ct;
      hv[i] = hv[ch];
      i = ch;
    }
    ht[i] = t;
    hv[i] = v;
  };
  const pop = (): void => {
    const last = --size;
    if (last > 0) replaceTop(ht[last], hv[last]);
  };

  // Per-server FIFO rings of (arrival time, service time), grown when one fills.
  let ring = 64;
  let qArrived = new Float64Array(SERVERS * ring);
  let qService = new Float64Array(SERVERS * ring);
  const qHead = new Int32Array(SERVERS);
  const qLen = new Int32Array(SERVERS);
  const grow = (): void => {
    const next = ring * 2;
    const na = new Float64Array(SERVERS * next);
    const ns = new Float64Array(SERVERS * next);
    for (let p = 0; p < SERVERS; p++) {
      for (let k = 0; k < qLen[p]; k++) {
        const from = p * ring + ((qHead[p] + k) & (ring - 1));
        na[p * next + k] = qArrived[from];
        ns[p * next + k] = qService[from];
      }
      qHead[p] = 0;
    }
    qArrived = na;
    qService = ns;
    ring = next;
  };

  const busy = new Int32Array(SERVERS);
  let done = 0;
  let events = 0;
  let latencySum = 0;
  let toSchedule = n - 1;
  push(gap(), -1);
  while (size > 0) {
    const now = ht[0];
    let p = hv[0];
    events++;
    if (p < 0) {
      p = (u32() * INV_2_32 * SERVERS) | 0;
      const service = Math.exp(MU + SIGMA * normal());
      if (toSchedule > 0) {
        toSchedule--;
        replaceTop(now + gap(), -1);
      } else pop();
      if (busy[p] < SLOTS) {
        busy[p]++;
        latencySum += service;
        push(now + service, p);
      } else {
        if (qLen[p] === ring) grow();
        const k = p * ring + ((qHead[p] + qLen[p]) & (ring - 1));
        qArrived[k] = now;
        qService[k] = service;
        qLen[p]++;
      }
    } else {
      done++;
      if (qLen[p] > 0) {
        const k = p * ring + qHead[p];
        qHead[p] = (qHead[p] + 1) & (ring - 1);
        qLen[p]--;
        latencySum += now + qService[k] - qArrived[k]; // its latency, known when service starts
        replaceTop(now + qService[k], p);
      } else {
        busy[p]--;
        pop();
      }
    }
  }
  if (done !== n) throw new Error(`typed loop lost requests: ${done} of ${n}`);
  return { requests: n, events, meanLatencyMs: (1000 * latencySum) / n };
}

/** Run as a process: one JSON line like the shared floor loop's. */
export function typedLoopMain(argv: readonly string[]): void {
  const n = argv.length > 0 ? Number.parseInt(argv[0], 10) : 1_000_000;
  const seed = argv.length > 1 ? Number.parseInt(argv[1], 10) : 1;
  const t0 = performance.now();
  const r = typedLoop(n, seed);
  const t1 = performance.now();
  // performance.now() counts from the process's start: t1 includes node's start-up.
  const line = {
    impl: "typed-loop",
    n,
    wall_s: (t1 - t0) / 1000,
    mean_latency_s: r.meanLatencyMs / 1000,
    wall_incl_startup_s: t1 / 1000,
    req_per_s_incl_startup: n / (t1 / 1000),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
