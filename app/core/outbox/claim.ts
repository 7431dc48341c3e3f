import { and, eq, type SQL, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { hotStatement } from "../../db/hot-statement.js";
import { type Db, fromDriverRow, queryRows } from "../../db/index.js";
import { outboxJobs, paceSlots } from "../../db/schema.js";
import type { Job } from "./types.js";

export interface ClaimOptions {
  now: Date;
  leaseMs: number;
  limit: number;
  random?: () => number;
}

/**
 * A job is due when it is pending and its time has come, or when its holder's lease ran out.
 * `table` is how the statement names outbox_jobs (the paced claim aliases it `j`).
 */
function dueJobs(at: SQL, table = "outbox_jobs"): SQL {
  const t = sql.raw(table);
  return sql`((${t}.status = 'pending' and ${t}.run_at <= ${at}::timestamptz) or (${t}.status = 'running' and ${t}.lease_until <= ${at}::timestamptz))`;
}

/** The unpaced due jobs, oldest first, locked (SKIP LOCKED) and claimed. */
const claimFree = hotStatement<"lease" | "lease_at" | "at" | "limit">(
  "claim_free",
  (p) => sql`update outbox_jobs set status = 'running', attempts = outbox_jobs.attempts + 1,
      lease_token = ${p("lease")}::uuid, lease_until = ${p("lease_at")}::timestamptz, updated_at = ${p("at")}::timestamptz
    where id in (
      select id from outbox_jobs
      where pace_key is null and ${dueJobs(p("at"))}
      order by run_at
      limit ${p("limit")}::int
      for update skip locked)
    returning *`,
);

/**
 * Paced jobs in one statement, whatever the batch: the slots that may send now (locked, so no
 * other claimer takes them), the oldest due job of each, the claim, and each slot's next send
 * time and holder.
 */
const claimPaced = hotStatement<"lease" | "lease_at" | "at" | "limit" | "draws">(
  "claim_paced",
  (p) => {
    const due = dueJobs(p("at"), "j");
    return sql`with slots as (
          select key, min_interval_ms, jitter_ms, next_at
          from pace_slots
          where next_at <= ${p("at")}::timestamptz
            and (busy_job_id is null or busy_until <= ${p("at")}::timestamptz)
            and exists (select 1 from outbox_jobs j where j.pace_key = pace_slots.key and ${due})
          order by next_at
          limit ${p("limit")}::int
          for update of pace_slots skip locked
        ),
        picked as (
          select s.key, s.min_interval_ms, s.jitter_ms, row_number() over (order by s.next_at, s.key) as n, j.id
          from slots s
          cross join lateral (
            select j.id from outbox_jobs j
            where j.pace_key = s.key and ${due}
            -- oldest first among the due: after a hold the throttled message goes before the later ones
            order by j.created_at, j.run_at
            limit 1
            for update skip locked
          ) j
        ),
        taken as (
          update outbox_jobs set status = 'running', attempts = outbox_jobs.attempts + 1,
            lease_token = ${p("lease")}::uuid, lease_until = ${p("lease_at")}::timestamptz, updated_at = ${p("at")}::timestamptz
          from picked where outbox_jobs.id = picked.id
          returning outbox_jobs.*
        ),
        moved as (
          update pace_slots set
            next_at = ${p("at")}::timestamptz + make_interval(secs => (picked.min_interval_ms + round((${p("draws")}::float8[])[picked.n::int] * picked.jitter_ms)) / 1000.0),
            busy_job_id = picked.id, busy_until = ${p("lease_at")}::timestamptz
          from picked where pace_slots.key = picked.key and picked.id in (select id from taken)
        )
        select * from taken`;
  },
);

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
  const lease = { lease: crypto.randomUUID(), lease_at: new Date(now.getTime() + leaseMs).toISOString(), at: now.toISOString() };

  // Two statements, each atomic on its own (rows locked with SKIP LOCKED, then claimed): no
  // transaction around them, which would only add two round trips to every claim.
  const claimed = (await claimFree.rows<Record<string, unknown>>(db, { ...lease, limit })).map((row) => fromDriverRow(outboxJobs, row));
  if (claimed.length >= limit) return claimed;

  // the jitter comes from `random`, one draw per slot in order
  const room = limit - claimed.length;
  const draws = `{${Array.from({ length: room }, () => random()).join(",")}}`;
  const paced = await claimPaced.rows<Record<string, unknown>>(db, { ...lease, limit: room, draws });
  for (const row of paced) claimed.push(fromDriverRow(outboxJobs, row));
  return claimed;
}

/** Ownership check: only the holder of the current lease may finish a job. */
function heldBy(job: Job) {
  return and(eq(outboxJobs.id, job.id), eq(outboxJobs.status, "running"), eq(outboxJobs.leaseToken, job.leaseToken!));
}

type JobUpdate = PgUpdateSetSource<typeof outboxJobs>;

/**
 * Applies a final or retry update if this caller still holds the lease, and frees the job's
 * pace slot in the same statement, so the channel's next job may go once its interval has
 * passed, or not before `holdUntil` (the provider throttled the channel): the hold lives on the
 * shared slot row, so every process's claim honours it. A stale holder changes nothing: it
 * must not free the slot its job's new holder now occupies.
 */
async function finish(db: Db, job: Job, set: JobUpdate, holdUntil?: Date): Promise<boolean> {
  const update = db
    .update(outboxJobs)
    .set({ leaseToken: null, leaseUntil: null, ...set })
    .where(heldBy(job))
    .returning({ id: outboxJobs.id });
  if (!job.paceKey) return (await update).length > 0;
  const hold = holdUntil ? sql`, next_at = greatest(next_at, ${holdUntil.toISOString()}::timestamptz)` : sql``;
  const [row] = await queryRows<{ n: number | string }>(
    db,
    sql`with finished as (${update.getSQL()}),
        freed as (
          update ${paceSlots} set busy_job_id = null, busy_until = null${hold}
          where key = ${job.paceKey} and busy_job_id = ${job.id}::uuid and exists (select 1 from finished))
        select count(*)::int as n from finished`,
  );
  return Number(row?.n ?? 0) > 0;
}

/** Marks a claimed job done. False when the lease was lost (expired and re-claimed elsewhere). */
export function completeJob(db: Db, job: Job, now: Date): Promise<boolean> {
  return finish(db, job, { status: "done", lastError: null, updatedAt: now, finishedAt: now });
}

/**
 * Schedules another attempt at `runAt`, keeping the error. With `holdPace` no other job of the
 * same pace key (channel) is claimed before `runAt` either. With `refundAttempt` the claim that
 * ran it does not count (a deferral, not a failure).
 */
export function retryJobLater(
  db: Db,
  job: Job,
  error: string,
  runAt: Date,
  now: Date,
  opts: { holdPace?: boolean; refundAttempt?: boolean } = {},
): Promise<boolean> {
  const refund = opts.refundAttempt ? { attempts: sql`greatest(${outboxJobs.attempts} - 1, 0)` } : {};
  return finish(db, job, { status: "pending", runAt, lastError: error, updatedAt: now, ...refund }, opts.holdPace ? runAt : undefined);
}

/**
 * Moves a running job to another pace key (a send that goes out through a fallback channel is
 * paced as that channel's), creating the key's slot when it has none. The caller then defers
 * the job, which frees its old slot; only the lease holder can move it.
 */
export async function movePaceKey(db: Db, job: Job, pace: { key: string; minIntervalMs: number; jitterMs: number }, now: Date): Promise<boolean> {
  await db
    .insert(paceSlots)
    .values({ key: pace.key, minIntervalMs: pace.minIntervalMs, jitterMs: pace.jitterMs, nextAt: now })
    .onConflictDoNothing({ target: paceSlots.key });
  const moved = await db.update(outboxJobs).set({ paceKey: pace.key, updatedAt: now }).where(heldBy(job)).returning({ id: outboxJobs.id });
  return moved.length > 0;
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
