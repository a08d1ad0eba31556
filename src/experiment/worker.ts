/**
 * Worker-thread entry of a comparison's replications: serves the pool's jobs with runReplication
 * and draws charts when asked (pool/serve.ts does the serving). Also part of the CLI's bundle
 * (src/bundle.ts), where it does nothing outside a runner thread.
 */
import { serveJobs } from "../pool/serve.js";
import { REPLICATIONS } from "./jobs.js";

serveJobs(REPLICATIONS);
