import { Hono } from "hono";
import { channelView } from "../../core/admin-channels.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";

/** GET /api/channels/:id */
export const getChannel = new Hono<AdminEnv>().get("/api/channels/:id", adminAuth, async (c) => {
  const channel = await channelOfRequest(c);
  return c.json({ ok: true as const, channel: await channelView(c.var.deps, channel) });
});
