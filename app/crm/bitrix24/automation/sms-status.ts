import { z } from "zod";
import { enqueueJob } from "../../../core/outbox/enqueue.js";
import type { JobRegistry } from "../../../core/outbox/registry.js";
import type { Message } from "../../../core/messages/status.js";
import type { Db } from "../../../db/index.js";
import type { MessageStatus } from "../../../db/schema.js";
import { Bitrix24Client } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import type { Bitrix24Deps } from "../oauth.js";
import { findPortalById } from "../portal-auth.js";
import { SMS_SENDER_CODE } from "./registration.js";
import { portalOfMessage } from "./robot-reply.js";

export const SMS_REFUSED_JOB = "b24.sms_refused";

/** 6: the statuses `messageservice.message.status.update` takes. */
export type SmsStatus = "queued" | "sent" | "delivered" | "undelivered" | "failed";

/** 6 has no "read": a read message was delivered. */
const SMS_STATUS: Record<Exclude<MessageStatus, "queued">, SmsStatus> = { sent: "sent", delivered: "delivered", read: "delivered", failed: "failed" };

/**
 * 6: a status Bitrix24 will not take for the message now (one after a final status): retrying
 * cannot change that, and the status it holds is the better one.
 */
const STATUS_REFUSED = "ERROR_MESSAGE_STATUS_INCORRECT";

/** `messageservice.message.status.update` (6) with the portal's token: the sender's app, as 6 requires. */
async function updateSmsStatus(deps: Bitrix24Deps, memberId: string, smsMessageId: string, status: SmsStatus): Promise<void> {
  try {
    await new Bitrix24Client(deps, memberId).call("messageservice.message.status.update", { CODE: SMS_SENDER_CODE, MESSAGE_ID: smsMessageId, STATUS: status }, z.unknown());
  } catch (err) {
    if (!(err instanceof Bitrix24Error) || err.code !== STATUS_REFUSED) throw err;
    deps.logger.info("bitrix24: SMS status not taken by the portal", { member_id: memberId, status });
  }
}

/**
 * `crm.report_status` of a message sent for the SMS sender (connector/report-status.ts).
 * Read maps to delivered, so it is skipped when delivered was already reported.
 */
export async function reportSmsStatus(deps: Bitrix24Deps, message: Message, status: Exclude<MessageStatus, "queued">): Promise<void> {
  if (!message.crmMessageId) return;
  if (status === "read" && message.statusHistory.some((s) => s.status === "delivered")) return;
  const portal = await portalOfMessage(deps.db, message);
  await updateSmsStatus(deps, portal.externalId, message.crmMessageId, SMS_STATUS[status]);
}

const refusedPayloadSchema = z.object({ portalId: z.uuid(), smsMessageId: z.string().min(1), reason: z.string() });

/**
 * An SMS we could not even queue (no channel, unusable number) is reported failed by a job,
 * so the handler still answers at once; keyed by the Bitrix message id, so a repeated handler
 * call reports it once.
 */
export async function enqueueSmsRefused(db: Db, memberId: string, payload: z.output<typeof refusedPayloadSchema>, now: Date, maxAttempts: number): Promise<string> {
  const { job } = await enqueueJob(db, { kind: SMS_REFUSED_JOB, payload, dedupKey: `${SMS_REFUSED_JOB}:${memberId}:${payload.smsMessageId}`, maxAttempts }, now);
  return job.id;
}

export function registerSmsRefusedJob(registry: JobRegistry, deps: Bitrix24Deps): void {
  registry.register(SMS_REFUSED_JOB, {
    schema: refusedPayloadSchema,
    async handle({ portalId, smsMessageId, reason }) {
      const portal = await findPortalById(deps.db, portalId);
      if (!portal) throw new Bitrix24Error("portal_unknown", `portal ${portalId} no longer exists`);
      deps.logger.warn("bitrix24: SMS refused", { member_id: portal.externalId, reason });
      await updateSmsStatus(deps, portal.externalId, smsMessageId, "failed");
    },
  });
}
