import { Hono } from "hono";
import { z } from "zod";
import { queueOutgoing } from "../../core/messages/outgoing.js";
import { normalizePhone } from "../../core/phone.js";
import { loadPortalRegion } from "../../core/portal-region.js";
import { assertChannelCanSend } from "../../core/webhook-send.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { adminBodyLimit, parseBody } from "./input.js";

const DEFAULT_TEXT = "Test message from chatbridge: the channel works.";

const sendTestBody = z.object({
  phone: z.string().trim().min(1).max(64),
  text: z.string().trim().min(1).max(4_096).optional(),
  /** the page's id for this click, so a double submit sends once */
  request_id: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: "must be 1-128 letters, digits or ._:-" }).optional(),
});

/**
 * POST /api/channels/:id/test `{phone, text?, request_id?}`: queues a message through the
 * normal outgoing path (job, pacing, status tracking), so a passing test means real sends work.
 */
export const sendTest = new Hono<AdminEnv>().post("/api/channels/:id/test", adminAuth, adminBodyLimit, async (c) => {
  const channel = await channelOfRequest(c);
  const body = await parseBody(c, sendTestBody);
  const phone = normalizePhone(body.phone, "phone", await loadPortalRegion(c.var.deps.db, c.var.admin.portalId));
  assertChannelCanSend(channel);
  const { message, created } = await queueOutgoing(c.var.deps, {
    channel,
    peer: { phone },
    content: { type: "text", text: body.text ?? DEFAULT_TEXT },
    origin: "admin",
    dedupKey: `admin:${channel.id}:${body.request_id ?? crypto.randomUUID()}`,
  });
  return c.json({ ok: true as const, message_id: message.id, status: message.status, repeated: !created }, created ? 201 : 200);
});
