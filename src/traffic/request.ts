/** The one place request objects are made, for every traffic source and for `bodyMerger`. */
import { objectList } from "../sim/doubles.js";
import type { RequestBody, RoutedRequest, TrafficRequest } from "../types.js";

/**
 * A policy's request body for a traffic model (see `bodyFactory` in simulate.ts). An object with a
 * method rather than a closure: every run then calls the same function from the traffic source.
 */
export interface BodyFor {
  bodyFor(trafficModel: string): RequestBody;
}

/**
 * A request with every field present (`body` undefined for plain traffic), so requests from any
 * source share one object shape and the hot path's property reads stay monomorphic. The
 * `satisfies` makes a field added to `RoutedRequest` a compile error here until it is set.
 */
export function makeRequest<B extends RequestBody | undefined>(
  id: number,
  arrivalMs: number,
  promptTokens: number,
  completionTokens: number,
  model: string,
  session: string | undefined,
  priority: number | undefined,
  body: B,
  bodyKey?: string,
): TrafficRequest & { readonly body: B } {
  const req = { id, arrivalMs, promptTokens, completionTokens, model, session, priority, body, bodyKey };
  return req satisfies Record<keyof RoutedRequest, unknown>;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Requests a run is done with, refilled for later arrivals: the router hands a request back once
 * its outcome is delivered and nothing keeps it (see Router `recycles`). Empty, it makes new ones.
 */
export class RequestPool {
  private readonly spare = objectList<Writable<RoutedRequest>>();

  release(req: RoutedRequest): void {
    this.spare.push(req as Writable<RoutedRequest>);
  }

  /** `makeRequest`, into a spare request when there is one (every field written: one layout). */
  make(
    id: number,
    arrivalMs: number,
    promptTokens: number,
    completionTokens: number,
    model: string,
    session: string | undefined,
    body: RequestBody | undefined,
    bodyKey: string | undefined,
  ): TrafficRequest {
    const r = this.spare.pop();
    if (r === undefined)
      return makeRequest(
        id,
        arrivalMs,
        promptTokens,
        completionTokens,
        model,
        session,
        undefined,
        body,
        bodyKey,
      );
    r.id = id;
    r.arrivalMs = arrivalMs;
    r.promptTokens = promptTokens;
    r.completionTokens = completionTokens;
    r.model = model;
    r.session = session;
    r.priority = undefined;
    (r as { body: RequestBody | undefined }).body = body;
    r.bodyKey = bodyKey;
    return r;
  }
}

// A refilled request gets new values in every field, including ones a run never changes (its body)
// but the next run does: V8 would first treat those as constants of the object layout, and the
// next run's first refill would discard the code compiled around them. Two different values per
// field, on a throwaway request, make them ordinary fields from the start.
{
  const sample = makeRequest(0, 0.5, 0, 0, "a", "a", 0.5, {} as RequestBody, "a") as Writable<RoutedRequest>;
  for (const v of [1, 2]) {
    sample.id = v;
    sample.arrivalMs = v + 0.5;
    sample.promptTokens = v;
    sample.completionTokens = v;
    sample.model = `m${v}`;
    sample.session = `s${v}`;
    sample.priority = v;
    sample.body = {} as RequestBody;
    sample.bodyKey = `k${v}`;
  }
  sample.session = undefined;
  sample.priority = undefined;
  sample.bodyKey = undefined;
}
