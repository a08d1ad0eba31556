/**
 * LiteLLM's spend logs read straight from a real PostgreSQL (issue 26): a throwaway cluster holds
 * a `LiteLLM_SpendLogs` table with the column types Prisma gives LiteLLM's schema, and
 * `calibrate --from postgres://…` must give the same endpoints as the CSV export of the same rows,
 * reading them in keyset pages. `npm run test:postgres` (CI installs postgresql when absent).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { liteLLMPostgres } from "../../src/logs/litellm.js";
import { runCli } from "../support/cli.js";
import { generateCalls, spendLogRow, spendLogsCsv } from "../support/logs.js";
import { type Cluster, startCluster } from "../support/postgres.js";

// schema.prisma (BerriAI/litellm 029f645) as Prisma creates it: String → TEXT, Int → INTEGER,
// Float → DOUBLE PRECISION, DateTime → TIMESTAMP(3), Json → JSONB.
const DDL = `CREATE TABLE "LiteLLM_SpendLogs" (
  "request_id" TEXT NOT NULL, "call_type" TEXT NOT NULL, "api_key" TEXT NOT NULL DEFAULT '',
  "spend" DOUBLE PRECISION NOT NULL DEFAULT 0.0, "total_tokens" INTEGER NOT NULL DEFAULT 0,
  "prompt_tokens" INTEGER NOT NULL DEFAULT 0, "completion_tokens" INTEGER NOT NULL DEFAULT 0,
  "startTime" TIMESTAMP(3) NOT NULL, "endTime" TIMESTAMP(3) NOT NULL, "request_duration_ms" INTEGER,
  "completionStartTime" TIMESTAMP(3), "model" TEXT NOT NULL DEFAULT '', "model_id" TEXT DEFAULT '',
  "model_group" TEXT DEFAULT '', "custom_llm_provider" TEXT DEFAULT '', "api_base" TEXT DEFAULT '',
  "user" TEXT DEFAULT '', "metadata" JSONB DEFAULT '{}', "cache_hit" TEXT DEFAULT '',
  "cache_key" TEXT DEFAULT '', "request_tags" JSONB DEFAULT '[]', "team_id" TEXT,
  "organization_id" TEXT, "end_user" TEXT, "requester_ip_address" TEXT,
  "messages" JSONB DEFAULT '{}', "response" JSONB DEFAULT '{}', "session_id" TEXT, "status" TEXT,
  "mcp_namespaced_tool_name" TEXT, "agent_id" TEXT, "proxy_server_request" JSONB DEFAULT '{}',
  CONSTRAINT "LiteLLM_SpendLogs_pkey" PRIMARY KEY ("request_id"));
CREATE INDEX "LiteLLM_SpendLogs_startTime_request_id_idx" ON "LiteLLM_SpendLogs"("startTime", "request_id");`;

const calls = generateCalls();
const dir = mkdtempSync(join(tmpdir(), "routesim-pglogs-"));
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
  const client = new pg.Client({ connectionString: cluster.url });
  await client.connect();
  try {
    await client.query(DDL);
    const rows = calls.map(spendLogRow);
    const cols = Object.keys(rows[0]);
    for (let i = 0; i < rows.length; i += 500) {
      const chunk = rows.slice(i, i + 500);
      const values: unknown[] = [];
      const tuples = chunk.map((r, j) => {
        for (const c of cols) values.push(r[c]);
        return `(${cols.map((_c, k) => `$${j * cols.length + k + 1}`).join(", ")})`;
      });
      await client.query(
        `INSERT INTO "LiteLLM_SpendLogs" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")}`,
        values,
      );
    }
  } finally {
    await client.end();
  }
}, 120_000);

afterAll(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("LiteLLM spend logs from PostgreSQL", () => {
  it("reads every row once, in start order, across keyset pages", async () => {
    const skipped = { not_chat: 0, cache_hit: 0 };
    const got: number[] = [];
    for await (const r of liteLLMPostgres(cluster.url, skipped, 700).records()) got.push(r.startMs);
    expect(got).toHaveLength(calls.length);
    expect(got).toEqual([...calls.map((c) => Math.trunc(c.startMs))].sort((a, b) => a - b));
  });

  it("calibrates the same endpoints as the CSV export of the same rows", async () => {
    const csv = join(dir, "spend.csv");
    writeFileSync(csv, spendLogsCsv(calls));
    const fromCsv = join(dir, "csv", "s.yaml");
    const fromDb = join(dir, "db", "s.yaml");
    expect((await runCli(["calibrate", "--from", csv, "--format", "litellm", "--out", fromCsv])).code).toBe(
      0,
    );
    const r = await runCli(["calibrate", "--from", cluster.url, "--out", fromDb]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const a = parse(readFileSync(fromCsv, "utf8"));
    const b = parse(readFileSync(fromDb, "utf8"));
    expect(b.providers).toEqual(a.providers);
    expect(b.policies).toEqual(a.policies);
    expect(readFileSync(join(dir, "db", "s.trace.csv"), "utf8")).toBe(
      readFileSync(join(dir, "csv", "s.trace.csv"), "utf8"),
    );
  });

  it("a wrong database or table exits 2 without echoing the password", async () => {
    const bad = cluster.url.replace("postgres@", "postgres:hunter2@").replace(/\/postgres$/, "/nope");
    const r = await runCli(["calibrate", "--from", bad, "--out", join(dir, "bad", "s.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("postgres:***@");
    expect(r.stderr).not.toContain("hunter2");
  });
});
