import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ManualClock, systemClock } from "../../../app/core/clock.js";
import { silentLogger } from "../../../app/core/logger.js";
import { claimJobs, completeJob, retryDeadJob } from "../../../app/core/outbox/claim.js";
import { cleanup } from "../../../app/core/maintenance.js";
import { enqueueJob } from "../../../app/core/outbox/enqueue.js";
import { processJob } from "../../../app/core/outbox/process.js";
import { OutboxPump } from "../../../app/core/outbox/pump.js";
import { JobRegistry } from "../../../app/core/outbox/registry.js";
import { PermanentError, RetryableError } from "../../../app/core/outbox/types.js";
import type { Db } from "../../../app/db/index.js";
import { outboxJobs, paceSlots, portals } from "../../../app/db/schema.js";
import { openDatabase } from "../../../worker/node-db.js";
import { backends, openTestDb, type TestDb } from "../../support/db.js";

const numbered = z.object({ n: z.number() });

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function countByStatus(db: Db, status: string): Promise<number> {
  const rows = await db.select({ id: outboxJobs.id }).from(outboxJobs).where(eq(outboxJobs.status, status as "done"));
  return rows.length;
}

describe.each(await backends())("outbox on %s", (backend) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.close();
  });
  const reset = () => t.db.execute(sql`truncate outbox_jobs, pace_slots, portals cascade`);

  it("a repeated enqueue with the same dedup key is a no-op returning the first job", async () => {
    await reset();
    const now = new Date();
    const a = await enqueueJob(t.db, { kind: "k", payload: { n: 1 }, dedupKey: "msg:1", maxAttempts: 3 }, now);
    const b = await enqueueJob(t.db, { kind: "k", payload: { n: 2 }, dedupKey: "msg:1", maxAttempts: 3 }, now);
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.job.id).toBe(a.job.id);
    expect(b.job.payload).toEqual({ n: 1 });
    expect(await countByStatus(t.db, "pending")).toBe(1);
  });

  it("enqueues in the caller's transaction: a rollback leaves neither row nor job", async () => {
    await reset();
    const now = new Date();
    await expect(
      t.db.transaction(async (tx) => {
        await tx.insert(portals).values({ crm: "bitrix24", externalId: "m1", domain: "x.bitrix24.ru" });
        await enqueueJob(tx, { kind: "k", payload: { n: 1 }, maxAttempts: 3 }, now);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect(await t.db.select().from(portals)).toHaveLength(0);
    expect(await t.db.select().from(outboxJobs)).toHaveLength(0);
  });

  it("2,000 jobs drained by two concurrent pumps are each handled exactly once", async () => {
    await reset();
    const now = new Date();
    await t.db.insert(outboxJobs).values(
      Array.from({ length: 2000 }, (_, i) => ({ kind: "count", payload: { n: i }, maxAttempts: 3, runAt: now })),
    );
    const seen = new Map<number, number>();
    const byPump = [0, 0];
    const second = t.url ? await openDatabase({ url: t.url, poolSize: 5 }) : undefined;
    const pumps = [t.db, second?.db ?? t.db].map((db, i) => {
      const registry = new JobRegistry().register("count", {
        schema: numbered,
        async handle(p) {
          seen.set(p.n, (seen.get(p.n) ?? 0) + 1);
          byPump[i]!++;
          await new Promise((r) => setTimeout(r, Math.random() * 2));
        },
      });
      return new OutboxPump({ db, registry, clock: systemClock, logger: silentLogger, pollMs: 10, batch: 25, concurrency: 8, leaseMs: 60_000 });
    });
    try {
      for (const p of pumps) p.start();
      await waitFor(async () => (await countByStatus(t.db, "done")) === 2000, 120_000);
    } finally {
      for (const p of pumps) await p.stop(1000);
      await second?.close();
    }
    expect(seen.size).toBe(2000);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(byPump[0]! + byPump[1]!).toBe(2000);
    expect(byPump[0]).toBeGreaterThan(0);
    expect(byPump[1]).toBeGreaterThan(0);
  });

  it("a failing handler is retried with growing delays and dead-lettered after the limit", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const deadCalls: string[] = [];
    const registry = new JobRegistry().register("flaky", {
      schema: numbered,
      async handle() {
        throw new Error("provider down");
      },
      async onDead(_p, error) {
        deadCalls.push(error);
      },
    });
    const deps = { db: t.db, registry, clock, logger: silentLogger, random: () => 0.5 };
    await enqueueJob(t.db, { kind: "flaky", payload: { n: 1 }, maxAttempts: 4 }, clock.now());

    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const [job] = await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 10 });
      expect(job?.attempts).toBe(attempt);
      expect(await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 10 })).toHaveLength(0);
      const outcome = await processJob(deps, job!);
      const [row] = await t.db.select().from(outboxJobs);
      if (attempt < 4) {
        expect(outcome).toBe("retry");
        expect(row!.status).toBe("pending");
        expect(row!.lastError).toBe("Error: provider down");
        const delay = row!.runAt.getTime() - clock.now().getTime();
        delays.push(delay);
        // not yet due just before its time
        clock.advance(delay - 1);
        expect(await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 10 })).toHaveLength(0);
        clock.advance(1);
      } else {
        expect(outcome).toBe("dead");
        expect(row!.status).toBe("dead");
        expect(row!.lastError).toBe("Error: provider down");
        expect(row!.finishedAt).toEqual(clock.now());
      }
    }
    // base 2 s, doubling, equal jitter at random=0.5 -> 1.5 s, 3 s, 6 s
    expect(delays).toEqual([1500, 3000, 6000]);
    expect(deadCalls).toEqual(["Error: provider down"]);
  });

  it("honours a provider's retry delay and dead-letters permanent errors at once", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const registry = new JobRegistry()
      .register("slow-down", {
        schema: numbered,
        async handle() {
          throw new RetryableError("429", 42_000);
        },
      })
      .register("hopeless", {
        schema: numbered,
        async handle() {
          throw new PermanentError("number has no WhatsApp", "no_messenger");
        },
      });
    const deps = { db: t.db, registry, clock, logger: silentLogger };
    await enqueueJob(t.db, { kind: "slow-down", payload: { n: 1 }, maxAttempts: 5 }, clock.now());
    await enqueueJob(t.db, { kind: "hopeless", payload: { n: 2 }, maxAttempts: 5 }, clock.now());
    await enqueueJob(t.db, { kind: "unknown-kind", payload: {}, maxAttempts: 5 }, clock.now());
    await enqueueJob(t.db, { kind: "hopeless", payload: { wrong: true }, maxAttempts: 5 }, clock.now());
    const jobs = await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 10 });
    const outcomes = Object.fromEntries(
      await Promise.all(jobs.map(async (j) => [`${j.kind}:${JSON.stringify(j.payload)}`, await processJob(deps, j)])),
    );
    expect(outcomes).toEqual({
      'slow-down:{"n":1}': "retry",
      'hopeless:{"n":2}': "dead",
      "unknown-kind:{}": "retry",
      'hopeless:{"wrong":true}': "dead",
    });
    const rows = await t.db.select().from(outboxJobs);
    const slow = rows.find((r) => r.kind === "slow-down")!;
    expect(slow.runAt.getTime() - clock.now().getTime()).toBe(42_000);
    expect(rows.find((r) => r.kind === "unknown-kind")!.lastError).toBe("no handler registered for job kind unknown-kind");
    expect(rows.find((r) => r.kind === "unknown-kind")!.status).toBe("pending");
    expect(rows.find((r) => (r.payload as { wrong?: boolean }).wrong)!.lastError).toMatch(/^invalid payload for hopeless/);
  });

  it("a job whose pump died is claimed again after its lease expires, and the stale holder cannot finish it", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    await enqueueJob(t.db, { kind: "k", payload: { n: 1 }, maxAttempts: 2 }, clock.now());
    const [first] = await claimJobs(t.db, { now: clock.now(), leaseMs: 30_000, limit: 5 });
    expect(first).toBeDefined();
    clock.advance(29_999);
    expect(await claimJobs(t.db, { now: clock.now(), leaseMs: 30_000, limit: 5 })).toHaveLength(0);
    clock.advance(1);
    const [second] = await claimJobs(t.db, { now: clock.now(), leaseMs: 30_000, limit: 5 });
    expect(second?.id).toBe(first!.id);
    expect(second?.attempts).toBe(2);
    expect(second?.leaseToken).not.toBe(first!.leaseToken);
    expect(await completeJob(t.db, first!, clock.now())).toBe(false);
    expect(await completeJob(t.db, second!, clock.now())).toBe(true);
    expect((await t.db.select().from(outboxJobs))[0]!.status).toBe("done");
  });

  it("a job that keeps killing its worker is dead-lettered instead of claimed forever", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    let ran = 0;
    const registry = new JobRegistry().register("k", {
      schema: numbered,
      async handle() {
        ran++;
      },
    });
    await enqueueJob(t.db, { kind: "k", payload: { n: 1 }, maxAttempts: 2 }, clock.now());
    for (let i = 0; i < 2; i++) {
      expect(await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 })).toHaveLength(1);
      clock.advance(1000);
    }
    const [third] = await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 });
    expect(await processJob({ db: t.db, registry, clock, logger: silentLogger }, third!)).toBe("dead");
    expect(ran).toBe(0);
    expect((await t.db.select().from(outboxJobs))[0]!.lastError).toMatch(/^lease expired after 2 attempts/);
  });

  it("pacing keeps the minimum interval per channel, one send at a time, while other channels proceed", async () => {
    await reset();
    const now = new Date();
    const pace = (key: string) => ({ key, minIntervalMs: 150, jitterMs: 40 });
    for (let i = 0; i < 4; i++) {
      await enqueueJob(t.db, { kind: "send", payload: { n: 100 + i }, pace: pace("channel:A"), maxAttempts: 3 }, now);
      await enqueueJob(t.db, { kind: "send", payload: { n: 200 + i }, pace: pace("channel:B"), maxAttempts: 3 }, now);
    }
    for (let i = 0; i < 6; i++) await enqueueJob(t.db, { kind: "send", payload: { n: 300 + i }, maxAttempts: 3 }, now);

    const runs: Array<{ n: number; claimedAt: number; start: number; end: number }> = [];
    const registry = new JobRegistry().register("send", {
      schema: numbered,
      async handle(p, ctx) {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 20));
        runs.push({ n: p.n, claimedAt: ctx.job.updatedAt.getTime(), start, end: Date.now() });
      },
    });
    const pump = new OutboxPump({ db: t.db, registry, clock: systemClock, logger: silentLogger, pollMs: 5, batch: 10, concurrency: 10, leaseMs: 60_000 });
    pump.start();
    try {
      await waitFor(async () => (await countByStatus(t.db, "done")) === 14);
    } finally {
      await pump.stop(1000);
    }
    const channel = (base: number) => runs.filter((r) => r.n >= base && r.n < base + 100).sort((a, b) => a.n - b.n);
    for (const base of [100, 200]) {
      const list = channel(base);
      expect(list.map((r) => r.n)).toEqual([base, base + 1, base + 2, base + 3]);
      for (let i = 1; i < list.length; i++) {
        expect(list[i]!.claimedAt - list[i - 1]!.claimedAt).toBeGreaterThanOrEqual(150);
        expect(list[i]!.start).toBeGreaterThanOrEqual(list[i - 1]!.end);
      }
    }
    // other channels and unpaced jobs are not held back by channel A's pacing
    const lastA = channel(100).at(-1)!;
    expect(channel(200)[0]!.start).toBeLessThan(lastA.start);
    expect(Math.max(...channel(300).map((r) => r.start))).toBeLessThan(lastA.start);
  });

  it("stop() lets in-flight jobs finish until the deadline; a job still running keeps its lease, so nobody sends it twice", async () => {
    await reset();
    let release!: () => void;
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    let stuckRuns = 0;
    const registry = new JobRegistry()
      .register("quick", { schema: numbered, async handle() {} })
      .register("stuck", {
        schema: numbered,
        async handle() {
          stuckRuns++;
          await blocked;
        },
      });
    await enqueueJob(t.db, { kind: "stuck", payload: { n: 1 }, maxAttempts: 3 }, new Date());
    await enqueueJob(t.db, { kind: "quick", payload: { n: 2 }, maxAttempts: 3 }, new Date());
    const pump = new OutboxPump({ db: t.db, registry, clock: systemClock, logger: silentLogger, pollMs: 5, batch: 10, concurrency: 4, leaseMs: 60_000 });
    pump.start();
    await waitFor(async () => (await countByStatus(t.db, "done")) === 1 && pump.inflightCount === 1);
    expect(await pump.stop(50)).toEqual({ finished: 0, stillRunning: 1 });
    // another process finds nothing to claim while the first still holds the lease
    expect(await claimJobs(t.db, { now: new Date(), leaseMs: 60_000, limit: 10 })).toHaveLength(0);
    release();
    await waitFor(async () => (await countByStatus(t.db, "done")) === 2);
    expect(stuckRuns).toBe(1);
  });

  it("a stale holder finishing late does not free the pace slot of the job's new holder", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const pace = { key: "channel:S", minIntervalMs: 0, jitterMs: 0 };
    await enqueueJob(t.db, { kind: "k", payload: { n: 1 }, pace, maxAttempts: 5 }, clock.now());
    await enqueueJob(t.db, { kind: "k", payload: { n: 2 }, pace, maxAttempts: 5, runAt: new Date(clock.now().getTime() + 1) }, clock.now());
    const [stale] = await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 });
    clock.advance(1000);
    const [fresh] = await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 5 });
    expect(fresh!.id).toBe(stale!.id);
    expect(await completeJob(t.db, stale!, clock.now())).toBe(false);
    // the channel is still busy with the re-claimed job: its second job must wait
    expect(await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 5 })).toHaveLength(0);
    expect(await completeJob(t.db, fresh!, clock.now())).toBe(true);
    const [second] = await claimJobs(t.db, { now: clock.now(), leaseMs: 60_000, limit: 5 });
    expect(second!.payload).toEqual({ n: 2 });
  });

  it("an admin retry of a dead paced job brings it back even after maintenance dropped idle slots", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const registry = new JobRegistry().register("doomed", {
      schema: numbered,
      async handle() {
        throw new PermanentError("no");
      },
    });
    await enqueueJob(t.db, { kind: "doomed", payload: { n: 1 }, pace: { key: "channel:D", minIntervalMs: 0, jitterMs: 0 }, maxAttempts: 3 }, clock.now());
    const [job] = await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 });
    expect(await processJob({ db: t.db, registry, clock, logger: silentLogger }, job!)).toBe("dead");
    clock.advance(3 * 24 * 3600_000);
    await cleanup(t.db, clock.now());
    await t.db.delete(paceSlots); // even if the slot went missing
    expect(await retryDeadJob(t.db, job!.id, clock.now())).toMatchObject({ status: "pending", attempts: 0 });
    expect(await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 })).toHaveLength(1);
  });

  it("a job kind this version does not know waits for a newer process instead of dying at once", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    await enqueueJob(t.db, { kind: "from.the.future", payload: {}, maxAttempts: 3 }, clock.now());
    const [job] = await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 });
    expect(await processJob({ db: t.db, registry: new JobRegistry(), clock, logger: silentLogger }, job!)).toBe("retry");
  });

  it("a job whose lease ran out before it started is not run", async () => {
    await reset();
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    let ran = 0;
    const registry = new JobRegistry().register("k", {
      schema: numbered,
      async handle() {
        ran++;
      },
    });
    await enqueueJob(t.db, { kind: "k", payload: { n: 1 }, maxAttempts: 3 }, clock.now());
    const [job] = await claimJobs(t.db, { now: clock.now(), leaseMs: 1000, limit: 5 });
    clock.advance(1000);
    expect(await processJob({ db: t.db, registry, clock, logger: silentLogger }, job!)).toBe("lost");
    expect(ran).toBe(0);
  });
});
