/** The real build (tsc, then the bundles bin/routesim.js loads) into a private folder, for tests of dist/. */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

/** Builds the package into `pkg` (emptied first) with bin/routesim.js and package.json; returns the bin. */
export function buildPackage(pkg: string): string {
  rmSync(pkg, { recursive: true, force: true });
  const build = spawnSync(
    process.execPath,
    [join(ROOT, "scripts", "build.mjs"), "--out", pkg, "--no-declarations"],
    { encoding: "utf8" },
  );
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
  mkdirSync(join(pkg, "bin"));
  const bin = join(pkg, "bin", "routesim.js");
  copyFileSync(join(ROOT, "bin", "routesim.js"), bin);
  copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  return bin;
}
