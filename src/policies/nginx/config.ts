/**
 * Importer for nginx.conf text (nginx 1.22): one `upstream` block and the `proxy_*` directives of
 * the `location` that proxies to it (inherited from `http` and `server` as nginx merges them).
 *
 * Servers map to scenario endpoints by host name (`server alpha:8000` → provider `alpha`, through
 * ../gateway/endpoints.ts), or by a `# routesim: <provider>` comment on the server's line, which
 * wins (needed for addresses such as 127.0.0.1:8001). Every directive that is not modelled gets a
 * warning naming its path; bad input is an InputError with a path like `http.upstream[llm].server[2]`.
 */
import { InputError } from "../../errors.js";
import { matchEndpoint } from "../gateway/endpoints.js";
import type { PolicyContext } from "../kind.js";

export const NGINX_MODELLED_VERSION = "nginx 1.22.1 (ngx_http_upstream_round_robin.c, ngx_http_upstream.c)";

/** `proxy_next_upstream` conditions (ngx_http_proxy_next_upstream_masks). */
export const NEXT_CONDITIONS = [
  "error",
  "timeout",
  "invalid_header",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_403",
  "http_404",
  "http_429",
  "non_idempotent",
] as const;
export type NextCondition = (typeof NEXT_CONDITIONS)[number];

export interface NginxServer {
  /** Scenario endpoint id. */
  readonly endpoint: number;
  /** Its tag (`alpha`, `google-vertex/us-east5`). */
  readonly tag: string;
  /** The address as written (`alpha:8000`). */
  readonly address: string;
  readonly weight: number;
  /** 0 disables failure accounting. */
  readonly maxFails: number;
  /** Whole seconds (nginx parses fail_timeout in seconds). */
  readonly failTimeoutS: number;
  readonly backup: boolean;
  readonly down: boolean;
}

export interface NginxConfig {
  readonly upstream: string;
  readonly servers: readonly NginxServer[];
  /** Empty = `off`. Default `error timeout`. */
  readonly nextUpstream: ReadonlySet<NextCondition>;
  /** proxy_next_upstream_tries; 0 = as many as servers. */
  readonly tries: number;
  /** proxy_next_upstream_timeout (ms); 0 = none. */
  readonly nextUpstreamTimeoutMs: number;
  /** proxy_read_timeout (ms), default 60 s. */
  readonly readTimeoutMs: number;
  /** proxy_connect_timeout (ms), default 60 s: simulated providers accept connections at once. */
  readonly connectTimeoutMs: number;
  /** proxy_send_timeout (ms), default 60 s (a request body is sent at once on loopback). */
  readonly sendTimeoutMs: number;
  /** proxy_buffering (default on). */
  readonly buffering: boolean;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer and tree
// ---------------------------------------------------------------------------------------------

export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly line: number;
  readonly block: Directive[] | null;
  /** Text of a `#` comment on the directive's last line, after it. */
  comment?: string;
}

type Token =
  | { t: "word"; v: string; line: number }
  | { t: ";" | "{" | "}"; line: number }
  | { t: "comment"; v: string; line: number };

function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  const bad = (message: string) => new InputError(file, [{ path: `line ${line}`, message }]);
  while (i < text.length) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (c === "#") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out.push({ t: "comment", v: text.slice(i + 1, stop).trim(), line });
      i = stop;
    } else if (c === ";" || c === "{" || c === "}") {
      out.push({ t: c, line });
      i++;
    } else if (c === '"' || c === "'") {
      const start = line;
      let v = "";
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        if (text[i] === "\n") line++;
        v += text[i++];
      }
      if (i >= text.length)
        throw bad(`unterminated ${c === '"' ? "double" : "single"} quote from line ${start}`);
      i++;
      out.push({ t: "word", v, line: start });
    } else {
      let v = "";
      while (i < text.length && !/[\s;{}#"']/.test(text[i])) v += text[i++];
      out.push({ t: "word", v, line });
    }
  }
  return out;
}

/** Parses nginx.conf syntax: directives end with `;`, blocks are `{ … }`, `#` starts a comment. */
export function parseNginx(text: string, file: string): Directive[] {
  const toks = tokenize(text, file);
  let k = 0;
  const parseBlock = (depth: number): Directive[] => {
    const list: Directive[] = [];
    let last: Directive | null = null;
    while (k < toks.length) {
      const tok = toks[k];
      if (tok.t === "comment") {
        if (last !== null && last.line === tok.line) last.comment = tok.v;
        k++;
        continue;
      }
      if (tok.t === "}") {
        if (depth === 0)
          throw new InputError(file, [{ path: `line ${tok.line}`, message: 'unexpected "}"' }]);
        k++;
        return list;
      }
      if (tok.t !== "word")
        throw new InputError(file, [{ path: `line ${tok.line}`, message: `unexpected "${tok.t}"` }]);
      const name = tok.v;
      const args: string[] = [];
      k++;
      while (k < toks.length && toks[k].t === "word") args.push((toks[k++] as { v: string }).v);
      while (k < toks.length && toks[k].t === "comment") k++; // a comment inside a directive
      const end = toks[k];
      if (end === undefined)
        throw new InputError(file, [
          { path: `line ${tok.line}`, message: `directive "${name}" is not terminated by ";"` },
        ]);
      k++;
      if (end.t === ";") last = { name, args, line: end.line, block: null };
      else if (end.t === "{") last = { name, args, line: tok.line, block: parseBlock(depth + 1) };
      else
        throw new InputError(file, [{ path: `line ${end.line}`, message: `unexpected "}" after "${name}"` }]);
      list.push(last);
    }
    if (depth > 0) throw new InputError(file, [{ path: "end of file", message: 'missing "}"' }]);
    return list;
  };
  return parseBlock(0);
}

// ---------------------------------------------------------------------------------------------
// Units
// ---------------------------------------------------------------------------------------------

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  M: 2_592_000_000,
  y: 31_536_000_000,
};

/**
 * An nginx time (`500ms`, `5s`, `1m30s`, bare = seconds) in ms, or null when invalid; with
 * `seconds` (fail_timeout), `ms` is rejected, as ngx_parse_time(…, 1) does.
 */
export function parseNginxTime(v: string, seconds = false): number | null {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const parts = v.match(/\d+(ms|[smhdwMy])/g);
  if (parts === null || parts.join("") !== v) return null;
  let ms = 0;
  for (const p of parts) {
    const unit = p.endsWith("ms") ? "ms" : p[p.length - 1];
    if (unit === "ms" && seconds) return null;
    ms += Number(p.slice(0, p.length - unit.length)) * UNIT_MS[unit];
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/** Location directives routesim models (the others of `proxy_*` and everything else warn). */
const MODELLED_PROXY = new Set([
  "proxy_pass",
  "proxy_next_upstream",
  "proxy_next_upstream_tries",
  "proxy_next_upstream_timeout",
  "proxy_read_timeout",
  "proxy_connect_timeout",
  "proxy_send_timeout",
  "proxy_buffering",
]);

interface Found {
  upstream: Directive;
  upstreamPath: string;
  /** http → server → location chain whose proxy_* directives apply (outermost first). */
  chain: { d: Directive[]; path: string }[];
}

export interface ImportedNginx {
  config: NginxConfig;
  warnings: string[];
}

/**
 * Reads nginx.conf text (a whole file with `http { … }`, or its `upstream` and `server`/`location`
 * blocks alone). `base` prefixes paths for inline text (`policies[0].options.config`).
 */
export function loadNginxConfig(
  text: string,
  ctx: PolicyContext,
  file: string,
  base = "",
  model?: string,
): ImportedNginx {
  const p = (s: string) => (base ? `${base}:${s}` : s);
  // Paths name the directive's line too (of the file, or of the inline text).
  const err = (path: string, message: string, line?: number) =>
    new InputError(file, [{ path: line === undefined ? p(path) : `${p(path)} (line ${line})`, message }]);
  const top = parseNginx(text, file);
  const warnings: string[] = [];
  const warn = (path: string, what: string) => warnings.push(`nginx ${p(path)}: ${what}`);

  // Flatten to http-level directives: `http { … }` or a bare fragment.
  const httpBlock = top.find((d) => d.name === "http" && d.block !== null);
  const http = httpBlock ? httpBlock.block! : top;
  const root = httpBlock ? "http" : "";
  const at = (s: string) => (root ? `${root}.${s}` : s);
  for (const d of top) if (httpBlock && d !== httpBlock) warn(d.name, `"${d.name}" is not modelled`);

  const upstreams = http.filter((d) => d.name === "upstream");
  if (upstreams.length === 0) throw err(root || "(top level)", "no upstream block");
  const ups = new Map(upstreams.map((u) => [u.args[0], u]));

  // Locations that proxy to an upstream (server blocks, or bare locations in a fragment).
  const found: Found[] = [];
  const servers = http.filter((d) => d.name === "server" && d.block !== null);
  const scanLocations = (list: Directive[], path: string, chain: Found["chain"]) => {
    for (const d of list) {
      if (d.name !== "location" || d.block === null) continue;
      const lp = `${path}location[${d.args.join(" ")}]`;
      const pass = d.block.find((x) => x.name === "proxy_pass");
      const m = pass?.args[0]?.match(/^https?:\/\/([^/:]+)/);
      const u = m ? ups.get(m[1]) : undefined;
      if (u)
        found.push({
          upstream: u,
          upstreamPath: at(`upstream[${u.args[0]}]`),
          chain: [...chain, { d: d.block, path: lp }],
        });
    }
  };
  const httpChain = { d: http, path: root };
  for (const [i, s] of servers.entries())
    scanLocations(s.block!, at(`server[${i}].`), [httpChain, { d: s.block!, path: at(`server[${i}]`) }]);
  scanLocations(http, root ? `${root}.` : "", [httpChain]);

  let chosen: Found;
  if (found.length === 0) {
    const u = upstreams[0];
    chosen = { upstream: u, upstreamPath: at(`upstream[${u.args[0]}]`), chain: [httpChain] };
    warnings.push(
      `nginx ${p(chosen.upstreamPath)}: no location proxies to it; proxy_* directives come from the http level and nginx defaults`,
    );
  } else {
    chosen = found[0];
    for (const f of found.slice(1))
      warn(
        f.chain[f.chain.length - 1].path,
        `another location proxying to ${f.upstream.args[0]}: only the first one is modelled`,
      );
  }
  for (const u of upstreams)
    if (u !== chosen.upstream)
      warn(at(`upstream[${u.args[0]}]`), "not used by the modelled location: ignored");

  // Upstream block.
  const upath = chosen.upstreamPath;
  const list: NginxServer[] = [];
  let si = 0;
  for (const d of chosen.upstream.block ?? []) {
    if (d.name !== "server") {
      if (d.name === "zone") continue; // shared peer state: what routesim models anyway (one state)
      const balancer = ["hash", "ip_hash", "least_conn", "random", "least_time", "sticky"].includes(d.name);
      warn(
        `${upath}.${d.name}`,
        balancer
          ? `balancing method "${d.name}" is not modelled: routesim balances with weighted round robin`
          : `"${d.name}" is not modelled`,
      );
      continue;
    }
    const spath = `${upath}.server[${si++}]`;
    const [address, ...params] = d.args;
    if (address === undefined) throw err(spath, "server needs an address", d.line);
    let weight = 1;
    let maxFails = 1;
    let failTimeoutS = 10;
    let backup = false;
    let down = false;
    for (const prm of params) {
      const eq = prm.indexOf("=");
      const key = eq < 0 ? prm : prm.slice(0, eq);
      const val = eq < 0 ? "" : prm.slice(eq + 1);
      const int = (min: number) => {
        if (!/^\d+$/.test(val) || Number(val) < min)
          throw err(`${spath}.${key}`, `expected an integer ≥ ${min}, got "${val}"`, d.line);
        return Number(val);
      };
      if (key === "weight") weight = int(1);
      else if (key === "max_fails") maxFails = int(0);
      else if (key === "fail_timeout") {
        const ms = parseNginxTime(val, true);
        if (ms === null)
          throw err(
            `${spath}.fail_timeout`,
            `expected whole seconds such as 10s or 1m, got "${val}"`,
            d.line,
          );
        failTimeoutS = ms / 1000;
      } else if (key === "backup" && eq < 0) backup = true;
      else if (key === "down" && eq < 0) down = true;
      else warn(`${spath}.${key}`, `server parameter "${key}" is not modelled`);
    }
    const mapped = d.comment?.match(/routesim:\s*(\S+)/)?.[1];
    const host = address.replace(/:\d+$/, "").replace(/^\[(.*)\]$/, "$1");
    const hit = matchEndpoint(ctx.catalog, mapped ?? host, model, mapped ?? host);
    if (!hit.ok)
      throw err(
        spath,
        `${hit.message}${mapped ? "" : ` (name the provider with a "# routesim: <provider>" comment on the server's line)`}`,
        d.line,
      );
    list.push({
      endpoint: hit.endpoint.id,
      tag: hit.endpoint.tag,
      address,
      weight,
      maxFails,
      failTimeoutS,
      backup,
      down,
    });
  }
  if (!list.some((s) => !s.backup))
    throw err(upath, "no servers in upstream (backup ones alone do not count)", chosen.upstream.line);
  if (
    chosen.upstream.block?.some((d) => ["hash", "ip_hash", "random"].includes(d.name)) &&
    list.some((s) => s.backup)
  )
    throw err(
      upath,
      "backup servers cannot be used with hash, ip_hash or random balancing",
      chosen.upstream.line,
    );

  // proxy_* directives: the innermost level that sets one wins (nginx's merge).
  let nextUpstream = new Set<NextCondition>(["error", "timeout"]);
  let tries = 0;
  let nextUpstreamTimeoutMs = 0;
  let readTimeoutMs = 60_000;
  let connectTimeoutMs = 60_000;
  let sendTimeoutMs = 60_000;
  let buffering = true;
  const time = (d: Directive, path: string) => {
    const ms = d.args.length === 1 ? parseNginxTime(d.args[0]) : null;
    if (ms === null)
      throw err(path, `expected one time such as 500ms, 5s or 1m, got "${d.args.join(" ")}"`, d.line);
    return ms;
  };
  for (const level of chosen.chain) {
    const isLocation = level === chosen.chain[chosen.chain.length - 1] && level.path.includes("location[");
    for (const d of level.d) {
      const path = `${level.path ? `${level.path}.` : ""}${d.name}`;
      if (["upstream", "server", "location"].includes(d.name) && d.block !== null) continue;
      if (!MODELLED_PROXY.has(d.name)) {
        if (isLocation || d.name.startsWith("proxy_")) warn(path, `"${d.name}" is not modelled`);
        else warn(path, `"${d.name}" is not modelled (no effect on upstream routing in routesim)`);
        continue;
      }
      switch (d.name) {
        case "proxy_pass":
          if (!isLocation) warn(path, "proxy_pass outside the modelled location");
          else if (/^https?:\/\/[^/]+\/./.test(d.args[0] ?? ""))
            warn(path, "a URI part in proxy_pass rewrites the request path: not modelled");
          break;
        case "proxy_next_upstream": {
          if (d.args.length === 1 && d.args[0] === "off") {
            nextUpstream = new Set();
            break;
          }
          const s = new Set<NextCondition>();
          for (const a of d.args) {
            if (a === "updating") {
              warn(path, '"updating" concerns the cache, which is not modelled');
              continue;
            }
            if (!(NEXT_CONDITIONS as readonly string[]).includes(a))
              throw err(
                path,
                `unknown condition "${a}"; expected off or ${NEXT_CONDITIONS.join(", ")}`,
                d.line,
              );
            s.add(a as NextCondition);
          }
          if (s.has("invalid_header")) warn(path, "invalid_header: simulated providers never send one");
          nextUpstream = s;
          break;
        }
        case "proxy_next_upstream_tries":
          if (d.args.length !== 1 || !/^\d+$/.test(d.args[0]))
            throw err(path, "expected a number (0 = unlimited)", d.line);
          tries = Number(d.args[0]);
          break;
        case "proxy_next_upstream_timeout":
          nextUpstreamTimeoutMs = time(d, path);
          break;
        case "proxy_read_timeout":
          readTimeoutMs = time(d, path);
          if (readTimeoutMs === 0) throw err(path, "expected a positive time", d.line);
          break;
        case "proxy_connect_timeout":
          connectTimeoutMs = time(d, path);
          warn(path, "simulated providers accept connections at once: proxy_connect_timeout never fires");
          break;
        case "proxy_send_timeout":
          sendTimeoutMs = time(d, path);
          warn(path, "requests are sent at once: proxy_send_timeout never fires");
          break;
        case "proxy_buffering":
          if (d.args[0] !== "on" && d.args[0] !== "off") throw err(path, 'expected "on" or "off"', d.line);
          buffering = d.args[0] === "on";
          break;
      }
    }
  }
  if (buffering)
    warnings.push(
      `nginx ${p(chosen.chain[chosen.chain.length - 1].path || "http")}.proxy_buffering: on (nginx's default) may hold a stream's events in nginx's buffers; routesim forwards tokens as they come, as with proxy_buffering off`,
    );
  return {
    config: {
      upstream: chosen.upstream.args[0],
      servers: list,
      nextUpstream,
      tries,
      nextUpstreamTimeoutMs,
      readTimeoutMs,
      connectTimeoutMs,
      sendTimeoutMs,
      buffering,
    },
    warnings,
  };
}
