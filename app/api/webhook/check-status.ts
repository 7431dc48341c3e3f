import { Hono } from "hono";
import { channelStatusForWebhook } from "../../core/webhook-checks.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";

/**
 * GET|POST /rest/webhook/<wa|tg>/<token>/checkStatus: the channel's state as the provider
 * reports it now (connected, qr_required, connecting, banned, unauthorized, unknown) and how
 * many outgoing messages wait in its queue. Takes no parameters.
 */
export const checkStatus = new Hono<WebhookEnv>().on(["GET", "POST"], `${WEBHOOK_ROUTE_PREFIX}/checkStatus`, webhookAuth("checkStatus"), async (c) => {
  const caller = c.var.webhook;
  const status = await channelStatusForWebhook(c.var.deps, caller);
  return c.json({
    ok: true as const,
    state: status.state,
    ...(status.detail ? { detail: status.detail } : {}),
    messenger: caller.channel.messenger,
    queued_messages: status.queued,
    checked_at: status.checkedAt.toISOString(),
  });
});
