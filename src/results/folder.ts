/**
 * Writing a results folder safely, for every command that writes one (run, compare, sweep,
 * merge, drive, validate): the work goes to a temp folder beside the target, under a lock file
 * that makes a second writer of the same folder fail at once; `commit` marks the folder as
 * routesim's, then renames it into place, never over a folder routesim did not write or one
 * that appeared meanwhile. A janitor process removes the temp folder and lock if this process
 * dies first (signal or kill -9), and each new writer sweeps those of dead processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../scenario/errors.js";

/** The file in every results folder that lets `--force` replace it. */
export const RESULTS_MARKER = ".routesim-results";
const MARKER_TEXT = "This folder was written by routesim; --force may replace it.\n";
const TMP = ".routesim-tmp-";
const LOCK = ".routesim-lock-";
/** Bytes a name may take as one path segment (NAME_MAX is 255; suffixes like -compare need room). */
const MAX_SEGMENT_BYTES = 200;

const HOST = createHash("sha256").update(hostname()).digest("hex").slice(0, 8);

/** The temp-folder prefix of a process on this host: `.routesim-tmp-<pid>-<host hash>-`. */
export function tempPrefix(pid: number): string {
  return `${TMP}${pid}-${HOST}-`;
}

/** Why `name` cannot be one path segment (null when it can). */
export function pathSegmentProblem(name: string): string | null {
  if (name === "" || name === "." || name === "..") return `"${name}" is not a folder name`;
  if (/[/\\]/.test(name)) return "must not contain / or \\ (it names one folder)";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) return "must not contain control characters (NUL, newline, …)";
  if (name.startsWith(".routesim-")) return "must not start with .routesim- (routesim's own temp names)";
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_SEGMENT_BYTES)
    return `is ${bytes} bytes long; a folder name may have at most ${MAX_SEGMENT_BYTES}`;
  return null;
}

/** Checks a name that becomes a folder: an InputError at `path` of `file` if it cannot. */
export function checkPathSegment(name: string, file: string, path: string): void {
  const problem = pathSegmentProblem(name);
  if (problem) throw new InputError(file, [{ path, message: `${problem}; pass --out to choose the folder` }]);
}

/** A folder routesim wrote (it has the marker), or an empty one: what replacing may remove. */
export function isReplaceable(dir: string): boolean {
  if (!statSync(dir).isDirectory()) return false;
  const entries = readdirSync(dir);
  return entries.length === 0 || entries.includes(RESULTS_MARKER);
}

/** Why `dir` may not be written (null when it may): it exists and is not forced, or not ours. */
export function outDirProblem(dir: string, force: boolean): string | null {
  const out = resolve(dir);
  if (!existsSync(out)) return null;
  if (!force) return `${dir} already exists; pass --force to replace it`;
  if (!isReplaceable(out))
    return `${dir} is not a routesim results folder (it has no ${RESULTS_MARKER} marker), so --force will not replace it: --force only ever removes folders this version of routesim marked as its own. If it holds results of an older routesim you no longer need, remove it yourself (rm -r ${dir}) or choose another --out`;
  return null;
}

export interface ResultsFolder {
  /** Where to write; becomes the results folder on commit. */
  readonly tmp: string;
  /** Marks the folder as routesim's and moves it into place. */
  commit(): void;
  /** Removes the temp folder (after a failure). */
  abort(): void;
}

export interface OpenOptions {
  /** Replace an existing (marked) folder at commit (default true: the CLI passes --force). */
  replace?: boolean;
}

let seq = 0;

function fsProblem(outDir: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOTDIR: "a part of the path is a file, not a folder",
    ENAMETOOLONG: "the name is too long for the file system",
    EACCES: "permission denied",
    EPERM: "operation not permitted",
    EROFS: "read-only file system",
    ENOSPC: "no space left on the device",
    EEXIST: "a file of that name is in the way",
    ENOENT: "the folder cannot be created there",
  };
  const msg = why[code ?? ""] ?? (e as Error).message;
  return new InputError(outDir, [
    { path: "", message: `cannot write the results folder: ${msg}${code ? ` (${code})` : ""}` },
  ]);
}

/** Starts writing `outDir`: a temp folder beside it, under its lock. */
export function openResultsFolder(outDir: string, o: OpenOptions = {}): ResultsFolder {
  const out = resolve(outDir);
  const parent = dirname(out);
  const name = basename(out);
  if (Buffer.byteLength(name) > MAX_SEGMENT_BYTES)
    throw new InputError(outDir, [
      {
        path: "",
        message: `cannot write the results folder: its name is longer than ${MAX_SEGMENT_BYTES} bytes`,
      },
    ]);
  try {
    mkdirSync(parent, { recursive: true });
    if (!statSync(parent).isDirectory()) throw Object.assign(new Error("not a folder"), { code: "ENOTDIR" });
  } catch (e) {
    throw fsProblem(outDir, e);
  }
  sweepStale(parent);
  const lock = join(parent, `${LOCK}${name}`);
  // Short and unique: the pid says whose it is, the target's name (cut) says what it was for.
  const tmp = join(parent, `${tempPrefix(process.pid)}${seq++}-${name.slice(0, 40)}`);
  const guarded = guardAndLock(tmp, lock, outDir);
  try {
    mkdirSync(tmp);
  } catch (e) {
    releaseLock(lock);
    janitor.remove(guarded);
    throw fsProblem(outDir, e);
  }
  let open = true;
  const finish = (): void => {
    open = false;
    releaseLock(lock);
    janitor.remove(guarded);
  };
  return {
    tmp,
    commit() {
      if (!open) throw new Error(`results folder ${outDir} already committed or aborted`);
      try {
        writeFileSync(join(tmp, RESULTS_MARKER), MARKER_TEXT);
        if (existsSync(out)) {
          if (o.replace === false)
            throw new InputError(outDir, [
              { path: "", message: "appeared while this run was writing (another process?); not replaced" },
            ]);
          if (!isReplaceable(out))
            throw new InputError(outDir, [
              { path: "", message: outDirProblem(outDir, true) ?? "not replaceable" },
            ]);
          // Swap, so the old results are never gone before the new ones are in place.
          const old = join(parent, `${tempPrefix(process.pid)}${seq++}-old`);
          renameSync(out, old);
          renameSync(tmp, out);
          rmSync(old, { recursive: true, force: true });
        } else {
          try {
            renameSync(tmp, out);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === "ENOTEMPTY" || code === "EEXIST" || code === "ENOTDIR")
              throw new InputError(outDir, [
                { path: "", message: "appeared while this run was writing (another process?); not replaced" },
              ]);
            throw fsProblem(outDir, e);
          }
        }
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        finish();
        throw e;
      }
      finish();
    },
    abort() {
      if (!open) return;
      rmSync(tmp, { recursive: true, force: true });
      finish();
    },
  };
}

/** `fill(tmp)`, then commit; the temp folder is removed if `fill` throws. */
export function writeResultsFolder<T>(outDir: string, fill: (tmp: string) => T, o: OpenOptions = {}): T {
  const f = openResultsFolder(outDir, o);
  let out: T;
  try {
    out = fill(f.tmp);
  } catch (e) {
    f.abort();
    throw e;
  }
  f.commit();
  return out;
}

/** The same, for asynchronous work. */
export async function writeResultsFolderAsync<T>(
  outDir: string,
  fill: (tmp: string) => Promise<T>,
  o: OpenOptions = {},
): Promise<T> {
  const f = openResultsFolder(outDir, o);
  let out: T;
  try {
    out = await fill(f.tmp);
  } catch (e) {
    f.abort();
    throw e;
  }
  f.commit();
  return out;
}

/** Writes `text` to `file` through a temp file and a rename, under a lock beside it. */
export function writeFileAtomic(file: string, text: string): void {
  const out = resolve(file);
  const lock = join(dirname(out), `${LOCK}${basename(out)}`);
  const tmp = join(dirname(out), `${tempPrefix(process.pid)}${seq++}-${basename(out).slice(0, 40)}`);
  const guarded = guardAndLock(tmp, lock, file);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw fsProblem(file, e);
  } finally {
    releaseLock(lock);
    janitor.remove(guarded);
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** The pid of a temp folder or lock of this host, or null (another host's or not ours). */
function ownerOnThisHost(entry: string, dir: string): number | null {
  if (entry.startsWith(TMP)) {
    const m = /^\.routesim-tmp-(\d+)-([0-9a-f]{8})-/.exec(entry);
    return m && m[2] === HOST ? Number(m[1]) : null;
  }
  if (entry.startsWith(LOCK)) return lockOwner(join(dir, entry));
  return null;
}

function lockOwner(lock: string): number | null {
  try {
    const [pid, host] = readFileSync(lock, "utf8").trim().split(" ");
    return host === HOST && /^\d+$/.test(pid) ? Number(pid) : null;
  } catch {
    return null;
  }
}

/** Removes temp folders and locks in `dir` left by dead processes of this host. */
export function sweepStale(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.startsWith(TMP) && !e.startsWith(LOCK)) continue;
    const pid = ownerOnThisHost(e, dir);
    if (pid !== null && pid !== process.pid && !alive(pid))
      rmSync(join(dir, e), { recursive: true, force: true });
  }
}

/**
 * Registers `tmp` and `lock` with the janitor, then takes the lock: the janitor knows both paths
 * before they exist, so no moment is left unguarded (it removes a lock only if it is this
 * process's). Returns the paths to unregister when done.
 */
function guardAndLock(tmp: string, lock: string, what: string): string[] {
  const guarded = [tmp, lock];
  janitor.add(guarded);
  try {
    takeLock(lock, what);
  } catch (e) {
    janitor.remove(guarded);
    throw e;
  }
  return guarded;
}

function takeLock(lock: string, what: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, `${process.pid} ${HOST}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw fsProblem(what, e);
    }
    const pid = lockOwner(lock);
    if (pid !== null && pid !== process.pid && !alive(pid)) {
      rmSync(lock, { force: true }); // a dead writer's lock
      continue;
    }
    break;
  }
  const pid = lockOwner(lock);
  throw new InputError(what, [
    {
      path: "",
      message: `another routesim process${pid !== null ? ` (pid ${pid})` : ""} is writing it right now (lock ${lock}); wait for it, or remove the lock if no routesim is running`,
    },
  ]);
}

function releaseLock(lock: string): void {
  if (lockOwner(lock) === process.pid) rmSync(lock, { force: true });
}

/**
 * A small detached process that removes what this process registered when this process ends
 * without removing it itself: its stdin closes on any death (a signal, kill -9, a crash), and
 * the simulation loop is synchronous, so a signal handler here could not run in time. It is a
 * POSIX shell loop (a few ms to start; a second Node process cost ~50 ms of a short run's wall
 * time on 2 cores), or the same in Node where there is no /bin/sh. Lines: "+ path" / "- path".
 */
const JANITOR_SH = `pid=$1; host=$2; set=""
while IFS= read -r line; do
  p=\${line#? }
  case "$line" in
    "+ "*) set="$set
$p" ;;
    "- "*) set=$(printf '%s\\n' "$set" | grep -vxF -- "$p") ;;
  esac
done
printf '%s\\n' "$set" | while IFS= read -r p; do
  [ -n "$p" ] || continue
  case "$p" in
    *${LOCK}*) [ "$(cat "$p" 2>/dev/null)" = "$pid $host" ] || continue ;;
  esac
  rm -rf -- "$p"
done`;

const JANITOR_JS = `let buf="";const paths=new Map();const fs=require("fs");
process.stdin.on("data",(c)=>{buf+=c;let i;while((i=buf.indexOf("\\n"))>=0){const l=buf.slice(0,i);buf=buf.slice(i+1);const p=l.slice(2);if(l[0]==="+")paths.set(p,1);else paths.delete(p);}});
process.stdin.on("end",()=>{for(const p of paths.keys()){try{if(p.includes(${JSON.stringify(LOCK)})){const [pid,h]=fs.readFileSync(p,"utf8").trim().split(" ");if(pid!==${JSON.stringify(String(process.pid))}||h!==${JSON.stringify(HOST)})continue;}fs.rmSync(p,{recursive:true,force:true});}catch{}}process.exit(0);});`;

const janitor = new (class {
  private proc: ChildProcess | null = null;
  private failed = false;

  private send(op: "+" | "-", paths: string[]): void {
    // Folders inside another routesim temp folder go with it.
    if (paths.every((p) => basename(dirname(p)).startsWith(TMP))) return;
    if (this.proc === null && !this.failed && op === "+") {
      try {
        const sh = process.platform !== "win32" && existsSync("/bin/sh");
        const p = sh
          ? spawn("/bin/sh", ["-c", JANITOR_SH, "routesim-janitor", String(process.pid), HOST], {
              detached: true,
              stdio: ["pipe", "ignore", "ignore"],
            })
          : spawn(process.execPath, ["-e", JANITOR_JS], {
              detached: true,
              stdio: ["pipe", "ignore", "ignore"],
            });
        p.on("error", () => {
          this.failed = true;
        });
        p.stdin?.on("error", () => {});
        p.unref();
        (p.stdin as unknown as { unref?: () => void } | null)?.unref?.();
        this.proc = p;
      } catch {
        this.failed = true; // then the next run's sweep is the only cleanup
      }
    }
    // A path with a line break cannot be a line: the next writer's sweep removes its leftovers.
    const lines = paths.filter((p) => !/[\n\r]/.test(p)).map((p) => `${op} ${p}\n`);
    if (lines.length) this.proc?.stdin?.write(lines.join(""));
  }

  add(paths: string[]): void {
    this.send("+", paths);
  }

  remove(paths: string[]): void {
    this.send("-", paths);
  }
})();
