import { z } from "zod";
import { type Channel, findChannel } from "../../../core/channels.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import { noopWaker } from "../../../core/outbox/types.js";
import { parsePhone } from "../../../core/phone.js";
import { portalRegion } from "../../../core/portal-region.js";
import { crmNoteJob } from "../../../core/webhook-send.js";
import type { ErrorCode } from "../../../core/errors.js";
import type { MessageTemplateRef } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { OutgoingContent } from "../../../providers/types.js";
import type { AmoCrmDeps } from "../deps.js";
import type { BotToken } from "../jwt.js";
import { entityRefOf, lookupRecipientPhone } from "./recipient.js";
import { enqueueSalesbotContinue, returnUrlKey } from "./salesbot-continue.js";
import { outgoingContentSchema, prepareSend, type SendSettings, templateRefSchema } from "./send-settings.js";

export const SALESBOT_RESOLVE_JOB = "amocrm.salesbot_resolve";

/**
 * What the step's `data` may carry (script.js puts channel, text, file_url and lead or customer
 * there; phone is optional; template, params and header_url make it a template send).
 */
export interface SalesbotData extends SendSettings {
  phone?: string | undefined;
  lead?: string | undefined;
  customer?: string | undefined;
}

export type StepOutcome = { ok: true; messageId?: string; duplicate?: boolean; resolving?: boolean } | { ok: false; error: string; code?: ErrorCode };

const resolvePayloadSchema = z.object({
  portalId: z.uuid(),
  returnUrl: z.string().min(1),
  channelId: z.uuid(),
  content: outgoingContentSchema,
  template: templateRefSchema.optional(),
  entity: z.object({ kind: z.enum(["leads", "customers", "contacts"]), id: z.string().regex(/^\d+$/) }),
});

/**
 * The step's one message: origin "salesbot", the `return_url` kept as its CRM id (crm.report_status
 * then knows where to continue), deduplicated by the step, with the contact note (crmNoteJob)
 * written in the same transaction.
 */
async function queueSalesbotSend(deps: AppDeps, channel: Channel, phone: string, send: { content: OutgoingContent; template?: MessageTemplateRef | undefined }, returnUrl: string) {
  return queueOutgoing(deps, {
    channel,
    peer: { phone },
    content: send.content,
    ...(send.template ? { template: send.template } : {}),
    origin: "salesbot",
    dedupKey: `salesbot:${await returnUrlKey(returnUrl)}`,
    crmMessageId: returnUrl,
    extraJobs: (id) => [crmNoteJob("amocrm", id)],
  });
}

async function refuse(deps: AppDeps, portalId: string, returnUrl: string, error: string, code?: ErrorCode): Promise<StepOutcome> {
  // the bot waits for its continuation: a step that cannot be done is continued with "fail" rather than left hanging
  // the bot reads `{{json.error}}`: the public code first, so a condition can test for it
  const said = code ? `${code}: ${error}` : error;
  const { jobId } = await enqueueSalesbotContinue(deps.db, returnUrl, { kind: "refused", portalId, returnUrl, error: said }, deps.clock.now(), deps.config.OUTBOX_MAX_ATTEMPTS);
  await deps.queue.wake([jobId]);
  deps.logger.info("amocrm: salesbot step refused", { portal: portalId, reason: error });
  return { ok: false, error, ...(code ? { code } : {}) };
}

/**
 * A verified `widget_request` (4.2) becomes one send. With a phone in `data`, the message is
 * queued now; otherwise the recipient is the main contact of the bot's entity (token
 * `entity_type`/`entity_id`, else `data.lead` / `data.customer`), looked up in a job so amoCRM gets its answer
 * within 2 s.
 */
export async function acceptSalesbotStep(deps: AppDeps, bot: BotToken, data: SalesbotData, returnUrl: string): Promise<StepOutcome> {
  const portalId = bot.portal.id;
  const prepared = await prepareSend(deps, portalId, data);
  if (!prepared.ok) return refuse(deps, portalId, returnUrl, prepared.error, prepared.code);
  if (data.phone !== undefined && data.phone.trim() !== "") {
    const phone = parsePhone(data.phone, portalRegion(bot.portal));
    if (!phone.ok) return refuse(deps, portalId, returnUrl, `phone: ${phone.reason}`);
    const { message, created } = await queueSalesbotSend(deps, prepared.channel, phone.phone, prepared, returnUrl);
    return { ok: true, messageId: message.id, duplicate: !created };
  }
  const entity = entityRefOf(bot.entityType, bot.entityId) ?? entityRefOf("lead", data.lead) ?? entityRefOf("customer", data.customer);
  if (!entity) return refuse(deps, portalId, returnUrl, "no recipient: the bot runs on no lead or contact and data.phone is empty");
  const payload: z.input<typeof resolvePayloadSchema> = {
    portalId,
    returnUrl,
    channelId: prepared.channel.id,
    content: prepared.content,
    ...(prepared.template ? { template: prepared.template } : {}),
    entity,
  };
  const { job } = await enqueueJob(
    deps.db,
    { kind: SALESBOT_RESOLVE_JOB, payload, dedupKey: `${SALESBOT_RESOLVE_JOB}:${await returnUrlKey(returnUrl)}`, maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS },
    deps.clock.now(),
  );
  await deps.queue.wake([job.id]);
  return { ok: true, resolving: true };
}

type ResolvePayload = z.output<typeof resolvePayloadSchema>;

async function continueWithFail(deps: AmoCrmDeps, p: ResolvePayload, error: string): Promise<void> {
  await enqueueSalesbotContinue(deps.db, p.returnUrl, { kind: "refused", portalId: p.portalId, returnUrl: p.returnUrl, error }, deps.clock.now(), deps.config.OUTBOX_MAX_ATTEMPTS);
}

/** The looked-up recipient, then the same send as with a phone in `data`; a failed lookup continues the bot with "fail". */
async function resolveAndSend(deps: AmoCrmDeps, p: ResolvePayload): Promise<void> {
  const channel = await findChannel(deps.db, p.channelId);
  if (!channel || channel.portalId !== p.portalId) return continueWithFail(deps, p, "the channel was removed");
  const recipient = await lookupRecipientPhone(deps, p.portalId, p.entity);
  if (!recipient.ok) return continueWithFail(deps, p, recipient.error);
  // inside a job: the processor running it picks the new send job up, no waker needed
  await queueSalesbotSend({ ...deps, queue: noopWaker }, channel, recipient.phone, p, p.returnUrl);
}

export function registerSalesbotResolveJob(registry: JobRegistry, deps: AmoCrmDeps): void {
  registry.register(SALESBOT_RESOLVE_JOB, {
    schema: resolvePayloadSchema,
    handle: (p) => resolveAndSend(deps, p),
    // amoCRM unreachable for all the attempts: the bot still gets its answer
    onDead: (p, error) => continueWithFail(deps, p, `the recipient could not be looked up: ${error}`),
  });
}

