import type { ExecutionContext } from "@cloudflare/workers-types";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker, { type WorkerEnv } from "../../worker/cloudflare.js";
import { TEST_ENCRYPTION_KEY } from "../support/deps.js";

const ctx = { waitUntil: () => {}, passThroughOnException: () => {} } as unknown as ExecutionContext;
const queue = { send: async () => {}, sendBatch: async () => {} };
const bucket = { get: async () => null, put: async () => null, delete: async () => {} };

/** A misconfigured deployment must say so in its log and answer 503, not crash per request. */
describe("Workers entry with a broken configuration", () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ["no ENCRYPTION_KEY secret", { DATABASE_URL: "postgres://db/x", JOBS: queue, FILES: bucket }, /ENCRYPTION_KEY/],
    ["no database", { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, JOBS: queue, FILES: bucket }, /DATABASE_URL/],
    ["no Queue binding", { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, DATABASE_URL: "postgres://db/x", FILES: bucket }, /JOBS/],
    ["no R2 binding", { ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, DATABASE_URL: "postgres://db/x", JOBS: queue }, /FILES/],
  ])("%s: 503 with the JSON error shape and a log line naming the problem", async (_case, env, named) => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void logged.push(line));
    const res = await worker.fetch(new Request("http://w/health"), env as unknown as WorkerEnv, ctx);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ok: false, error: "unavailable" });
    expect(logged.join("\n")).toMatch(named);
  });
});
