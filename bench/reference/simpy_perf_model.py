#!/usr/bin/env python3
"""The reference ("perf") model in idiomatic SimPy, for the side-by-side speed ratio.

Open-loop Poisson arrivals at 140 requests/s; 8 servers, each a simpy.Resource with 32 slots
(FIFO queue); service time lognormal with mean 1.0 s and sigma 0.5 in log space; each request
routed uniformly at random; N requests (default 1,000,000), single thread.

Prints one JSON line: {"requests", "wall_s", "cpu_s", "requests_per_s", "mean_latency_s", "simpy",
"python"}.
Usage: python3 simpy_perf_model.py [N] [seed]
"""

import json
import math
import random
import sys
import time

import simpy

RATE = 140.0
SERVERS = 8
SLOTS = 32
SIGMA = 0.5
MU = -SIGMA * SIGMA / 2  # mean exp(MU + SIGMA^2/2) = 1.0 s


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    rng = random.Random(seed)
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=SLOTS) for _ in range(SERVERS)]
    stats = {"done": 0, "latency": 0.0}

    def request(server: simpy.Resource):
        arrived = env.now
        with server.request() as slot:
            yield slot
            yield env.timeout(rng.lognormvariate(MU, SIGMA))
        stats["done"] += 1
        stats["latency"] += env.now - arrived

    def source():
        for _ in range(n):
            yield env.timeout(rng.expovariate(RATE))
            env.process(request(rng.choice(servers)))

    t0 = time.perf_counter()
    c0 = time.process_time()
    env.process(source())
    env.run()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    assert stats["done"] == n
    print(
        json.dumps(
            {
                "requests": n,
                "wall_s": wall,
                "cpu_s": cpu,
                "requests_per_s": n / wall,
                "mean_latency_s": stats["latency"] / n,
                "simpy": simpy.__version__,
                "python": sys.version.split()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
