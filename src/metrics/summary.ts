/** summary.json and run.json of a `run`: what a run measured, and how it was made. */
import type { PolicyModel } from "../policies/describe.js";
import type { PolicySummary } from "./collector.js";

export const SUMMARY_SCHEMA_VERSION = 1;

export interface Summary {
  schemaVersion: number;
  scenario: string;
  seed: number;
  /** Requests in the traffic (each policy sees all of them). */
  requests: number;
  /** Trace rows skipped as bad (on_bad_row: skip). */
  skippedRows: number;
  policies: PolicySummary[];
  warnings: string[];
}

export interface RunInfo {
  scenario: string;
  scenarioFile: string;
  scenarioHash: string;
  seed: number;
  routesimVersion: string;
  nodeVersion: string;
  platform: string;
  events: number;
  /** Wall-clock figures are present only when a clock was injected (the CLI does). */
  wallTimeMs: number | null;
  eventsPerSec: number | null;
  requestsPerSec: number | null;
  command: string | null;
  /** What each policy models: gateway and version, timeout and what it measures, billing. */
  policies: PolicyModel[];
}
