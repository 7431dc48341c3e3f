import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { systemClock } from "../../../app/core/clock.js";
import { silentLogger } from "../../../app/core/logger.js";
import { claimJobs } from "../../../app/core/outbox/claim.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { processJob } from "../../../app/core/outbox/process.js";
import { JobRegistry } from "../../../app/core/outbox/registry.js";
import type { Db } from "../../../app/db/index.js";
import { outboxJobs } from "../../../app/db/schema.js";
import { openTestDb, type TestDb } from "../../support/db.js";

/** The Db with its writes failing as a cut connection fails while `down` holds. */
function flaky(db: Db, state: { down: boolean; refused: number }): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (prop !== "update" || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (state.down) {
          state.refused += 1;
          throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe("a job's outcome while the database is away", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb("pglite");
  });
  afterAll(async () => {
    await t?.close();
  });

  it("is written when the database is back, not left running until the lease runs out", async () => {
    const registry = new JobRegistry().register("work", { schema: z.object({}), async handle() {} });
    await enqueueJob(t.db, { kind: "work", payload: {}, maxAttempts: 3 }, new Date());
    const [job] = await claimJobs(t.db, { now: new Date(), leaseMs: 60_000, limit: 1 });
    const state = { down: true, refused: 0 };
    setTimeout(() => {
      state.down = false;
    }, 700);
    const outcome = await processJob({ db: flaky(t.db, state), registry, clock: systemClock, logger: silentLogger }, job!);
    expect(outcome).toBe("done");
    expect(state.refused).toBeGreaterThan(1);
    const [row] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.id, job!.id));
    expect(row!.status).toBe("done");
  });

  it("gives up before the lease ends, so another process may take the job", async () => {
    const registry = new JobRegistry().register("work2", { schema: z.object({}), async handle() {} });
    await enqueueJob(t.db, { kind: "work2", payload: {}, maxAttempts: 3 }, new Date());
    const [job] = await claimJobs(t.db, { now: new Date(), leaseMs: 1_800, limit: 1 });
    const state = { down: true, refused: 0 };
    const started = Date.now();
    const err = await processJob({ db: flaky(t.db, state), registry, clock: systemClock, logger: silentLogger }, job!).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "ECONNREFUSED" });
    expect(Date.now() - started).toBeLessThan(1_800);
  });
});
