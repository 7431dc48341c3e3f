import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../app/core/clock.js";
import { cleanup, DEFAULT_RETENTION, MAINTENANCE_JOB, scheduleMaintenance } from "../../app/core/maintenance.js";
import { MemoryFileStore } from "../../app/core/memory-file-store.js";
import { enqueueJob } from "../../app/core/outbox/enqueue.js";
import { processDue } from "../../app/core/outbox/pump.js";
import { files, messages, outboxJobs } from "../../app/db/schema.js";
import type { AppDeps } from "../../app/deps.js";
import { buildRegistry } from "../../app/jobs.js";
import { seedChannel } from "../support/channels.js";
import { backends, openTestDb, type TestDb } from "../support/db.js";
import { testConfig, testDeps } from "../support/deps.js";

const DAY = 24 * 3600_000;

describe.each(await backends())("maintenance retention on %s", (backend) => {
  let t: TestDb;
  let deps: AppDeps;
  let store: MemoryFileStore;
  let channelId: string;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const ago = (days: number) => new Date(clock.now().getTime() - days * DAY);

  beforeAll(async () => {
    t = await openTestDb(backend);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.db.execute(sql`truncate outbox_jobs, files, portals cascade`);
    store = new MemoryFileStore();
    deps = { ...(await testDeps(t.db, { clock })), files: store };
    ({ channel: { id: channelId } } = await seedChannel(deps, "wappi", { apiToken: "t", profileId: "p" }));
  });

  async function message(days: number, tag: string): Promise<string> {
    const [row] = await t.db
      .insert(messages)
      .values({ channelId, direction: "in", origin: "provider", peer: "79990001122", body: tag, dedupKey: `${tag}:${crypto.randomUUID()}`, createdAt: ago(days) })
      .returning({ id: messages.id });
    return row!.id;
  }

  async function file(days: number, tag: string, expiresInDays?: number): Promise<string> {
    const key = `files/${tag}`;
    await store.put(key, new Uint8Array([1, 2, 3]), { mime: "image/png" });
    const [row] = await t.db
      .insert(files)
      .values({
        storageKey: key,
        name: `${tag}.png`,
        mime: "image/png",
        size: 3,
        sha256: "x",
        createdAt: ago(days),
        ...(expiresInDays !== undefined ? { expiresAt: new Date(clock.now().getTime() + expiresInDays * DAY) } : {}),
      })
      .returning({ id: files.id });
    return row!.id;
  }

  async function job(status: "pending" | "done" | "dead", finishedDaysAgo: number | null): Promise<string> {
    const { job: row } = await enqueueJob(t.db, { kind: "test.kind", payload: {}, maxAttempts: 3 }, ago(finishedDaysAgo ?? 0));
    await t.db
      .update(outboxJobs)
      .set({ status, finishedAt: finishedDaysAgo === null ? null : ago(finishedDaysAgo) })
      .where(eq(outboxJobs.id, row.id));
    return row.id;
  }

  it("deletes messages, files (row and object) and dead letters past their retention, and keeps the rest", async () => {
    const oldMsg = await message(181, "old");
    const newMsg = await message(179, "new");
    const oldFile = await file(31, "old", 365);
    const newFile = await file(29, "new", 365);
    const expiredFile = await file(1, "expired", -1);
    const oldDead = await job("dead", 31);
    const newDead = await job("dead", 29);
    const oldDone = await job("done", 8);
    const oldPending = await job("pending", null);

    const removed = await cleanup(t.db, clock.now(), store, DEFAULT_RETENTION);
    expect(removed).toMatchObject({ messages: 1, files: 2, deadJobs: 1, jobs: 1 });

    const msgIds = (await t.db.select({ id: messages.id }).from(messages).where(inArray(messages.id, [oldMsg, newMsg]))).map((r) => r.id);
    expect(msgIds).toEqual([newMsg]);
    const fileIds = (await t.db.select({ id: files.id }).from(files)).map((r) => r.id);
    expect(fileIds).toEqual([newFile]);
    expect(fileIds).not.toContain(oldFile);
    expect(fileIds).not.toContain(expiredFile);
    expect(await store.get("files/old")).toBeNull();
    expect(await store.get("files/expired")).toBeNull();
    expect(await store.get("files/new")).not.toBeNull();
    const jobIds = (await t.db.select({ id: outboxJobs.id }).from(outboxJobs)).map((r) => r.id).sort();
    expect(jobIds).toEqual([newDead, oldPending].sort());
    expect(jobIds).not.toContain(oldDead);
    expect(jobIds).not.toContain(oldDone);
  });

  it("deletes in bounded batches: a big backlog is spread over runs", async () => {
    for (let i = 0; i < 5; i++) await message(400, `bulk${i}`);
    const first = await cleanup(t.db, clock.now(), store, DEFAULT_RETENTION, { size: 2, maxBatches: 2 });
    expect(first.messages).toBe(4);
    const second = await cleanup(t.db, clock.now(), store, DEFAULT_RETENTION, { size: 2, maxBatches: 2 });
    expect(second.messages).toBe(1);
    const third = await cleanup(t.db, clock.now(), store, DEFAULT_RETENTION, { size: 2, maxBatches: 2 });
    expect(third.messages).toBe(0);
  });

  it("the hourly maintenance job applies the RETENTION_* variables", async () => {
    const config = testConfig({ RETENTION_MESSAGES_DAYS: "7", RETENTION_FILES_DAYS: "2", RETENTION_DEAD_JOBS_DAYS: "3" });
    const jobDeps = { ...deps, config };
    const kept = await message(6, "kept");
    await message(8, "gone");
    await file(3, "gone", 365);
    const keptFile = await file(1, "kept", 365);
    await job("dead", 4);
    await scheduleMaintenance(t.db, clock.now());
    await processDue({ db: t.db, registry: buildRegistry(jobDeps), clock, logger: jobDeps.logger, batch: 10, concurrency: 2, leaseMs: 60_000 });
    const [maintenance] = await t.db.select().from(outboxJobs).where(eq(outboxJobs.kind, MAINTENANCE_JOB));
    expect(maintenance?.status).toBe("done");
    expect((await t.db.select({ id: messages.id }).from(messages)).map((r) => r.id)).toEqual([kept]);
    expect((await t.db.select({ id: files.id }).from(files)).map((r) => r.id)).toEqual([keptFile]);
    expect(await t.db.select().from(outboxJobs).where(eq(outboxJobs.status, "dead"))).toHaveLength(0);
  });
});
