import { Hono } from "hono";
import { z } from "zod";
import { messageStatusForWebhook } from "../../core/webhook-checks.js";
import { failureOf, sentViaOf } from "../../core/webhook-send.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";
import { chatId, country, parseParams, peerOf, phoneNumber, readParams, textParam } from "./params.js";

const checkMessageStatusParams = z.object({
  message_id: textParam(64),
  phone_number: phoneNumber,
  country,
  chat_id: chatId,
});

/**
 * GET|POST /rest/webhook/<wa|tg>/<token>/checkMessageStatus: the current status of a message
 * this channel sent, its history and, when it failed, why. OLChat requires the recipient's
 * phone_number with the id; a message of another channel or recipient is "not found".
 */
export const checkMessageStatus = new Hono<WebhookEnv>().on(
  ["GET", "POST"],
  `${WEBHOOK_ROUTE_PREFIX}/checkMessageStatus`,
  webhookAuth("checkMessageStatus"),
  async (c) => {
    const caller = c.var.webhook;
    const params = parseParams(checkMessageStatusParams, await readParams(c));
    const peer = peerOf(caller.kind, params, caller.region);
    const message = await messageStatusForWebhook(c.var.deps, caller, params.message_id, peer);
    // public codes and texts only: stored reasons can quote providers' answers (kept for admins)
    const failure = failureOf(message);
    const sentVia = await sentViaOf(c.var.deps, caller.channel, message);
    return c.json({
      ok: true as const,
      message_id: message.id,
      status: message.status,
      ...(peer.phone ? { phone_number: peer.phone } : { chat_id: peer.chatId }),
      send_to_imol: message.sendToImol,
      // the channel that sent it: this one, or a fallback of its group while this one could not
      ...(sentVia ? { sent_via: sentVia } : {}),
      history: message.statusHistory.map(({ status, at }) => ({ status, at })),
      error_code: failure?.code ?? null,
      error_message: failure?.message ?? null,
      created_at: message.createdAt.toISOString(),
      updated_at: message.updatedAt.toISOString(),
    });
  },
);
