import { Hono } from "hono";
import { z } from "zod";
import { normalizePhone } from "../../core/phone.js";
import { checkPhoneViaWebhook } from "../../core/webhook-checks.js";
import { WEBHOOK_ROUTE_PREFIX, type WebhookEnv, webhookAuth } from "./auth.js";
import { country, parseParams, readParams, textParam } from "./params.js";

const checkPhoneParams = z.object({ phone_number: textParam(64), country });

/**
 * GET|POST /rest/webhook/<wa|tg>/<token>/checkPhone: whether the number has an account in the
 * channel's messenger. Limited to 3 calls per second: messengers ban numbers that probe many
 * contacts.
 */
export const checkPhone = new Hono<WebhookEnv>().on(["GET", "POST"], `${WEBHOOK_ROUTE_PREFIX}/checkPhone`, webhookAuth("checkPhone"), async (c) => {
  const params = parseParams(checkPhoneParams, await readParams(c));
  const phone = normalizePhone(params.phone_number, "phone_number", params.country ?? c.var.webhook.region);
  const { exists } = await checkPhoneViaWebhook(c.var.deps, c.var.webhook, phone);
  return c.json({ ok: true as const, phone_number: phone, exists });
});
