/**
 * A throwaway PostgreSQL cluster of the machine's own server (Debian's postgresql), on 127.0.0.1
 * and a socket in a temp folder, for tests that need the database LiteLLM's proxy writes. As root
 * it runs as the `postgres` user (initdb refuses root). Stopped, and its folder removed, by `stop`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Cluster {
  url: string;
  stop(): void;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  throw new Error(
    "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)",
  );
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

export async function startCluster(): Promise<Cluster> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "routesim-pg-"));
  chmodSync(dir, 0o777);
  const data = join(dir, "data");
  const run = (cmd: string, args: string[]) => {
    const argv = root ? ["-u", "postgres", "--", join(bin, cmd), ...args] : args;
    const r = spawnSync(root ? "runuser" : join(bin, cmd), argv, { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout || r.error}`);
  };
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  run("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "log"),
    "-w",
    "-t",
    "30",
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    "start",
  ]);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** For messages: which server version the cluster runs. */
export function serverVersion(): string {
  return execFileSync(join(binDir(), "postgres"), ["--version"], { encoding: "utf8" }).trim();
}
