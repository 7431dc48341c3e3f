import { Hono } from "hono";
import { z } from "zod";
import { listPortalMessages } from "../../core/message-listing.js";
import { type AdminEnv, adminAuth } from "./auth.js";
import { parseQuery } from "./input.js";

const listMessagesQuery = z.object({
  channel: z.uuid({ error: "must be a channel id" }).optional(),
  id: z.uuid({ error: "must be a message id" }).optional(),
  status: z.enum(["queued", "sent", "delivered", "read", "failed"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.uuid({ error: "must be a message id from next_before" }).optional(),
});

/**
 * GET /api/messages?channel=&id=&status=&limit=&before=: the portal's messages newest first, with
 * status history, error codes and the send job (so a dead one can be retried). A channel of
 * another portal simply has no messages here.
 */
export const listMessages = new Hono<AdminEnv>().get("/api/messages", adminAuth, async (c) => {
  const query = parseQuery(c, listMessagesQuery);
  const page = await listPortalMessages(c.var.deps.db, c.var.admin.portalId, {
    channelId: query.channel,
    messageId: query.id,
    status: query.status,
    limit: query.limit,
    before: query.before,
  });
  return c.json({
    ok: true as const,
    messages: page.items.map(({ message: m, sendJob }) => ({
      id: m.id,
      channel_id: m.channelId,
      direction: m.direction,
      origin: m.origin,
      peer: m.peer,
      body: m.body,
      file: m.file,
      status: m.status,
      status_history: m.statusHistory,
      error_code: m.errorCode,
      error_message: m.errorMessage,
      provider_message_id: m.providerMessageId,
      created_at: m.createdAt.toISOString(),
      send_job: sendJob ? { id: sendJob.id, status: sendJob.status, attempts: sendJob.attempts, last_error: sendJob.lastError } : null,
    })),
    next_before: page.nextBefore,
  });
});
