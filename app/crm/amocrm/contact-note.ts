import { z } from "zod";
import { type Channel, findChannel } from "../../core/channels.js";
import { type BlockReason, failoverNoteText } from "../../core/failover.js";
import { languageOfDomain } from "../../core/failure-texts.js";
import { enqueueJob } from "../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../core/outbox/registry.js";
import { loadNoteContext } from "../../core/messages/note-context.js";
import { AMOCRM_NOTE_JOB } from "../../core/webhook-send.js";
import { AmoCrmClient } from "./client.js";
import { findContactsByPhone, openLeadIds } from "./contact-search.js";
import type { AmoCrmDeps } from "./deps.js";
import { AmoCrmRetryableError } from "./errors.js";
import { findMessage, type MessageRow } from "./message.js";
import { findAmoPortalById } from "./portal.js";

/** One batch of notes on one entity type; its own job so that a rerun of the search posts nothing twice. */
export const AMOCRM_NOTE_POST_JOB = "amocrm.contact_note_post";

/** How soon to look again while the provider has not answered, and how many looks before noting the status as it is. */
const PROVIDER_WAIT_MS = 10_000;
const QUEUED_LOOKS = 4;
/** 5.4/5.7: keep batches small (≤ 50 per request). */
const NOTES_PER_BATCH = 50;
/** Notes are for people reading a card: a long text is cut, the message itself is in chatbridge. */
const MAX_TEXT = 2000;

const postPayloadSchema = z.object({
  portalId: z.uuid(),
  messageId: z.uuid(),
  entityType: z.enum(["contacts", "leads"]),
  entityIds: z.array(z.number().int().positive()).min(1).max(NOTES_PER_BATCH),
  text: z.string().min(1),
});
type PostPayload = z.output<typeof postPayloadSchema>;

/** 5.5 batch answer: `_embedded.notes[]` with the new ids. */
const notesAnswerSchema = z.looseObject({ _embedded: z.looseObject({ notes: z.array(z.looseObject({ id: z.number() })) }) });

const ORIGIN_TEXT: Partial<Record<MessageRow["origin"], string>> = {
  webhook_api: "through the API",
  salesbot: "by a Salesbot",
  dp: "by a Digital Pipeline action",
};

/** What the card shows: messenger, channel, number, text, and the status the message had when noted. */
export function contactNoteText(message: MessageRow, channel: Pick<Channel, "messenger" | "name">): string {
  const messenger = channel.messenger === "telegram" ? "Telegram" : "WhatsApp";
  const body = message.body ? (message.body.length > MAX_TEXT ? `${message.body.slice(0, MAX_TEXT)}…` : message.body) : "";
  const file = message.file ? `${body ? "\n" : ""}File: ${message.file.url}` : "";
  const why = message.status === "failed" ? ` (${message.errorMessage ?? message.errorCode ?? "delivery failed"})` : "";
  const how = ORIGIN_TEXT[message.origin];
  return `${messenger} message to +${message.peer} sent via chatbridge (${channel.name})${how ? ` ${how}` : ""}: ${body}${file} — status: ${message.status}${why}`;
}

/**
 * `amocrm.contact_note` (written with a webhook API, Salesbot or DP message): waits for the
 * provider's answer so the note carries the status, finds the contacts with the recipient's
 * phone (5.2) and their open leads, and queues one note batch per entity type (5.5), keyed by
 * message and type, so a rerun queues nothing new. No match: nothing to note.
 */
async function noteMessage(deps: AmoCrmDeps, messageId: string, attempt: number, maxAttempts: number): Promise<void> {
  const context = await loadNoteContext(deps.db, messageId, "amocrm");
  if (!context) return deps.logger.info("amocrm: message gone before its contact note", { message: messageId });
  const { message, channel, portal } = context;
  if (message.status === "queued" && attempt < Math.min(QUEUED_LOOKS, maxAttempts)) {
    throw new AmoCrmRetryableError("message_queued", "the provider has not answered yet", PROVIDER_WAIT_MS);
  }
  if (message.direction !== "out" || !/^\d{6,15}$/.test(message.peer)) {
    return deps.logger.info("amocrm: not an outgoing message to a phone, no contact note", { message: messageId });
  }
  if (!channel || !portal) return deps.logger.info("amocrm: channel no longer on an amoCRM account, contact note dropped", { message: messageId });
  if (portal.status !== "active") return deps.logger.info("amocrm: account not active, contact note dropped", { message: messageId, status: portal.status });

  await queueNotes(deps, { portalId: portal.id, messageId, phone: message.peer, text: contactNoteText(message, channel), keyPrefix: `${AMOCRM_NOTE_POST_JOB}:${messageId}` });
}

/**
 * Finds the contacts with `phone` (5.2) and their open leads, and queues one note batch per
 * entity type (5.5), keyed under `keyPrefix`, so a rerun queues nothing new. No match: nothing to note.
 */
async function queueNotes(deps: AmoCrmDeps, note: { portalId: string; messageId: string; phone: string; text: string; keyPrefix: string }): Promise<void> {
  const client = new AmoCrmClient(deps, note.portalId);
  const contacts = await findContactsByPhone(client, note.phone);
  const leads = await openLeadIds(client, contacts.flatMap((c) => c.leadIds));
  const now = deps.clock.now();
  let queued = 0;
  for (const [entityType, ids] of [["contacts", contacts.map((c) => c.id)], ["leads", leads]] as const) {
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += NOTES_PER_BATCH) {
      const payload: PostPayload = { portalId: note.portalId, messageId: note.messageId, entityType, entityIds: unique.slice(start, start + NOTES_PER_BATCH), text: note.text };
      const dedupKey = `${note.keyPrefix}:${entityType}:${start / NOTES_PER_BATCH}`;
      const { created } = await enqueueJob(deps.db, { kind: AMOCRM_NOTE_POST_JOB, payload, dedupKey, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS }, now);
      if (created) queued += 1;
    }
  }
  deps.logger.info("amocrm: contact notes queued", { message: note.messageId, contacts: contacts.length, leads: leads.length, batches: queued });
}

/**
 * `crm.failover_note` on an amoCRM account: the client's messages now come from another number
 * (core/failover.ts). amojo has no note inside a chat, so the note goes where the chat is
 * shown, on the client's contact and open leads (their feed holds the chat), in the account's language.
 */
export async function noteFailover(deps: AmoCrmDeps, messageId: string, reason: BlockReason): Promise<void> {
  const message = await findMessage(deps.db, messageId);
  if (!message || !/^\d{6,15}$/.test(message.peer)) return;
  const own = await findChannel(deps.db, message.channelId);
  const via = message.viaChannelId ? await findChannel(deps.db, message.viaChannelId) : undefined;
  const portal = own?.portalId ? await findAmoPortalById(deps.db, own.portalId) : undefined;
  if (!own || !via || !portal || portal.status !== "active") return deps.logger.info("amocrm: failover note has nowhere to go", { message: messageId });
  const text = failoverNoteText(languageOfDomain(portal.domain), own.name, via.name, reason);
  await queueNotes(deps, { portalId: portal.id, messageId, phone: message.peer, text, keyPrefix: `${AMOCRM_NOTE_POST_JOB}:failover:${messageId}` });
}

/** 5.5: `POST /api/v4/{contacts|leads}/notes`, one `common` note per entity. */
async function postNotes(deps: AmoCrmDeps, payload: PostPayload): Promise<void> {
  const portal = await findAmoPortalById(deps.db, payload.portalId);
  if (!portal || portal.status !== "active") {
    return deps.logger.info("amocrm: account gone or not active, notes dropped", { message: payload.messageId });
  }
  const notes = payload.entityIds.map((id) => ({ entity_id: id, note_type: "common", params: { text: payload.text } }));
  await new AmoCrmClient(deps, portal.id).request("POST", `/api/v4/${payload.entityType}/notes`, notes, notesAnswerSchema);
}

export function registerContactNoteJob(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(AMOCRM_NOTE_JOB, {
    schema: z.object({ messageId: z.uuid() }),
    handle: ({ messageId }, ctx) => noteMessage(deps, messageId, ctx.job.attempts, ctx.job.maxAttempts),
  });
  registry.register(AMOCRM_NOTE_POST_JOB, { schema: postPayloadSchema, handle: (payload) => postNotes(deps, payload) });
}
