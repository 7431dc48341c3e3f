import { Hono } from "hono";
import { channelView, listPortalChannels } from "../../core/admin-channels.js";
import { type AdminEnv, adminAuth } from "./auth.js";

/** GET /api/channels: the session portal's live channels, without credentials. */
export const listChannels = new Hono<AdminEnv>().get("/api/channels", adminAuth, async (c) => {
  const rows = await listPortalChannels(c.var.deps.db, c.var.admin.portalId);
  return c.json({ ok: true as const, channels: await Promise.all(rows.map((row) => channelView(c.var.deps, row))) });
});
