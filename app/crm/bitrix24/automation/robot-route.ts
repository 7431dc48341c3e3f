import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import { MIRROR_OUTGOING_JOB, timelineNoteJob } from "../../../core/webhook-send.js";
import type { AppEnv } from "../../../deps.js";
import { parseForm } from "../install.js";
import { bitrix24BodyLimit, readBracketBody } from "../routes/form-body.js";
import { findActiveBinding } from "../connector/binding.js";
import { acceptCheckPhoneRun } from "./check-phone.js";
import { robotKindOf } from "./robot-definitions.js";
import { timelineDocumentOf } from "./timeline-note.js";
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
  /** 5.2: `["crm", "CCrmDocumentDeal", "DEAL_42"]`: the CRM item the robot runs on */
  document_id: z.array(z.string()).optional(),
});

/**
 * POST /b24/robots/:code (5.2): the robots and BP activities "Send WhatsApp/Telegram message",
 * "Send file" and "Check number" (robot-definitions.ts). The application_token is checked
 * first (1.4). A send is queued and the call answered at once; its first status answers the
 * process (bizproc.event.send, 5.3, via connector/report-status.ts). A check is done in a job
 * that answers the process (check-phone.ts). A run that cannot be done (unknown channel, bad
 * number) is answered 200 too and its error sent back, so the process does not wait out its
 * timeout. Bitrix24 repeats calls: the event token keys the message or check, so a repeat
 * does nothing.
 */
export const bitrix24Robots = new Hono<AppEnv>().post("/b24/robots/:code", bitrix24BodyLimit, async (c) => {
  const deps = c.var.deps;
  const form = await readBracketBody(c);
  const portal = await verifiedPortalOf(deps, form);
  const code = c.req.param("code");
  const kind = robotKindOf(code);
  if (!kind) throw new AppError("not_found", `no robot ${code}`);
  const call = parseForm(robotCallSchema, form);
  if (call.code !== undefined && call.code !== code) throw new AppError("invalid_body", `code ${call.code} does not match the handler ${code}`, { field: "code" });
  const waits = call.use_subscription !== "N";

  if (kind === "check_phone") {
    // a check nobody waits for has no effect: nothing is asked of the provider
    if (!waits) return c.json({ ok: true, error: "the process does not wait for the answer: nothing checked" });
    return c.json(await acceptCheckPhoneRun(deps, portal, form, call.event_token));
  }

  const send = await readRobotSend(deps, portal, form, kind);
  if (!send.ok) {
    deps.logger.warn("bitrix24: robot run refused", { member_id: portal.externalId, reason: send.error });
    if (waits) {
      const reply = { kind: "refused" as const, portalId: portal.id, eventToken: call.event_token, error: send.error };
      const { jobId } = await enqueueRobotReply(deps.db, portal.externalId, call.event_token, reply, deps.clock.now(), deps.config.OUTBOX_MAX_ATTEMPTS);
      await deps.queue.wake([jobId]);
    }
    return c.json({ ok: true, error: send.error });
  }
  // send_to_ol=Y on a channel bound to a line: the same mirror job as the webhook API's send_to_imol (section 4's bridge pattern)
  const mirror = send.sendToOpenLine && (await findActiveBinding(deps.db, send.channel.id)) !== undefined;
  const { message, created } = await queueOutgoing(deps, {
    channel: send.channel,
    peer: { phone: send.phone },
    content: send.content,
    origin: "robot",
    dedupKey: `b24robot:${portal.externalId}:${call.event_token}`,
    sendToImol: mirror,
    // a process that does not wait gets no answer: without a CRM id no status job is written
    ...(waits ? { crmMessageId: call.event_token } : {}),
    extraJobs: (m) => [
      ...(mirror ? [{ kind: MIRROR_OUTGOING_JOB, payload: { messageId: m.id }, dedupKey: `${MIRROR_OUTGOING_JOB}:${m.id}` }] : []),
      timelineNoteJob(m.id, timelineDocumentOf(call.document_id?.[2])),
    ],
  });
  return c.json({ ok: true, message_id: message.id, duplicate: !created });
});
