import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/index.js";
import { outboxJobs, paceSlots } from "../../db/schema.js";
import { currentRequestId } from "../request-scope.js";
import type { Job, PaceSpec } from "./types.js";

export interface EnqueueInput {
  kind: string;
  payload: unknown;
  /** a repeat with the same key is a no-op that returns the first job */
  dedupKey?: string;
  pace?: PaceSpec;
  runAt?: Date;
  maxAttempts: number;
  /** the request behind the job; by default the one whose scope this runs in (core/request-scope.ts) */
  requestId?: string;
}

export interface Enqueued {
  job: Job;
  created: boolean;
}

/**
 * Adds a job. Call it with the transaction that writes the row the job concerns, so both
 * exist or neither does. Wake the processor (JobWaker) after that transaction commits.
 */
export async function enqueueJob(db: Db, input: EnqueueInput, now: Date): Promise<Enqueued> {
  if (input.pace) {
    // Pacing parameters live on the slot; the latest enqueue's values win so a changed
    // channel setting applies to the next send.
    await db
      .insert(paceSlots)
      .values({
        key: input.pace.key,
        minIntervalMs: input.pace.minIntervalMs,
        jitterMs: input.pace.jitterMs,
        nextAt: now,
      })
      .onConflictDoUpdate({
        target: paceSlots.key,
        set: { minIntervalMs: input.pace.minIntervalMs, jitterMs: input.pace.jitterMs },
        setWhere: sql`${paceSlots.minIntervalMs} <> ${input.pace.minIntervalMs} or ${paceSlots.jitterMs} <> ${input.pace.jitterMs}`,
      });
  }
  const [inserted] = await db
    .insert(outboxJobs)
    .values({
      kind: input.kind,
      payload: input.payload,
      dedupKey: input.dedupKey ?? null,
      paceKey: input.pace?.key ?? null,
      maxAttempts: input.maxAttempts,
      requestId: input.requestId ?? currentRequestId() ?? null,
      runAt: input.runAt ?? now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: outboxJobs.dedupKey })
    .returning();
  if (inserted) return { job: inserted, created: true };
  const [existing] = await db.select().from(outboxJobs).where(eq(outboxJobs.dedupKey, input.dedupKey!));
  if (!existing) throw new Error(`outbox: dedup conflict on ${input.dedupKey} but no job found`);
  return { job: existing, created: false };
}
