/** The one place request objects are made, for every traffic source and for `bodyMerger`. */
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
