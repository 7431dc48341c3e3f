import { Hono } from "hono";
import { z } from "zod";
import { channelView, createPortalChannel } from "../../core/admin-channels.js";
import { type AdminEnv, adminAuth } from "./auth.js";
import { channelName, credentialsObject } from "./channel-input.js";
import { adminBodyLimit, parseBody } from "./input.js";

const createChannelBody = z.object({
  provider: z.string().trim().min(1).max(32),
  name: channelName,
  messenger: z.enum(["whatsapp", "telegram"]).optional(),
  credentials: credentialsObject,
});

/**
 * POST /api/channels: creates a channel for the session's portal (credentials checked by the
 * provider's schema), issues its webhook API token and sets the provider's webhook where the
 * provider allows; a webhook that could not be set is a `warning`, the channel still exists.
 */
export const createChannelRoute = new Hono<AdminEnv>().post("/api/channels", adminAuth, adminBodyLimit, async (c) => {
  const body = await parseBody(c, createChannelBody);
  const { channel, warning } = await createPortalChannel(c.var.deps, c.var.admin.portalId, body);
  return c.json({ ok: true as const, channel: await channelView(c.var.deps, channel), ...(warning ? { warning } : {}) }, 201);
});
