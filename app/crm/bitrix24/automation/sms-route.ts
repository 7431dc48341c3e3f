import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import type { AppEnv } from "../../../deps.js";
import { parseForm } from "../install.js";
import { bitrix24BodyLimit, readBracketBody } from "../routes/form-body.js";
import { SMS_SENDER_CODE } from "./registration.js";
import { readSmsSend } from "./send-request.js";
import { enqueueSmsRefused } from "./sms-status.js";
import { verifiedPortalOf } from "./verify-call.js";

/**
 * 6: the SMS handler POST. `message_to` / `message_body` are the message; the bizproc variant
 * also has them in `properties[phone_number]` / `properties[message_text]`, used when the
 * top-level ones are absent. `bindings[...]` (shape UNVERIFIED) is not needed to send.
 */
const smsCallSchema = z.object({
  message_id: z.string().min(1).max(200),
  code: z.string().optional(),
  type: z.string().optional(),
  message_to: z.string().optional(),
  message_body: z.string().optional(),
  properties: z.looseObject({ phone_number: z.string().optional(), message_text: z.string().optional() }).optional(),
});

/**
 * POST /b24/sms (6): a CRM "SMS" sent as a WhatsApp/Telegram message through the portal's
 * default channel (channel-choice.ts). The application_token is checked first (1.4); the
 * message is queued and the call answered at once; statuses go back with
 * `messageservice.message.status.update` (sms-status.ts). An SMS that cannot be queued (no
 * channel, bad number, empty text) is answered 200 and reported failed. The Bitrix message id
 * keys the message, so a repeated call sends nothing.
 */
export const bitrix24Sms = new Hono<AppEnv>().post("/b24/sms", bitrix24BodyLimit, async (c) => {
  const deps = c.var.deps;
  const form = await readBracketBody(c);
  const portal = await verifiedPortalOf(deps, form);
  const sms = parseForm(smsCallSchema, form);
  if (sms.code !== undefined && sms.code !== SMS_SENDER_CODE) throw new AppError("invalid_body", `code ${sms.code} is not this sender's`, { field: "code" });
  if (sms.type !== undefined && sms.type !== "SMS") throw new AppError("invalid_body", `type ${sms.type} is not supported (6: only SMS)`, { field: "type" });

  const send = await readSmsSend(deps, portal, sms);
  if (!send.ok) {
    const jobId = await enqueueSmsRefused(deps.db, portal.externalId, { portalId: portal.id, smsMessageId: sms.message_id, reason: send.error }, deps.clock.now(), deps.config.OUTBOX_MAX_ATTEMPTS);
    await deps.queue.wake([jobId]);
    deps.logger.warn("bitrix24: SMS not sendable", { member_id: portal.externalId, reason: send.error });
    return c.json({ ok: true, error: send.error });
  }
  const { channel, phone, text } = send;
  const { message, created } = await queueOutgoing(deps, {
    channel,
    peer: { phone },
    content: { type: "text", text },
    origin: "sms",
    dedupKey: `b24sms:${portal.externalId}:${sms.message_id}`,
    crmMessageId: sms.message_id,
  });
  return c.json({ ok: true, message_id: message.id, duplicate: !created });
});
