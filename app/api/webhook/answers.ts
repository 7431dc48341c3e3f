import type { Context } from "hono";
import { ERROR_STATUS } from "../../core/errors.js";
import type { Message } from "../../core/messages/status.js";
import { failureOf, sentViaOf } from "../../core/webhook-send.js";
import type { WebhookEnv } from "./auth.js";

/**
 * The answer to sendText/sendFile: `{ok:true,message_id,status,sent_via}` while the message is on its
 * way, or the error shape with the provider's verdict when it failed (known at once for a
 * repeated request_id, or within `wait`). A failure keeps message_id and status so the caller
 * can still look the message up.
 */
export async function messageAnswer(c: Context<WebhookEnv>, message: Message): Promise<Response> {
  const failure = failureOf(message);
  // which channel sent it (a fallback of the group when the channel could not), once one has;
  // absent while the message waits
  const sentVia = await sentViaOf(c.var.deps, c.var.webhook.channel, message);
  if (failure) {
    return c.json(
      {
        ok: false as const,
        error: failure.code,
        message: failure.message,
        request_id: c.var.requestId,
        message_id: message.id,
        status: message.status,
        ...(sentVia ? { sent_via: sentVia } : {}),
      },
      ERROR_STATUS[failure.code],
    );
  }
  return c.json({ ok: true as const, message_id: message.id, status: message.status, ...(sentVia ? { sent_via: sentVia } : {}) });
}
