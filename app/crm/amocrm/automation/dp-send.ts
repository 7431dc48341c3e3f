import { z } from "zod";
import { findChannel } from "../../../core/channels.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { noopWaker, PermanentError } from "../../../core/outbox/types.js";
import { crmNoteJob } from "../../../core/webhook-send.js";
import type { Db } from "../../../db/index.js";
import type { MessageTemplateRef } from "../../../db/schema.js";
import type { OutgoingContent } from "../../../providers/types.js";
import type { AmoCrmDeps } from "../deps.js";
import { findAmoPortalById } from "../portal.js";
import { lookupRecipientPhone } from "./recipient.js";
import { outgoingContentSchema, templateRefSchema } from "./send-settings.js";

export const DP_SEND_JOB = "amocrm.dp_send";

const dpSendPayloadSchema = z.object({
  portalId: z.uuid(),
  leadId: z.string().regex(/^\d+$/),
  channelId: z.uuid(),
  content: outgoingContentSchema,
  /** a template send: `content` is then its rendered text */
  template: templateRefSchema.optional(),
  /** `dp:<account>:<lead>:<event time>:<status>`: the message's dedup key */
  dedupKey: z.string().min(1),
});
export type DpSend = z.output<typeof dpSendPayloadSchema>;

export interface DpSendInput {
  portalId: string;
  leadId: string;
  channelId: string;
  content: OutgoingContent;
  template?: MessageTemplateRef;
  dedupKey: string;
}

/** Queues the send of one DP event; the same event posted again finds its job already there. */
export async function enqueueDpSend(db: Db, input: DpSendInput, now: Date, maxAttempts: number): Promise<{ jobId: string; created: boolean }> {
  const { job, created } = await enqueueJob(db, { kind: DP_SEND_JOB, payload: input, dedupKey: `${DP_SEND_JOB}:${input.dedupKey}`, maxAttempts }, now);
  return { jobId: job.id, created };
}

/**
 * The lead's main contact's phone, then one message (origin "dp") with the contact note in its
 * transaction. DP has nothing to continue (4.1), so a lead without a usable phone is a dead
 * letter the admin sees in the widget's job list, not a silent skip.
 */
async function sendForLead(deps: AmoCrmDeps, p: DpSend): Promise<void> {
  const portal = await findAmoPortalById(deps.db, p.portalId);
  if (!portal || portal.status !== "active") throw new PermanentError(`amoCRM account ${p.portalId} is not installed`, "account_unknown");
  const channel = await findChannel(deps.db, p.channelId);
  if (!channel || channel.portalId !== p.portalId) throw new PermanentError(`channel ${p.channelId} was removed`, "channel_removed");
  const recipient = await lookupRecipientPhone(deps, p.portalId, { kind: "leads", id: p.leadId });
  if (!recipient.ok) throw new PermanentError(`Digital Pipeline send for lead ${p.leadId}: ${recipient.error}`, "no_recipient");
  const { created } = await queueOutgoing(
    { ...deps, queue: noopWaker },
    {
      channel,
      peer: { phone: recipient.phone },
      content: p.content,
      ...(p.template ? { template: p.template } : {}),
      origin: "dp",
      dedupKey: p.dedupKey,
      extraJobs: (id) => [crmNoteJob("amocrm", id)],
    },
  );
  if (!created) deps.logger.info("amocrm: DP event already sent", { portal: p.portalId, lead: p.leadId });
}

export function registerDpSendJob(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(DP_SEND_JOB, { schema: dpSendPayloadSchema, handle: (p) => sendForLead(deps, p) });
}
