import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { sendViaWebhook } from "../../core/webhook-send.js";
import { messageAnswer } from "./answers.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";
import { chatId, country, parseParams, peerOf, phoneNumber, readParams, requestId, waitSeconds, ifCapped, yesNo } from "./params.js";

/** WhatsApp caps a text at 65,536 characters, Telegram at 4,096 (reference/providers.md). */
export const MAX_TEXT = { wa: 65_536, tg: 4_096 } as const;

const sendTextParams = z.object({
  phone_number: phoneNumber,
  country,
  chat_id: chatId,
  // the text is sent as written: leading spaces and trailing newlines are the author's
  body: z.string().max(MAX_TEXT.wa, { error: `must be at most ${MAX_TEXT.wa} characters` }),
  send_to_imol: yesNo,
  request_id: requestId,
  wait: waitSeconds,
  if_capped: ifCapped,
});

/** GET|POST /rest/webhook/<wa|tg>/<token>/sendText: queues a text message to phone_number (or chat_id). */
export const sendText = new Hono<WebhookEnv>().on(["GET", "POST"], `${WEBHOOK_ROUTE_PREFIX}/sendText`, webhookAuth("sendText"), async (c) => {
  const caller = c.var.webhook;
  const params = parseParams(sendTextParams, await readParams(c));
  if (params.body.length > MAX_TEXT[caller.kind]) {
    throw new AppError("invalid_parameter", `body: must be at most ${MAX_TEXT[caller.kind]} characters`, { field: "body" });
  }
  const message = await sendViaWebhook(c.var.deps, {
    caller,
    peer: peerOf(caller.kind, params, caller.region),
    content: async () => ({ type: "text", text: params.body }),
    sendToImol: params.send_to_imol,
    requestId: params.request_id,
    waitSeconds: params.wait,
    ifCapped: params.if_capped,
  });
  return messageAnswer(c, message);
});
