/**
 * kind: nginx (issue #20 item 5): nginx 1.22's round robin balancer and proxy_next_upstream, as
 * ngx_http_upstream_round_robin.c and ngx_http_upstream.c do them.
 */
import { describe, expect, it } from "vitest";
import { NGINX_MODELLED_VERSION, type NginxRouter } from "../../../src/policies/nginx/policy.js";
import { build, Clock, drivePlan, type Out, request, world } from "../../support/gateways.js";

const w = world([{ name: "a" }, { name: "b" }, { name: "c" }]);

/** A kind: nginx policy on the servers `ups` and the location's `loc` directives. */
function nginx(ups: string, loc = "") {
  const config = `upstream llm {\n${ups}\n}\nlocation /v1/ {\n proxy_pass http://llm;\n proxy_buffering off;\n${loc}\n}\n`;
  return build(w.ctx, { kind: "nginx", options: { config } });
}

let id = 0;
function play(b: ReturnType<typeof nginx>, v: Clock, outcomes: Out[]) {
  return drivePlan(b, v, request(id++), outcomes);
}

const NEXT_503 = "proxy_next_upstream error timeout http_503 non_idempotent;";

describe("kind: nginx", () => {
  it("names the nginx it models", () => {
    expect(NGINX_MODELLED_VERSION).toMatch(/^nginx 1\.22/);
  });

  it("smooth weighted round robin: weights 5/1/1 give a a b a c a a, period 7 (ngx_http_upstream_get_peer)", () => {
    const b = nginx("server a weight=5; server b; server c;");
    const v = new Clock(w.catalog);
    const seq = Array.from({ length: 14 }, () => play(b, v, [200]).tried[0]).join(" ");
    expect(seq).toBe("a a b a c a a a a b a c a a");
  });

  it("a POST's 503 goes to the next server only with non_idempotent (ngx_http_upstream_test_next)", () => {
    const plain = nginx("server a; server b;", "proxy_next_upstream error timeout http_503;");
    const r = play(plain, new Clock(w.catalog), [503, 200]);
    expect(r.tried).toEqual(["a"]);
    expect(r.final?.status).toBe(503);
    const post = nginx("server a; server b;", NEXT_503);
    const s = play(post, new Clock(w.catalog), [503, 200]);
    expect(s.tried).toEqual(["a", "b"]);
    expect(s.final).toBeNull();
  });

  it("a 503 that is not passed on is the client's and not a failure: the server stays in rotation", () => {
    const b = nginx("server a max_fails=1; server b;", "proxy_next_upstream error timeout http_503;");
    const v = new Clock(w.catalog);
    const tried = Array.from({ length: 4 }, () => play(b, v, [503]).tried[0]);
    expect(tried).toEqual(["a", "b", "a", "b"]);
  });

  it("proxy_next_upstream_tries bounds the attempts; the last try's status is the client's", () => {
    const b = nginx("server a; server b; server c;", `${NEXT_503}\nproxy_next_upstream_tries 2;`);
    const r = play(b, new Clock(w.catalog), [503, 503, 200]);
    expect(r.tried).toEqual(["a", "b"]);
    expect(r.final?.status).toBe(503);
    // Unlimited (0): every server once, never one twice.
    const all = nginx("server a; server b; server c;", NEXT_503);
    const s = play(all, new Clock(w.catalog), [503, 503, 503, 200]);
    expect(s.tried).toEqual(["a", "b", "c"]);
    expect(s.final?.status).toBe(503);
  });

  it("max_fails/fail_timeout: skipped while fails ≥ max_fails and now − checked ≤ fail_timeout (whole seconds)", () => {
    const b = nginx("server a max_fails=2 fail_timeout=10s; server b;", NEXT_503);
    const v = new Clock(w.catalog);
    expect(play(b, v, [503, 200]).tried).toEqual(["a", "b"]); // fails 1
    expect(play(b, v, [200]).tried).toEqual(["b"]);
    expect(play(b, v, [503, 200]).tried).toEqual(["a", "b"]); // fails 2 at t < 1 s: disabled
    const peers = (b.policy as NginxRouter).peers();
    expect(peers[0].fails).toBe(2);
    v.now = 10_500; // ngx_time() 10: 10 − 0 ≤ 10, still skipped
    expect([play(b, v, [200]).tried[0], play(b, v, [200]).tried[0]]).toEqual(["b", "b"]);
    v.now = 11_000; // 11 − 0 > 10: tried again; its success resets fails
    const probe = [play(b, v, [200]).tried[0], play(b, v, [200]).tried[0]];
    expect(probe).toContain("a");
    expect(peers[0].fails).toBe(0);
  });

  it("a single server without backups is never marked failed and gets one try", () => {
    const b = nginx("server a max_fails=1;", NEXT_503);
    const v = new Clock(w.catalog);
    for (let i = 0; i < 3; i++) {
      const r = play(b, v, [503, 200]);
      expect(r.tried).toEqual(["a"]);
      expect(r.final?.status).toBe(503);
    }
  });

  it("backup servers take over only when no primary is left; none left → 502 without a call", () => {
    const b = nginx("server a max_fails=1; server b max_fails=1; server c backup max_fails=1;", NEXT_503);
    const v = new Clock(w.catalog);
    expect(play(b, v, [200]).tried).toEqual(["a"]);
    expect(play(b, v, [200]).tried).toEqual(["b"]);
    expect(play(b, v, [503, 503, 200]).tried).toEqual(["a", "b", "c"]);
    expect(play(b, v, [200]).tried).toEqual(["c"]); // both primaries disabled for 10 s
    // c's 503 goes on (tries left), but no untried server is live: 502 "no live upstreams".
    const last = play(b, v, [503, 200]);
    expect(last.tried).toEqual(["c"]);
    expect(last.final?.status).toBe(502);
    const r = play(b, v, []);
    expect(r.d.kind).toBe("reject");
    expect(r.final?.status).toBe(502);
  });

  it("a read timeout is a failure; passed on with `timeout` and non_idempotent, else the client gets 504", () => {
    const timeout: Out = { status: 408, error: "timeout", ms: 1000 };
    const on = nginx("server a max_fails=0; server b;", "proxy_next_upstream error timeout non_idempotent;");
    expect(play(on, new Clock(w.catalog), [timeout, 200]).tried).toEqual(["a", "b"]);
    const off = nginx("server a max_fails=0; server b;", "proxy_next_upstream error timeout;");
    const r = play(off, new Clock(w.catalog), [timeout, 200]);
    expect(r.tried).toEqual(["a"]);
    expect(r.final?.status).toBe(504);
    expect(off.behaviour.timeoutMs).toBe(60_000); // proxy_read_timeout's default
  });

  it("proxy_next_upstream_timeout stops passing on once that long has passed since the first try", () => {
    const b = nginx("server a; server b; server c;", `${NEXT_503}\nproxy_next_upstream_timeout 150ms;`);
    const r = play(b, new Clock(w.catalog), [{ status: 503, ms: 100 }, { status: 503, ms: 100 }, 200]);
    expect(r.tried).toEqual(["a", "b"]);
  });
});
