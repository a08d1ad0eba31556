// Loaded with `node --import` into a routesim process by the bench (whole-process.ts): V8's sampling
// heap profiler, counting objects that were collected too, from before the CLI loads to the exit,
// where it prints ALLOCATED_BYTES=<the sampled bytes>. The post callbacks run synchronously.
import { Session } from "node:inspector";

const session = new Session();
session.connect();
session.post("HeapProfiler.enable");
session.post("HeapProfiler.startSampling", {
  samplingInterval: 1024,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
process.on("exit", () => {
  session.post("HeapProfiler.stopSampling", (err, r) => {
    let bytes = 0;
    const walk = (node) => {
      bytes += node.selfSize;
      for (const child of node.children) walk(child);
    };
    if (!err) walk(r.profile.head);
    process.stderr.write(`ALLOCATED_BYTES=${err ? -1 : bytes}\n`);
  });
});
