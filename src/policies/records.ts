/**
 * Whether a policy may hold on to the attempt records, outcomes and attempt lists it is shown
 * after its request has ended. The router reuses those objects for later requests only when no
 * policy or observer keeps them (`Policy.keepsRecords`, `RunObserver.borrows`).
 */
import type { Policy } from "./types.js";

/** Policies made by a factory routesim does not ship (registerPolicyKind, --policy-module). */
const outside = new WeakSet<Policy>();

export function markOutsidePolicy(p: Policy): void {
  outside.add(p);
}

/** A policy's own answer, else: routesim's policies do not keep records, others are taken to. */
export function keepsRecords(p: Policy): boolean {
  return p.keepsRecords ?? outside.has(p);
}
