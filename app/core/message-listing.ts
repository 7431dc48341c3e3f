import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channels, type MessageStatus, messages, outboxJobs } from "../db/schema.js";
import { AppError } from "./errors.js";
import { SEND_JOB } from "./messages/outgoing.js";
import type { Message } from "./messages/status.js";

export interface MessageQuery {
  channelId?: string | undefined;
  /** one message by its id (a page re-reads a row it just acted on) */
  messageId?: string | undefined;
  status?: MessageStatus | undefined;
  limit: number;
  /** id of the last message of the previous page */
  before?: string | undefined;
}

export interface ListedMessage {
  message: Message;
  /** the message's send job, while the outbox keeps it (dead ones until retried) */
  sendJob: { id: string; status: string; attempts: number; lastError: string | null } | null;
}

/**
 * A portal's messages, newest first, across its channels (deleted ones too: their history
 * stays). Pages are keyed by (created_at, id) of the last row seen, so rows arriving between
 * pages neither repeat nor vanish.
 */
export async function listPortalMessages(db: Db, portalId: string, query: MessageQuery): Promise<{ items: ListedMessage[]; nextBefore: string | null }> {
  const where: SQL[] = [eq(channels.portalId, portalId)];
  if (query.channelId) where.push(eq(messages.channelId, query.channelId));
  if (query.messageId) where.push(eq(messages.id, query.messageId));
  if (query.status) where.push(eq(messages.status, query.status));
  if (query.before) {
    const [anchor] = await db
      .select({ createdAt: messages.createdAt, id: messages.id })
      .from(messages)
      .innerJoin(channels, eq(channels.id, messages.channelId))
      .where(and(eq(messages.id, query.before), eq(channels.portalId, portalId)));
    if (!anchor) throw new AppError("invalid_parameter", "before: not a message of this portal", { field: "before" });
    // ISO text, not a Date: raw parameters are not serialised by every driver
    where.push(sql`(${messages.createdAt}, ${messages.id}) < (${anchor.createdAt.toISOString()}::timestamptz, ${anchor.id}::uuid)`);
  }
  const rows = await db
    .select({ message: messages, job: outboxJobs })
    .from(messages)
    .innerJoin(channels, eq(channels.id, messages.channelId))
    // the send job's dedup key names its message and is uniquely indexed
    .leftJoin(outboxJobs, eq(outboxJobs.dedupKey, sql`${SEND_JOB + ":"} || ${messages.id}::text`))
    .where(and(...where))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .limit(query.limit);
  const items = rows.map(({ message, job }) => ({
    message,
    sendJob: job ? { id: job.id, status: job.status, attempts: job.attempts, lastError: job.lastError } : null,
  }));
  const last = rows.at(-1);
  return { items, nextBefore: rows.length === query.limit && last ? last.message.id : null };
}
