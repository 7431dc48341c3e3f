import { and, eq, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/index.js";
import { messages } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import { ID_ENDING_MARK } from "../../providers/types.js";
import { enqueueJob } from "../outbox/enqueue.js";
import type { JobRegistry } from "../outbox/registry.js";
import { RetryableError } from "../outbox/types.js";
import { applyStatus, type Message, type StatusChange } from "./status.js";

/** Job kind that reports a delivery/read/failed status of a CRM-originated message back to the CRM (crm/*). */
export const CRM_STATUS_JOB = "crm.report_status";
/** A provider status that arrived before we knew the provider's id for the message. */
export const LATE_STATUS_JOB = "message.late_status";

type StatusDeps = Pick<AppDeps, "db" | "clock" | "config">;

/**
 * The one way a message's status changes: the status is applied (forward only) and, when the
 * message came from a CRM chat, a job reporting it back to the CRM is written in the same
 * transaction. Returns the updated row (undefined when the status did not advance it) and the
 * job id to wake.
 */
export async function recordStatus(
  deps: StatusDeps,
  message: Message,
  change: StatusChange,
): Promise<{ message?: Message; jobId?: string }> {
  const now = deps.clock.now();
  const reportJob = (updated: Message) => ({
    kind: CRM_STATUS_JOB,
    payload: { messageId: updated.id, status: change.status },
    dedupKey: `${CRM_STATUS_JOB}:${updated.id}:${change.status}`,
    maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
  });
  // A message from outside a CRM chat gets no report job: one statement, no transaction (the
  // send job's hot path: an API send's "sent" costs one round trip, not three). A mirror into
  // amojo may have given it a CRM id since it was read: then the report follows at once.
  if (!message.crmMessageId) {
    const updated = await applyStatus(deps.db, message, change);
    if (!updated?.crmMessageId) return updated ? { message: updated } : {};
    const { job } = await enqueueJob(deps.db, reportJob(updated), now);
    return { message: updated, jobId: job.id };
  }
  return deps.db.transaction(async (tx) => {
    const updated = await applyStatus(tx, message, change);
    if (!updated?.crmMessageId) return updated ? { message: updated } : {};
    const { job } = await enqueueJob(tx, reportJob(updated), now);
    return { message: updated, jobId: job.id };
  });
}

/** The channel's messages: its own, and those of its group it sent as a fallback (via_channel_id). */
function sentThrough(channelId: string) {
  return or(eq(messages.channelId, channelId), eq(messages.viaChannelId, channelId));
}

/**
 * The channel's message a status names. A status that names only the end of the provider id
 * (providerIdEndingWith: a Green-API status without `chatId`) matches the channel's sent messages
 * whose id ends so; two such messages are ambiguous and match none (the status is then deferred
 * and given up visibly rather than applied to a guess).
 */
export async function findByProviderId(db: Db, channelId: string, providerMessageId: string): Promise<Message | undefined> {
  if (providerMessageId.startsWith(ID_ENDING_MARK)) {
    const tail = providerMessageId.slice(ID_ENDING_MARK.length);
    if (tail.length === 0) return undefined;
    const rows = await db
      .select()
      .from(messages)
      .where(
        and(
          sentThrough(channelId),
          eq(messages.direction, "out"),
          sql`right(${messages.providerMessageId}, ${tail.length}) = ${tail}`,
        ),
      )
      .limit(2);
    return rows.length === 1 ? rows[0] : undefined;
  }
  const [row] = await db
    .select()
    .from(messages)
    .where(and(sentThrough(channelId), eq(messages.providerMessageId, providerMessageId)))
    .limit(1);
  return row;
}

const lateStatus = z.object({
  channelId: z.uuid(),
  providerMessageId: z.string(),
  status: z.enum(["sent", "delivered", "read", "failed"]),
  reason: z.string().optional(),
  code: z.string().optional(),
  at: z.iso.datetime(),
});
export type LateStatus = z.output<typeof lateStatus>;

/** How long the send job has to store the provider's id before a status naming it is given up (visibly). */
const LATE_STATUS_FIRST_DELAY_MS = 3_000;
const LATE_STATUS_ATTEMPTS = 8;

/**
 * Providers can report "sent" before their send call has answered us, so the status names an
 * id we have not stored yet. It is kept as a job that looks again shortly, instead of being
 * acknowledged and lost.
 */
export async function deferStatus(deps: StatusDeps, status: LateStatus, eventId: string): Promise<string> {
  const now = deps.clock.now();
  const { job } = await enqueueJob(
    deps.db,
    {
      kind: LATE_STATUS_JOB,
      payload: status,
      dedupKey: `${LATE_STATUS_JOB}:${status.channelId}:${eventId}`,
      runAt: new Date(now.getTime() + LATE_STATUS_FIRST_DELAY_MS),
      maxAttempts: LATE_STATUS_ATTEMPTS,
    },
    now,
  );
  return job.id;
}

export function registerLateStatusJob(registry: JobRegistry, deps: StatusDeps): void {
  registry.register(LATE_STATUS_JOB, {
    schema: lateStatus,
    async handle(s) {
      const message = await findByProviderId(deps.db, s.channelId, s.providerMessageId);
      if (!message) throw new RetryableError(`no message with provider id ${s.providerMessageId} yet`);
      await recordStatus(deps, message, {
        status: s.status,
        at: new Date(s.at),
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.code ? { errorCode: s.code } : {}),
      });
    },
  });
}
