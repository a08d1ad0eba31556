/**
 * Envoy's outlier-detection settings as a schema, on their own so the config importer
 * (./config.ts) and the policy (./policy.ts) both read them without a cycle.
 */
import { z } from "zod";

/** Outlier-detection settings in routesim units (ms); names and defaults are Envoy's. */
function build() {
  const pct = z.number().min(0).max(100);
  const u32 = z.number().int().nonnegative();
  return z.strictObject({
    consecutive_5xx: u32.default(5).describe("0 = never"),
    enforcing_consecutive_5xx: pct.default(100),
    consecutive_gateway_failure: u32.default(5),
    enforcing_consecutive_gateway_failure: pct.default(0).describe("detected, not enforced, by default"),
    split_external_local_origin_errors: z.boolean().default(false),
    consecutive_local_origin_failure: u32.default(5),
    enforcing_consecutive_local_origin_failure: pct.default(100),
    interval_ms: z.number().positive().default(10_000),
    base_ejection_time_ms: z.number().positive().default(30_000),
    max_ejection_time_ms: z
      .number()
      .positive()
      .optional()
      .describe("default max(300000, base_ejection_time_ms); smaller than base is an error, as in Envoy"),
    max_ejection_time_jitter_ms: z.number().int().nonnegative().default(0),
    max_ejection_percent: pct.default(10),
    always_eject_one_host: z.boolean().default(false),
    success_rate_minimum_hosts: u32.default(5),
    success_rate_request_volume: u32.default(100),
    success_rate_stdev_factor: u32.default(1900).describe("thousandths: 1900 = 1.9 standard deviations"),
    enforcing_success_rate: pct.default(100),
    enforcing_local_origin_success_rate: pct.default(100),
    failure_percentage_threshold: pct.default(85),
    enforcing_failure_percentage: pct.default(0),
    enforcing_failure_percentage_local_origin: pct.default(0),
    failure_percentage_minimum_hosts: u32.default(5),
    failure_percentage_request_volume: u32.default(50),
    healthy_panic_threshold: pct
      .default(50)
      .describe("common_lb_config.healthy_panic_threshold; 0 = no panic"),
    overprovisioning_factor: z.number().int().positive().default(140).describe("load_assignment.policy"),
  });
}
let built: ReturnType<typeof build> | undefined;
/** The settings as an object schema (to extend), built on first use: most runs have no Envoy policy. */
export const detectorObject = (): ReturnType<typeof build> => (built ??= build());
export const DetectorOptions = z.lazy(detectorObject);
export type DetectorOptions = z.infer<ReturnType<typeof build>>;
