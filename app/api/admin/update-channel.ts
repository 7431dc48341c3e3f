import { Hono } from "hono";
import { z } from "zod";
import { channelView, updatePortalChannel } from "../../core/admin-channels.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";
import { capOverflow, channelName, credentialsObject, dailyCap, fallbackIds, paceJitterMs, paceMinMs } from "./channel-input.js";
import { adminBodyLimit, parseBody } from "./input.js";

const updateChannelBody = z
  .strictObject({
    name: channelName.optional(),
    paceMinMs: paceMinMs.optional(),
    paceJitterMs: paceJitterMs.optional(),
    credentials: credentialsObject.optional(),
    fallbacks: fallbackIds.optional(),
    dailyMessageCap: dailyCap.optional(),
    dailyNewChatCap: dailyCap.optional(),
    capOverflow: capOverflow.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), {
    error: "give at least one of name, paceMinMs, paceJitterMs, credentials, fallbacks, dailyMessageCap, dailyNewChatCap, capOverflow",
  });

/**
 * PATCH /api/channels/:id: name, pacing overrides (null = provider default), replacement
 * credentials, fallback channels in order, daily caps (null = none) and what a send over them does.
 */
export const updateChannel = new Hono<AdminEnv>().patch("/api/channels/:id", adminAuth, adminBodyLimit, async (c) => {
  const channel = await channelOfRequest(c);
  const changes = await parseBody(c, updateChannelBody);
  const updated = await updatePortalChannel(c.var.deps, channel, changes);
  return c.json({ ok: true as const, channel: await channelView(c.var.deps, updated.channel), ...(updated.warning ? { warning: updated.warning } : {}) });
});
