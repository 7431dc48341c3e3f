import { Hono } from "hono";
import { z } from "zod";
import { probeRemoteFile } from "../../core/remote-file.js";
import { assertPublicUrl } from "../../core/ssrf.js";
import { assertCanSendFileByUrl, sendViaWebhook } from "../../core/webhook-send.js";
import { messageAnswer } from "./answers.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";
import { chatId, country, parseParams, peerOf, phoneNumber, readParams, requestId, textParam, waitSeconds, ifCapped, yesNo } from "./params.js";

const sendFileParams = z.object({
  phone_number: phoneNumber,
  country,
  chat_id: chatId,
  /** OLChat names the file link `body` */
  body: z.string().trim().max(2048, { error: "must be at most 2048 characters" }),
  // WhatsApp and Telegram both cut media captions at 1,024 characters
  caption: textParam(1024).optional(),
  send_to_imol: yesNo,
  request_id: requestId,
  wait: waitSeconds,
  if_capped: ifCapped,
});

/**
 * GET|POST /rest/webhook/<wa|tg>/<token>/sendFile: queues a file given by a direct public
 * link. The link must pass the SSRF guard and answer with a file of acceptable size before
 * the message is accepted; the provider downloads it itself.
 */
export const sendFile = new Hono<WebhookEnv>().on(["GET", "POST"], `${WEBHOOK_ROUTE_PREFIX}/sendFile`, webhookAuth("sendFile"), async (c) => {
  const caller = c.var.webhook;
  const deps = c.var.deps;
  const params = parseParams(sendFileParams, await readParams(c));
  const policy = { allowLoopback: deps.config.OUTBOUND_ALLOW_LOOPBACK };
  assertPublicUrl(params.body, policy, "body");
  assertCanSendFileByUrl(caller.channel);
  const peer = peerOf(caller.kind, params, caller.region);
  const message = await sendViaWebhook(deps, {
    caller,
    peer,
    // probed only when a new message is queued: a repeated request_id answers without a download
    content: async () => {
      const file = await probeRemoteFile(params.body, { fetch: deps.fetch, policy, field: "body" });
      return {
        type: "file",
        url: file.url,
        ...(file.name ? { name: file.name } : {}),
        ...(file.mime ? { mime: file.mime } : {}),
        ...(params.caption ? { caption: params.caption } : {}),
      };
    },
    sendToImol: params.send_to_imol,
    requestId: params.request_id,
    waitSeconds: params.wait,
    ifCapped: params.if_capped,
  });
  return messageAnswer(c, message);
});
