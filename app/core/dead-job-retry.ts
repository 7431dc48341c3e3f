import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { channels, messages, outboxJobs, type StatusEntry } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { AppError } from "./errors.js";
import { SEND_JOB } from "./messages/outgoing.js";
import { retryDeadJob } from "./outbox/claim.js";
import type { Job } from "./outbox/types.js";

/** Jobs an admin may retry are those about one message; the message names the channel and portal. */
const messageJobPayload = z.looseObject({ messageId: z.uuid() });

/**
 * Puts a dead job of the portal back in the queue. The job must be about a message of one of
 * the portal's channels; any other job (another portal's, or not about a message) is
 * `not_found`, like one that does not exist. A dead `message.send` left its message failed,
 * and the send handler only sends queued messages: the message goes back to queued (with a
 * history entry) in the same transaction, before any pump can claim the job.
 */
export async function retryPortalDeadJob(deps: Pick<AppDeps, "db" | "clock" | "queue">, portalId: string, jobId: string): Promise<Job> {
  const notFound = () => new AppError("not_found", "job not found");
  if (!z.uuid().safeParse(jobId).success) throw notFound();
  const [job] = await deps.db.select().from(outboxJobs).where(eq(outboxJobs.id, jobId));
  const payload = job ? messageJobPayload.safeParse(job.payload) : undefined;
  if (!job || !payload?.success) throw notFound();
  const [owned] = await deps.db
    .select({ message: messages })
    .from(messages)
    .innerJoin(channels, eq(channels.id, messages.channelId))
    .where(and(eq(messages.id, payload.data.messageId), eq(channels.portalId, portalId)));
  if (!owned) throw notFound();
  if (job.status !== "dead") throw new AppError("conflict", `the job is ${job.status}, not dead: only dead jobs can be retried`);

  const now = deps.clock.now();
  const retried = await deps.db.transaction(async (tx) => {
    if (job.kind === SEND_JOB && owned.message.status === "failed" && !owned.message.providerMessageId) {
      const entry: StatusEntry = { status: "queued", at: now.toISOString(), reason: "retried by an admin" };
      await tx
        .update(messages)
        .set({
          status: "queued",
          errorCode: null,
          errorMessage: null,
          statusHistory: sql`${messages.statusHistory} || ${JSON.stringify([entry])}::jsonb`,
          updatedAt: now,
        })
        .where(and(eq(messages.id, owned.message.id), eq(messages.status, "failed")));
    }
    const row = await retryDeadJob(tx, job.id, now);
    // another admin retried it between our read and this write: roll the message back too
    if (!row) throw new AppError("conflict", "the job was retried already");
    return row;
  });
  await deps.queue.wake([retried.id]);
  return retried;
}
