import { eq } from "drizzle-orm";
import { type MessageFile, type MessageTemplateRef, messages } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import type { OutgoingContent, Peer } from "../../providers/types.js";
import { type Channel, pacingOf, providerOf } from "../channels.js";
import type { PaceSpec } from "../outbox/types.js";
import { peerKey } from "../peer.js";
import { type InsertMessageInput, insertMessageWithJobs, type MessageJob, type NewMessageRow } from "./insert-message.js";
import { CRM_STATUS_JOB } from "./record-status.js";
import type { Message } from "./status.js";

export const SEND_JOB = "message.send";

export type Origin = Message["origin"];

/** A further job about a new message (its CRM note, its mirror into the CRM chat). */
export type ExtraJob = Omit<MessageJob, "maxAttempts" | "pace"> & { pace?: PaceSpec };

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
   * Further jobs about the new message, given its id, written with it (e.g. mirroring a webhook
   * API send into the CRM chat); not written for a deduplicated repeat.
   */
  extraJobs?: (messageId: string) => ExtraJob[];
}

interface Queued {
  message: Message;
  created: boolean;
  jobIds: string[];
}

/** The row of an outgoing message as queued; a refused one (recordRefusedOutgoing) is this row, failed. */
function outgoingRow(input: Omit<OutgoingInput, "extraJobs" | "dedupWindowMs">, now: Date): NewMessageRow {
  const { content } = input;
  const file: MessageFile | null =
    content.type === "file" ? { url: content.url, ...(content.name ? { name: content.name } : {}), ...(content.mime ? { mime: content.mime } : {}) } : null;
  return {
    channelId: input.channel.id,
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
  };
}

/**
 * The one way an outgoing message enters the system: the message row and its send job are
 * written together (one statement, insert-message.ts), deduplicated by the origin's key (a
 * repeated request returns the first message and sends nothing), then the job processor is
 * woken. Phone-gateway channels get no send job: the phone itself fetches queued messages
 * (api/gateway).
 */
export async function queueOutgoing(deps: AppDeps, input: OutgoingInput): Promise<{ message: Message; created: boolean }> {
  const now = deps.clock.now();
  const pulledByPhone = providerOf(input.channel).capabilities.inbound === "gateway";
  const maxAttempts = deps.config.OUTBOX_MAX_ATTEMPTS;
  const insert: InsertMessageInput = {
    channelId: input.channel.id,
    peer: input.peer,
    row: outgoingRow(input, now),
    now,
    jobs: (messageId) => [
      ...(input.extraJobs?.(messageId) ?? []).map((job) => ({ ...job, maxAttempts })),
      ...(pulledByPhone
        ? []
        : [
            {
              kind: SEND_JOB,
              payload: { messageId },
              dedupKey: `${SEND_JOB}:${messageId}`,
              pace: { key: `channel:${input.channel.id}`, ...pacingOf(input.channel) },
              maxAttempts,
            },
          ]),
    ],
  };
  const fresh = await insertMessageWithJobs(deps.db, insert);
  const result: Queued = fresh ? { ...fresh, created: true } : await repeatOrRenewal(deps, input, insert);
  if (result.jobIds.length > 0) await deps.queue.wake(result.jobIds);
  return { message: result.message, created: result.created };
}

/**
 * The dedup key exists: the first message answers the repeat, unless the key's window
 * (dedupWindowMs) has passed, when the old row's key is retired and the message written anew,
 * in one transaction. A concurrent repeat may retire the key under us: look again (each
 * statement sees the latest commit).
 */
async function repeatOrRenewal(deps: AppDeps, input: OutgoingInput, insert: InsertMessageInput): Promise<Queued> {
  return deps.db.transaction(async (tx) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const [existing] = await tx.select().from(messages).where(eq(messages.dedupKey, input.dedupKey)).for("update");
      if (existing) {
        const expired = input.dedupWindowMs !== undefined && insert.now.getTime() - existing.createdAt.getTime() >= input.dedupWindowMs;
        if (!expired) return { message: existing, created: false, jobIds: [] };
        await tx.update(messages).set({ dedupKey: `${input.dedupKey}#${existing.id}` }).where(eq(messages.id, existing.id));
      }
      const fresh = await insertMessageWithJobs(tx, insert);
      if (fresh) return { ...fresh, created: true };
    }
    throw new Error(`outgoing: dedup key ${input.dedupKey} kept changing under concurrent requests`);
  });
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
  const queued = outgoingRow(input, now);
  const fresh = await insertMessageWithJobs(deps.db, {
    channelId: input.channel.id,
    peer: input.peer,
    now,
    row: {
      ...queued,
      status: "failed",
      statusHistory: [...(queued.statusHistory ?? []), { status: "failed", at: now.toISOString(), reason: failure.reason }],
      errorCode: failure.code,
      errorMessage: failure.reason,
    },
    jobs: (messageId) =>
      input.crmMessageId
        ? [
            {
              kind: CRM_STATUS_JOB,
              payload: { messageId, status: "failed" },
              dedupKey: `${CRM_STATUS_JOB}:${messageId}:failed`,
              maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
            },
          ]
        : [],
  });
  if (!fresh) {
    const [existing] = await deps.db.select().from(messages).where(eq(messages.dedupKey, input.dedupKey));
    return { message: existing!, created: false };
  }
  if (fresh.jobIds.length > 0) await deps.queue.wake(fresh.jobIds);
  return { message: fresh.message, created: true };
}
