import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import type { AppEnv } from "../../../deps.js";
import { parseForm } from "../install.js";
import { bitrix24BodyLimit, readBracketBody } from "../routes/form-body.js";
import { ROBOT_HANDLER_CODES } from "./registration.js";
import { enqueueRobotReply } from "./robot-reply.js";
import { readRobotSend } from "./send-request.js";
import { verifiedPortalOf } from "./verify-call.js";

/** 5.2: the run itself. Without an event token there is nothing to answer, so that is a 400. */
const robotCallSchema = z.object({
  event_token: z.string().min(1).max(1000),
  code: z.string().optional(),
  workflow_id: z.string().optional(),
  /** 5.1: "N" = the process does not wait for bizproc.event.send */
  use_subscription: z.string().optional(),
});

/**
 * POST /b24/robots/:code (5.2): the robot or BP activity "Send WhatsApp/Telegram message".
 * The application_token is checked first (1.4). The message is queued and the call answered
 * at once; its first status answers the process (bizproc.event.send, 5.3, via
 * connector/report-status.ts). A run that cannot be sent (unknown channel, bad number) is
 * answered 200 too and its error sent back, so the process does not wait out its timeout.
 * Bitrix24 repeats calls: the event token keys the message, so a repeat sends nothing.
 */
export const bitrix24Robots = new Hono<AppEnv>().post("/b24/robots/:code", bitrix24BodyLimit, async (c) => {
  const deps = c.var.deps;
  const form = await readBracketBody(c);
  const portal = await verifiedPortalOf(deps, form);
  const code = c.req.param("code");
  if (!ROBOT_HANDLER_CODES.includes(code)) throw new AppError("not_found", `no robot ${code}`);
  const call = parseForm(robotCallSchema, form);
  if (call.code !== undefined && call.code !== code) throw new AppError("invalid_body", `code ${call.code} does not match the handler ${code}`, { field: "code" });
  const waits = call.use_subscription !== "N";
  const maxAttempts = deps.config.OUTBOX_MAX_ATTEMPTS;

  const send = await readRobotSend(deps, portal, form);
  if (!send.ok) {
    deps.logger.warn("bitrix24: robot run refused", { member_id: portal.externalId, reason: send.error });
    if (waits) {
      const reply = { kind: "refused" as const, portalId: portal.id, eventToken: call.event_token, error: send.error };
      const { jobId } = await enqueueRobotReply(deps.db, portal.externalId, call.event_token, reply, deps.clock.now(), maxAttempts);
      await deps.queue.wake([jobId]);
    }
    return c.json({ ok: true, error: send.error });
  }
  const { message, created } = await queueOutgoing(deps, {
    channel: send.channel,
    peer: { phone: send.phone },
    content: send.content,
    origin: "robot",
    dedupKey: `b24robot:${portal.externalId}:${call.event_token}`,
    // a process that does not wait gets no answer: without a CRM id no status job is written
    ...(waits ? { crmMessageId: call.event_token } : {}),
  });
  return c.json({ ok: true, message_id: message.id, duplicate: !created });
});
