/**
 * Decision log (`routesim run --decisions`): one JSON line per request per policy — the candidates
 * after filters, the order and why (the policy's explanation), every attempt's outcome and the final
 * result. This is how users debug "why did it go there".
 */

import { closeSync, openSync, writeSync } from "node:fs";
import type { Decision } from "../policies/types.js";
import { DEFERRED } from "../policies/types.js";
import type { AttemptRecord, Endpoint, Outcome, RoutedRequest } from "../types.js";
import type { RunObserver } from "./router.js";

const FLUSH_AT = 1 << 20;

export class DecisionLog {
  private readonly fd: number;
  private buf: string[] = [];
  private size = 0;
  lines = 0;

  constructor(
    path: string,
    private readonly catalog: readonly Endpoint[],
  ) {
    this.fd = openSync(path, "w");
  }

  /** An observer that logs one policy's requests. */
  observer(policy: string): RunObserver {
    return {
      borrows: true, // each request becomes a line at once
      attempt: () => {},
      outcome: (req, o, attempts, d) => this.write(policy, req, o, attempts, d),
    };
  }

  write(
    policy: string,
    req: RoutedRequest,
    o: Outcome,
    attempts: readonly AttemptRecord[],
    d: Decision,
  ): void {
    const line = JSON.stringify({
      policy,
      request: req.id,
      arrival_ms: req.arrivalMs,
      model: req.body.model ?? req.body.models ?? req.model,
      ...(req.session !== undefined ? { session: req.session } : {}),
      prompt_tokens: req.promptTokens,
      decision:
        d.kind === "route"
          ? {
              // A deferred step is chosen when it runs (its attempt, if any, names the endpoint).
              candidates: d.candidates.map((i) =>
                i === DEFERRED ? "(chosen when run)" : this.catalog[i].tag,
              ),
              why: d.explain ?? null,
            }
          : {
              reject: { status: d.status, code: d.code, excluded_by: d.excludedBy ?? [] },
              why: d.explain ?? null,
            },
      attempts: attempts.map((a) => ({
        n: a.attempt,
        endpoint: a.endpoint.tag,
        model: a.endpoint.model,
        status: a.status,
        error: a.error,
        start_ms: a.startMs,
        end_ms: a.endMs,
        ttft_ms: Number.isFinite(a.ttftMs) ? a.ttftMs : null,
        cost_usd: a.costUsd,
        ...(a.cachedTokens ? { cached_tokens: a.cachedTokens } : {}),
        ...(a.retryAfterS !== undefined ? { retry_after_s: a.retryAfterS } : {}),
      })),
      outcome:
        o.kind === "served"
          ? {
              served: true,
              endpoint: o.endpoint.tag,
              model: o.endpoint.model,
              cost_usd: o.costUsd,
              latency_ms: o.latencyMs,
            }
          : { served: false, status: o.status, code: o.code, latency_ms: o.latencyMs, cost_usd: o.costUsd },
    });
    this.buf.push(line);
    this.lines++;
    this.size += line.length + 1;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, `${this.buf.join("\n")}\n`);
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
