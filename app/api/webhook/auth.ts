import type { MiddlewareHandler } from "hono";
import { AppError } from "../../core/errors.js";
import { CHECK_PHONE_LIMIT, hitRateLimit, WEBHOOK_API_LIMIT } from "../../core/rate-limit.js";
import { lookupWebhookToken, type WebhookCaller } from "../../core/webhook-tokens.js";
import type { AppEnv } from "../../deps.js";

export const WEBHOOK_METHODS = ["sendText", "sendFile", "sendTemplate", "sendForm", "checkPhone", "checkStatus", "checkMessageStatus"] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

/** The public webhook API's context: AppEnv plus the authenticated caller. */
export interface WebhookEnv {
  Variables: AppEnv["Variables"] & { webhook: WebhookCaller };
}

export const WEBHOOK_ROUTE_PREFIX = "/rest/webhook/:kind/:token";

/**
 * OLChat's limits (seed 001), counted per token in Postgres so they hold across instances:
 * checkPhone has its own, tighter bucket because WhatsApp bans numbers that probe many
 * contacts; every other method shares one.
 */
function limitOf(method: WebhookMethod) {
  return method === "checkPhone"
    ? { bucket: "checkPhone", rule: CHECK_PHONE_LIMIT, text: "3 checkPhone requests per second" }
    : { bucket: "api", rule: WEBHOOK_API_LIMIT, text: "5 requests per 3 seconds" };
}

/**
 * Authenticates a webhook API call before anything else is read: the token in the path
 * names the channel (only its hash is stored), then the call is counted against the token's
 * rate limit. Sets `c.var.webhook`.
 */
export function webhookAuth(method: WebhookMethod): MiddlewareHandler<WebhookEnv> {
  return async (c, next) => {
    // Hono answers HEAD through GET routes; a HEAD (link previews, uptime checkers) must never send.
    if (c.req.method === "HEAD") return c.body(null, 405, { Allow: "GET, POST" });
    const { db, clock } = c.var.deps;
    const caller = await lookupWebhookToken(db, c.req.param("kind") ?? "", c.req.param("token") ?? "", c.var.deps.config.LOOKUP_CACHE_MS);
    if (caller.token.scopes.length > 0 && !caller.token.scopes.includes(method)) {
      throw new AppError("forbidden", `this webhook token may not call ${method}`);
    }
    const limit = limitOf(method);
    const decision = await hitRateLimit(db, `webhook:${caller.token.id}:${limit.bucket}`, limit.rule, clock.now());
    if (!decision.allowed) {
      throw new AppError("rate_limited", `Too many requests: at most ${limit.text} per webhook`, {
        retryAfterMs: decision.retryAfterMs,
      });
    }
    c.set("webhook", caller);
    await next();
  };
}
