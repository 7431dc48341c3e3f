import { and, asc, eq, exists, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Db } from "../../db/index.js";
import { outboxJobs, paceSlots } from "../../db/schema.js";
import type { Job } from "./types.js";

export interface ClaimOptions {
  now: Date;
  leaseMs: number;
  limit: number;
  random?: () => number;
}

/** A job is due when it is pending and its time has come, or when its holder's lease ran out. */
function dueJobs(now: Date) {
  return or(
    and(eq(outboxJobs.status, "pending"), lte(outboxJobs.runAt, now)),
    and(eq(outboxJobs.status, "running"), lte(outboxJobs.leaseUntil, now)),
  );
}

/**
 * Claims up to `limit` due jobs for this caller, safe with any number of concurrent pumps on
 * any number of machines: rows are locked with FOR UPDATE SKIP LOCKED so two claimers never
 * take the same job, and each claim gets a fresh lease token that completion must present.
 *
 * Paced jobs (same pace key = same channel) go one at a time: a slot is claimable only when
 * its next send time has come and no job of it is in flight; claiming moves the next send
 * time forward by the minimum interval plus random jitter, so an unofficial WhatsApp number
 * never sends in bursts, while other channels' jobs proceed.
 */
export async function claimJobs(db: Db, opts: ClaimOptions): Promise<Job[]> {
  const { now, leaseMs, limit } = opts;
  const random = opts.random ?? Math.random;
  const leaseUntil = new Date(now.getTime() + leaseMs);
  const leaseToken = crypto.randomUUID();
  const claimedSet = {
    status: "running" as const,
    attempts: sql`${outboxJobs.attempts} + 1`,
    leaseToken,
    leaseUntil,
    updatedAt: now,
  };

  return db.transaction(async (tx) => {
    const free = tx
      .select({ id: outboxJobs.id })
      .from(outboxJobs)
      .where(and(isNull(outboxJobs.paceKey), dueJobs(now)))
      .orderBy(asc(outboxJobs.runAt))
      .limit(limit)
      .for("update", { skipLocked: true });
    const claimed = await tx.update(outboxJobs).set(claimedSet).where(inArray(outboxJobs.id, free)).returning();
    if (claimed.length >= limit) return claimed;

    const slots = await tx
      .select({ key: paceSlots.key, minIntervalMs: paceSlots.minIntervalMs, jitterMs: paceSlots.jitterMs })
      .from(paceSlots)
      .where(
        and(
          lte(paceSlots.nextAt, now),
          or(isNull(paceSlots.busyJobId), lte(paceSlots.busyUntil, now)),
          exists(
            tx
              .select({ one: sql`1` })
              .from(outboxJobs)
              .where(and(eq(outboxJobs.paceKey, paceSlots.key), dueJobs(now))),
          ),
        ),
      )
      .orderBy(asc(paceSlots.nextAt))
      .limit(limit - claimed.length)
      .for("update", { of: paceSlots, skipLocked: true });

    for (const slot of slots) {
      const [next] = await tx
        .select({ id: outboxJobs.id })
        .from(outboxJobs)
        .where(and(eq(outboxJobs.paceKey, slot.key), dueJobs(now)))
        // oldest first among the due: after a hold the throttled message goes before the later ones
        .orderBy(asc(outboxJobs.createdAt), asc(outboxJobs.runAt))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!next) continue;
      const [job] = await tx.update(outboxJobs).set(claimedSet).where(eq(outboxJobs.id, next.id)).returning();
      if (!job) continue;
      const gap = slot.minIntervalMs + Math.round(random() * slot.jitterMs);
      await tx
        .update(paceSlots)
        .set({ nextAt: new Date(now.getTime() + gap), busyJobId: job.id, busyUntil: leaseUntil })
        .where(eq(paceSlots.key, slot.key));
      claimed.push(job);
    }
    return claimed;
  });
}

/**
 * Frees the job's pace slot so the channel's next job may go once its interval has passed, or
 * not before `holdUntil` (the provider throttled the channel): the hold lives on the shared
 * slot row, so every process's claim honours it.
 */
async function freeSlot(db: Db, job: Job, holdUntil?: Date): Promise<void> {
  if (!job.paceKey) return;
  await db
    .update(paceSlots)
    .set({
      busyJobId: null,
      busyUntil: null,
      ...(holdUntil ? { nextAt: sql`greatest(${paceSlots.nextAt}, ${holdUntil.toISOString()}::timestamptz)` } : {}),
    })
    .where(and(eq(paceSlots.key, job.paceKey), eq(paceSlots.busyJobId, job.id)));
}

/** Ownership check: only the holder of the current lease may finish a job. */
function heldBy(job: Job) {
  return and(eq(outboxJobs.id, job.id), eq(outboxJobs.status, "running"), eq(outboxJobs.leaseToken, job.leaseToken!));
}

type JobUpdate = PgUpdateSetSource<typeof outboxJobs>;

/**
 * Applies a final or retry update if this caller still holds the lease, and frees the pace
 * slot with it. Unpaced jobs need one statement, so they skip the transaction.
 */
async function finish(db: Db, job: Job, set: JobUpdate, holdUntil?: Date): Promise<boolean> {
  const apply = async (q: Db) => {
    const rows = await q
      .update(outboxJobs)
      .set({ leaseToken: null, leaseUntil: null, ...set })
      .where(heldBy(job))
      .returning({ id: outboxJobs.id });
    // a stale holder must not free the slot its job's new holder now occupies
    if (rows.length === 0) return false;
    await freeSlot(q, job, holdUntil);
    return true;
  };
  return job.paceKey ? db.transaction(apply) : apply(db);
}

/** Marks a claimed job done. False when the lease was lost (expired and re-claimed elsewhere). */
export function completeJob(db: Db, job: Job, now: Date): Promise<boolean> {
  return finish(db, job, { status: "done", lastError: null, updatedAt: now, finishedAt: now });
}

/**
 * Schedules another attempt at `runAt`, keeping the error. With `holdPace` no other job of the
 * same pace key (channel) is claimed before `runAt` either.
 */
export function retryJobLater(
  db: Db,
  job: Job,
  error: string,
  runAt: Date,
  now: Date,
  opts: { holdPace?: boolean } = {},
): Promise<boolean> {
  return finish(db, job, { status: "pending", runAt, lastError: error, updatedAt: now }, opts.holdPace ? runAt : undefined);
}

/** Moves a job to the dead letter with its last error; it stays visible and can be retried by an admin. */
export function deadLetterJob(db: Db, job: Job, error: string, now: Date): Promise<boolean> {
  return finish(db, job, { status: "dead", lastError: error, updatedAt: now, finishedAt: now });
}

/** Puts a dead job back in the queue with a fresh attempt budget (admin "retry"). */
export async function retryDeadJob(db: Db, id: string, now: Date): Promise<Job | undefined> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(outboxJobs)
      .set({ status: "pending", attempts: 0, runAt: now, lastError: null, finishedAt: null, updatedAt: now })
      .where(and(eq(outboxJobs.id, id), eq(outboxJobs.status, "dead")))
      .returning();
    // paced jobs are claimed through their slot; maintenance may have dropped an idle one
    if (job?.paceKey) {
      await tx
        .insert(paceSlots)
        .values({ key: job.paceKey, minIntervalMs: 0, jitterMs: 0, nextAt: now })
        .onConflictDoNothing({ target: paceSlots.key });
    }
    return job;
  });
}
