import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Hono } from "hono";
import { findChannelOfProviderHook, providerContext, providerOf } from "../../core/channels.js";
import { AppError } from "../../core/errors.js";
import { recordProviderEvents } from "../../core/messages/inbound.js";
import { storeQuarantinedHook } from "../../core/quarantine.js";
import type { AppEnv } from "../../deps.js";
import { ProviderPermanentError, WebhookPayloadError } from "../../providers/types.js";

/** Provider bodies are small JSON; anything far larger is not a webhook we expect. */
const MAX_BODY_BYTES = 1_000_000;

/**
 * POST /hooks/<provider>/<secret>: every provider's webhooks. The secret in the path names the
 * channel (only its hash is stored) and is checked before the body is read; providers with a
 * signature of their own verify it in parseWebhook. Events are stored once each, whatever the
 * provider's redeliveries, and the answer is 200 as soon as they are stored: CRM delivery runs
 * from the outbox. An authenticated body we cannot parse is kept in quarantine and answered
 * 200, so the provider stops redelivering it.
 */
export const providerHooks = new Hono<AppEnv>()
  /**
   * GET /hooks/<provider>/<secret>: a provider checking the URL before it sends anything (the
   * Cloud API's `hub.challenge`). Answered only for providers with such a handshake; the
   * provider decides the answer (its verify token), as plain text.
   */
  .get("/hooks/:provider/:secret", async (c) => {
    const deps = c.var.deps;
    const channel = await findChannelOfProviderHook(deps.db, c.req.param("provider"), c.req.param("secret"), deps.config.LOOKUP_CACHE_MS);
    if (!channel) throw new AppError("unauthorized", "unknown webhook URL");
    const provider = providerOf(channel);
    if (!provider.verifyWebhook) throw new AppError("not_found", "this provider's webhooks are POSTed");
    const answer = await provider.verifyWebhook(
      { method: "GET", headers: c.req.raw.headers, query: new URL(c.req.url).searchParams, body: "" },
      await providerContext(deps, channel),
    );
    return c.text(answer.body, answer.status as ContentfulStatusCode);
  })
  .post("/hooks/:provider/:secret", async (c) => {
  const deps = c.var.deps;
  const channel = await findChannelOfProviderHook(deps.db, c.req.param("provider"), c.req.param("secret"), deps.config.LOOKUP_CACHE_MS);
  if (!channel) throw new AppError("unauthorized", "unknown webhook URL");

  const body = await c.req.text();
  if (body.length > MAX_BODY_BYTES) throw new AppError("invalid_body", "webhook body is too large");
  const provider = providerOf(channel);
  const request = {
    method: c.req.method,
    headers: c.req.raw.headers,
    query: new URL(c.req.url).searchParams,
    body,
  };
  let events;
  try {
    events = await provider.parseWebhook(request, await providerContext(deps, channel));
  } catch (err) {
    if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") {
      throw new AppError("unauthorized", "webhook signature does not match");
    }
    if (!(err instanceof WebhookPayloadError)) throw err;
    await storeQuarantinedHook(deps.db, {
      channelId: channel.id,
      provider: channel.provider,
      contentType: c.req.header("content-type") ?? null,
      body,
      error: err.message,
    });
    deps.logger.warn("webhook quarantined", { channel: channel.id, provider: channel.provider, error: err.message });
    return c.json({ ok: true, quarantined: true });
  }
  const result = await recordProviderEvents(deps, channel, events);
  return c.json({ ok: true, stored: result.stored, duplicates: result.duplicates, statuses: result.statuses });
});
