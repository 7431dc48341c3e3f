import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { claimJobs } from "../../../app/core/outbox/claim.js";
import { CompletionBatcher, completeJobs } from "../../../app/core/outbox/completions.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { outboxJobs, paceSlots } from "../../../app/db/schema.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";

describe.each(await backends())("batched job completions on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.execute(sql`truncate outbox_jobs, pace_slots`);
  });

  async function claimed(n: number, paced: boolean) {
    const now = new Date();
    for (let i = 0; i < n; i++) {
      await enqueueJob(
        t.db,
        { kind: "k", payload: { i }, dedupKey: `c:${i}`, maxAttempts: 3, ...(paced ? { pace: { key: `channel:${i}`, minIntervalMs: 0, jitterMs: 0 } } : {}) },
        new Date(now.getTime() - 1000),
      );
    }
    return claimJobs(t.db, { now, leaseMs: 60_000, limit: n });
  }

  it("completes every held job of a batch in one statement and frees their pace slots", async () => {
    const jobs = await claimed(4, true);
    expect(jobs).toHaveLength(4);
    const held = await completeJobs(t.db, jobs, new Date());
    expect([...held].sort()).toEqual(jobs.map((j) => j.id).sort());
    const rows = await t.db.select().from(outboxJobs);
    expect(rows.every((r) => r.status === "done" && r.leaseToken === null && r.finishedAt !== null)).toBe(true);
    const slots = await t.db.select().from(paceSlots);
    expect(slots.map((s) => s.busyJobId)).toEqual([null, null, null, null]);
  });

  it("a job whose lease another claimer holds now is left alone, and its slot stays with that holder", async () => {
    const [first, second] = await claimed(2, true);
    // the lease of `first` ran out and another process took it: its token changed
    await t.db.update(outboxJobs).set({ leaseToken: crypto.randomUUID() }).where(eq(outboxJobs.id, first!.id));
    const held = await completeJobs(t.db, [first!, second!], new Date());
    expect([...held]).toEqual([second!.id]);
    const [stillRunning] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.id, first!.id));
    expect(stillRunning!.status).toBe("running");
    const [slot] = await t.db.select().from(paceSlots).where(eq(paceSlots.key, first!.paceKey!));
    expect(slot!.busyJobId).toBe(first!.id);
  });

  it("the batcher answers each caller with its own job's outcome, completions made together going out together", async () => {
    const jobs = await claimed(6, false);
    const batcher = new CompletionBatcher(t.db, 4);
    const stale = jobs[5]!;
    await t.db.update(outboxJobs).set({ leaseToken: crypto.randomUUID() }).where(eq(outboxJobs.id, stale.id));
    const answers = await Promise.all(jobs.map((j) => batcher.complete(j, new Date())));
    expect(answers).toEqual([true, true, true, true, true, false]);
    const done = await t.db.select().from(outboxJobs).where(eq(outboxJobs.status, "done"));
    expect(done).toHaveLength(5);
  });

  it("a failed statement fails every caller of its batch, so each can retry within its lease", async () => {
    const jobs = await claimed(2, false);
    const broken = new CompletionBatcher({ execute: () => Promise.reject(new Error("connection terminated")) } as never);
    const results = await Promise.allSettled(jobs.map((j) => broken.complete(j, new Date())));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
