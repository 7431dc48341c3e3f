import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/index.js";
import { conversations, type MessageFile, type MessageTemplateRef, messages } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import type { OutgoingContent, Peer } from "../../providers/types.js";
import { type Channel, pacingOf, providerOf } from "../channels.js";
import { type EnqueueInput, enqueueJob } from "../outbox/enqueue.js";
import { peerKey } from "../peer.js";
import { CRM_STATUS_JOB } from "./record-status.js";
import type { Message } from "./status.js";

export const SEND_JOB = "message.send";

export type Origin = Message["origin"];

export interface OutgoingInput {
  channel: Channel;
  peer: Peer;
  content: OutgoingContent;
  origin: Origin;
  /** unique per origin event (`api:<token id>:<request_id>`, `b24:<member>:<message id>`…) */
  dedupKey: string;
  sendToImol?: boolean;
  crmMessageId?: string;
  /** a template send (core/templates.ts prepareTemplateSend): `content` is then its text, for people to read */
  template?: MessageTemplateRef;
  /**
   * How long the dedup key holds (the webhook API's request_id: 24 h). A repeat after that is a
   * new message: the old row's key is retired in the same transaction. Without it, forever.
   */
  dedupWindowMs?: number;
  /**
   * Further jobs about the new message, written in its transaction (e.g. mirroring a webhook
   * API send into the CRM chat); not written for a deduplicated repeat.
   */
  extraJobs?: (message: Message) => Array<Omit<EnqueueInput, "maxAttempts">>;
}

export interface ConversationFacts {
  /** the client wrote at this time: opens the customer-service window (never moved back) */
  inboundAt?: Date;
  /** the client's own phone learned in the chat (a Telegram contact they shared) */
  phone?: string;
}

/** Finds or creates the conversation of a channel's client, keeping the latest name, handle and phone we learned. */
export async function upsertConversation(db: Db, channelId: string, peer: Peer, now: Date, facts: ConversationFacts = {}): Promise<string> {
  const inboundAt = facts.inboundAt ?? null;
  const [row] = await db
    .insert(conversations)
    .values({
      channelId,
      peer: peerKey(peer),
      peerPhone: facts.phone ?? peer.phone ?? null,
      peerName: peer.name ?? null,
      peerUsername: peer.username ?? null,
      lastInboundAt: inboundAt,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [conversations.channelId, conversations.peer],
      set: {
        updatedAt: now,
        peerName: sql`coalesce(excluded.peer_name, ${conversations.peerName})`,
        peerUsername: sql`coalesce(excluded.peer_username, ${conversations.peerUsername})`,
        peerPhone: sql`coalesce(excluded.peer_phone, ${conversations.peerPhone})`,
        lastInboundAt: sql`greatest(excluded.last_inbound_at, ${conversations.lastInboundAt})`,
      },
    })
    .returning({ id: conversations.id });
  return row!.id;
}

/**
 * The one way an outgoing message enters the system: the message row and its send job are
 * written in one transaction, deduplicated by the origin's key (a repeated request returns the
 * first message and sends nothing), then the job processor is woken. Phone-gateway channels get
 * no job: the phone itself fetches queued messages (api/gateway).
 */
/** The row of an outgoing message as queued; a refused one (recordRefusedOutgoing) is this row, failed. */
function outgoingRow(input: Omit<OutgoingInput, "extraJobs" | "dedupWindowMs">, conversationId: string, now: Date) {
  const { content } = input;
  const file: MessageFile | null =
    content.type === "file" ? { url: content.url, ...(content.name ? { name: content.name } : {}), ...(content.mime ? { mime: content.mime } : {}) } : null;
  return {
    channelId: input.channel.id,
    conversationId,
    direction: "out" as const,
    origin: input.origin,
    peer: peerKey(input.peer),
    body: content.type === "text" ? content.text : (content.caption ?? null),
    file,
    template: input.template ?? null,
    crmMessageId: input.crmMessageId ?? null,
    sendToImol: input.sendToImol ?? false,
    status: "queued" as const,
    statusHistory: [{ status: "queued" as const, at: now.toISOString() }],
    dedupKey: input.dedupKey,
    createdAt: now,
    updatedAt: now,
  } satisfies typeof messages.$inferInsert;
}

export async function queueOutgoing(deps: AppDeps, input: OutgoingInput): Promise<{ message: Message; created: boolean }> {
  const now = deps.clock.now();
  const provider = providerOf(input.channel);
  const pulledByPhone = provider.capabilities.inbound === "gateway";

  const result = await deps.db.transaction(async (tx) => {
    const conversationId = await upsertConversation(tx, input.channel.id, input.peer, now);
    const row = outgoingRow(input, conversationId, now);
    let [inserted] = await tx.insert(messages).values(row).onConflictDoNothing({ target: messages.dedupKey }).returning();
    // A concurrent repeat may retire the key under us: look again (each statement sees the latest commit).
    for (let attempt = 0; !inserted && attempt < 3; attempt++) {
      const [existing] = await tx.select().from(messages).where(eq(messages.dedupKey, input.dedupKey)).for("update");
      if (existing) {
        const expired = input.dedupWindowMs !== undefined && now.getTime() - existing.createdAt.getTime() >= input.dedupWindowMs;
        if (!expired) return { message: existing, created: false, jobId: undefined, extraJobIds: [] };
        await tx.update(messages).set({ dedupKey: `${input.dedupKey}#${existing.id}` }).where(eq(messages.id, existing.id));
      }
      [inserted] = await tx.insert(messages).values(row).onConflictDoNothing({ target: messages.dedupKey }).returning();
    }
    if (!inserted) throw new Error(`outgoing: dedup key ${input.dedupKey} kept changing under concurrent requests`);
    const extraJobIds: string[] = [];
    for (const extra of input.extraJobs?.(inserted) ?? []) {
      const { job } = await enqueueJob(tx, { ...extra, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS }, now);
      extraJobIds.push(job.id);
    }
    if (pulledByPhone) return { message: inserted, created: true, jobId: undefined, extraJobIds };
    const { job } = await enqueueJob(
      tx,
      {
        kind: SEND_JOB,
        payload: { messageId: inserted.id },
        dedupKey: `${SEND_JOB}:${inserted.id}`,
        pace: { key: `channel:${input.channel.id}`, ...pacingOf(input.channel) },
        maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
      },
      now,
    );
    return { message: inserted, created: true, jobId: job.id, extraJobIds };
  });
  const woken = [...(result.jobId ? [result.jobId] : []), ...result.extraJobIds];
  if (woken.length > 0) await deps.queue.wake(woken);
  return { message: result.message, created: result.created };
}

/**
 * An outgoing message refused before it could be queued for sending (a `/template` command
 * naming no template or a wrong one): kept as a failed row, with the job that reports the
 * failure to the CRM chat written in the same transaction, so the operator sees why in the chat
 * and a redelivered event (same dedup key) notes it once.
 */
export async function recordRefusedOutgoing(
  deps: AppDeps,
  input: Omit<OutgoingInput, "extraJobs" | "dedupWindowMs" | "template">,
  failure: { code: string; reason: string },
): Promise<{ message: Message; created: boolean }> {
  const now = deps.clock.now();
  const result = await deps.db.transaction(async (tx) => {
    const conversationId = await upsertConversation(tx, input.channel.id, input.peer, now);
    const queued = outgoingRow(input, conversationId, now);
    const [inserted] = await tx
      .insert(messages)
      .values({
        ...queued,
        status: "failed",
        statusHistory: [...queued.statusHistory, { status: "failed", at: now.toISOString(), reason: failure.reason }],
        errorCode: failure.code,
        errorMessage: failure.reason,
      })
      .onConflictDoNothing({ target: messages.dedupKey })
      .returning();
    if (!inserted) {
      const [existing] = await tx.select().from(messages).where(eq(messages.dedupKey, input.dedupKey));
      return { message: existing!, created: false, jobId: undefined };
    }
    if (!inserted.crmMessageId) return { message: inserted, created: true, jobId: undefined };
    const { job } = await enqueueJob(
      tx,
      {
        kind: CRM_STATUS_JOB,
        payload: { messageId: inserted.id, status: "failed" },
        dedupKey: `${CRM_STATUS_JOB}:${inserted.id}:failed`,
        maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
      },
      now,
    );
    return { message: inserted, created: true, jobId: job.id };
  });
  if (result.jobId) await deps.queue.wake([result.jobId]);
  return { message: result.message, created: result.created };
}
