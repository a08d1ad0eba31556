import { checkSubject } from "./src/check/runner.js";
import { MUTANTS, original } from "./test/check/mutants.js";
const inv = process.argv[2].split(",");
for (const seed of [1, 2]) {
  const t = Date.now();
  for (const r of checkSubject(original, { runs: 100, seed, invariants: inv })) console.log("orig", seed, r.invariant, r.status, r.message ?? "");
  console.log("ms", Date.now() - t);
}
for (const m of MUTANTS.filter((m) => m.caughtBy.some((c) => inv.includes(c)))) {
  const t = Date.now();
  for (const r of checkSubject({ ...m.subject, name: m.name }, { runs: 60, invariants: m.caughtBy }))
    console.log(m.name, r.invariant, r.status, r.message ?? "", Date.now() - t);
}
