import { z } from "zod";
import type { Channel } from "../../../core/channels.js";
import { loadNoteContext } from "../../../core/messages/note-context.js";
import type { Message } from "../../../core/messages/status.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { RetryableError } from "../../../core/outbox/types.js";
import { TIMELINE_NOTE_JOB } from "../../../core/webhook-send.js";
import { Bitrix24Client } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById } from "../portal-auth.js";

/** One comment on one CRM entity; its own job so that a rerun of the note posts nothing twice. */
export const TIMELINE_COMMENT_JOB = "b24.timeline_comment";

/** How soon to look again while the provider has not answered, and how many looks before noting the status as it is. */
const PROVIDER_WAIT_MS = 10_000;
const QUEUED_LOOKS = 4;

/** 7: `crm.duplicate.findbycomm` finds these three; the timeline calls them lead, contact, company. */
const ENTITY_TYPES = { CONTACT: "contact", COMPANY: "company", LEAD: "lead" } as const;
type EntityType = (typeof ENTITY_TYPES)[keyof typeof ENTITY_TYPES];

const idList = z.array(z.union([z.number().int().positive(), z.string().regex(/^\d+$/)]).transform(String));

/**
 * 7: `{"CONTACT":[275,2297]}`, keys only for the types found; PHP sends an empty keyed array
 * as `[]`, so no match at all may come as an empty list.
 */
const duplicatesSchema = z.union([
  z.array(z.unknown()).max(0).transform((): Partial<Record<keyof typeof ENTITY_TYPES, string[]>> => ({})),
  z.looseObject({ CONTACT: idList.optional(), COMPANY: idList.optional(), LEAD: idList.optional() }),
]);

/** 5.2/7: timeline entity types: the three findbycomm finds, deals, and smart processes as `dynamic_<typeId>`. */
const timelineEntityType = z.union([z.enum(["contact", "company", "lead", "deal"]), z.string().regex(/^dynamic_\d+$/)]);
const documentSchema = z.object({ entityType: timelineEntityType, entityId: z.string().regex(/^\d+$/) });
export type TimelineDocument = z.output<typeof documentSchema>;

/**
 * 5.2: a robot's `document_id[2]` names the CRM item it runs on: `DEAL_42`, `LEAD_7`,
 * `CONTACT_109286`, `COMPANY_3`, smart processes `DYNAMIC_<typeId>_<id>`. Undefined for
 * anything else (the phone search still finds contacts, companies and leads).
 */
export function timelineDocumentOf(documentId: string | undefined): TimelineDocument | undefined {
  const m = /^(DEAL|LEAD|CONTACT|COMPANY)_(\d+)$/.exec(documentId ?? "") ?? /^(DYNAMIC_\d+)_(\d+)$/.exec(documentId ?? "");
  return m ? { entityType: m[1]!.toLowerCase(), entityId: m[2]! } : undefined;
}

const commentPayloadSchema = z.object({
  portalId: z.uuid(),
  messageId: z.uuid(),
  entityType: timelineEntityType,
  entityId: z.string().regex(/^\d+$/),
  comment: z.string().min(1),
});
type CommentPayload = z.output<typeof commentPayloadSchema>;

/**
 * 7: "phone values are stored as typed (no forced normalization) → search with several
 * formats". We search the E.164 form and the bare digits; a national form (8 911…) would
 * need the country's rules, which the message does not carry.
 */
export function phoneSearchValues(digits: string): string[] {
  return [`+${digits}`, digits];
}

const ORIGIN_TEXT: Partial<Record<Message["origin"], string>> = { robot: "from an automation rule", webhook_api: "through the API" };

/** What the CRM card shows: who sent what, to which number, and the status the message had when noted. */
export function timelineComment(message: Message, channel: Channel): string {
  const messenger = channel.messenger === "telegram" ? "Telegram" : "WhatsApp";
  const why = message.status === "failed" ? `: ${message.errorMessage ?? message.errorCode ?? "delivery failed"}` : "";
  const lines = [`chatbridge: ${messenger} message to +${message.peer} ${ORIGIN_TEXT[message.origin] ?? ""}`.trim(), `Status: ${message.status}${why}`];
  if (message.file) lines.push(`File: ${message.file.url}`);
  if (message.body) lines.push("", message.body);
  return lines.join("\n");
}

/**
 * `b24.timeline_note` (written with a robot's or the webhook API's message, core/webhook-send.ts):
 * waits for the provider's answer so the note carries the status, then comments on the robot's
 * own document (a deal, a smart-process item...) and on the contacts, companies and leads with
 * the recipient's phone (7, `crm.duplicate.findbycomm` — it finds no deals), one comment job per
 * entity, keyed by message and entity, so a rerun queues nothing new. No match: nothing to do.
 */
async function noteMessage(deps: Bitrix24Deps, messageId: string, document: TimelineDocument | undefined, attempt: number, maxAttempts: number): Promise<void> {
  const context = await loadNoteContext(deps.db, messageId, "bitrix24");
  if (!context) return deps.logger.info("bitrix24: message gone before its timeline note", { message: messageId });
  const { message, channel, portal } = context;
  if (message.status === "queued" && attempt < Math.min(QUEUED_LOOKS, maxAttempts)) {
    throw new RetryableError("the provider has not answered yet", PROVIDER_WAIT_MS);
  }
  if (!channel || !portal) return deps.logger.info("bitrix24: channel no longer on a portal, timeline note dropped", { message: messageId });

  const targets: TimelineDocument[] = document ? [document] : [];
  if (/^\d{6,15}$/.test(message.peer)) {
    const found = await new Bitrix24Client(deps, portal.externalId, { portal }).call("crm.duplicate.findbycomm", { type: "PHONE", values: phoneSearchValues(message.peer) }, duplicatesSchema);
    for (const [key, entityType] of Object.entries(ENTITY_TYPES) as Array<[keyof typeof ENTITY_TYPES, EntityType]>) {
      for (const entityId of found[key] ?? []) targets.push({ entityType, entityId });
    }
  } else {
    deps.logger.info("bitrix24: message to a chat id, no phone to find in the CRM", { message: messageId });
  }
  const comment = timelineComment(message, channel);
  const now = deps.clock.now();
  let queued = 0;
  // the dedup key is per entity: the robot's own document found again by phone is commented once
  for (const { entityType, entityId } of targets) {
    const payload: CommentPayload = { portalId: portal.id, messageId, entityType, entityId, comment };
    const dedupKey = `${TIMELINE_COMMENT_JOB}:${messageId}:${entityType}:${entityId}`;
    const { created } = await enqueueJob(deps.db, { kind: TIMELINE_COMMENT_JOB, payload, dedupKey, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS }, now);
    if (created) queued += 1;
  }
  deps.logger.info("bitrix24: timeline comments queued", { message: messageId, queued });
}

/** 7: `crm.timeline.comment.add` with lowercase `fields` (required since crm 23.100); the answer is the comment id. */
async function postComment(deps: Bitrix24Deps, payload: CommentPayload): Promise<void> {
  const portal = await findPortalById(deps.db, payload.portalId);
  if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${payload.portalId} no longer exists`);
  await new Bitrix24Client(deps, portal.externalId, { portal }).call(
    "crm.timeline.comment.add",
    { fields: { ENTITY_ID: Number(payload.entityId), ENTITY_TYPE: payload.entityType, COMMENT: payload.comment } },
    z.union([z.number(), z.string()]),
  );
}

export function registerTimelineJobs(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(TIMELINE_NOTE_JOB, {
    schema: z.object({ messageId: z.uuid(), document: documentSchema.optional() }),
    handle: ({ messageId, document }, ctx) => noteMessage(deps, messageId, document, ctx.job.attempts, ctx.job.maxAttempts),
  });
  registry.register(TIMELINE_COMMENT_JOB, { schema: commentPayloadSchema, handle: (payload) => postComment(deps, payload) });
}
