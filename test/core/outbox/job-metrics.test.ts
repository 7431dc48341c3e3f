import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ManualClock, systemClock } from "../../../app/core/clock.js";
import type { Logger } from "../../../app/core/logger.js";
import { MemoryMetrics } from "../../../app/core/metrics.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { OutboxPump, processDue } from "../../../app/core/outbox/pump.js";
import { JobRegistry } from "../../../app/core/outbox/registry.js";
import { PermanentError } from "../../../app/core/outbox/types.js";
import { silentLogger } from "../../../app/core/logger.js";
import { openTestDb, type TestDb } from "../../support/db.js";

describe("job outcomes, ids in log lines, pump heartbeat", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb("pglite");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("counts chatbridge_jobs_total by kind and outcome; a job's lines carry its id and the request that created it", async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const lines: Array<{ msg: string; fields?: Record<string, unknown> }> = [];
    const capture = (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, ...(fields ? { fields } : {}) });
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    const registry = new JobRegistry()
      .register("t.ok", { schema: z.object({}), handle: async (_p, ctx) => ctx.logger.info("working") })
      .register("t.flaky", { schema: z.object({}), handle: async () => Promise.reject(new Error("later")) })
      .register("t.broken", { schema: z.object({}), handle: async () => Promise.reject(new PermanentError("never")) });
    const now = clock.now();
    const { job: ok } = await enqueueJob(t.db, { kind: "t.ok", payload: {}, maxAttempts: 3, requestId: "req-42" }, now);
    await enqueueJob(t.db, { kind: "t.flaky", payload: {}, maxAttempts: 3 }, now);
    await enqueueJob(t.db, { kind: "t.broken", payload: {}, maxAttempts: 3 }, now);
    const metrics = new MemoryMetrics();
    await processDue({ db: t.db, registry, clock, logger, metrics, batch: 10, concurrency: 3, leaseMs: 60_000 });
    expect(metrics.value("chatbridge_jobs_total", { kind: "t.ok", outcome: "done" })).toBe(1);
    expect(metrics.value("chatbridge_jobs_total", { kind: "t.flaky", outcome: "retry" })).toBe(1);
    expect(metrics.value("chatbridge_jobs_total", { kind: "t.broken", outcome: "dead" })).toBe(1);
    expect(lines.find((l) => l.msg === "working")?.fields).toMatchObject({ job: ok.id, request_id: "req-42" });
    expect(ok.requestId).toBe("req-42");
  });

  it("the pump records when its last tick ran (for /health/ready)", async () => {
    const pump = new OutboxPump({ db: t.db, registry: new JobRegistry(), clock: systemClock, logger: silentLogger, pollMs: 10, batch: 5, concurrency: 2, leaseMs: 60_000 });
    expect(pump.lastTickAt).toBeUndefined();
    pump.start();
    await pump.idle();
    expect(Date.now() - pump.lastTickAt!.getTime()).toBeLessThan(5000);
    await pump.stop(100);
  });
});
