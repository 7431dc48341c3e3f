import { Hono } from "hono";
import { z } from "zod";
import { listChannelEvents } from "../../core/channel-group.js";
import { AppError } from "../../core/errors.js";
import { type AdminEnv, adminAuth, channelOfRequest } from "./auth.js";

const query = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/** GET /api/channels/:id/events?limit=: what happened to the channel (failovers, recoveries, caps reached), newest first. */
export const channelEventsRoute = new Hono<AdminEnv>().get("/api/channels/:id/events", adminAuth, async (c) => {
  const channel = await channelOfRequest(c);
  const parsed = query.safeParse(c.req.query());
  if (!parsed.success) throw new AppError("invalid_parameter", "limit: must be a whole number from 1 to 200", { field: "limit" });
  return c.json({ ok: true as const, events: await listChannelEvents(c.var.deps.db, channel.id, parsed.data.limit) });
});
