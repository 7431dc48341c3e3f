import { Hono } from "hono";
import { z } from "zod";
import { phoneRegionSchema } from "../../core/phone.js";
import { setPortalRegion, showPortalRegion } from "../../core/portal-region.js";
import { isTimeZone } from "../../core/portal-time-zone.js";
import { type AdminEnv, adminAuth } from "./auth.js";
import { adminBodyLimit, parseBody } from "./input.js";

const portalBody = z
  .strictObject({
    region: phoneRegionSchema.optional(),
    timeZone: z.string().refine(isTimeZone, { error: "must be an IANA time zone such as Europe/Moscow" }).optional(),
  })
  // an empty body names region, the field the settings pages always send
  .refine((b) => b.region !== undefined || b.timeZone !== undefined, { error: "give region, timeZone or both", path: ["region"] });

/**
 * GET /api/portal: the session's portal; PATCH /api/portal `{region, timeZone}`: sets where phone
 * numbers typed without country code are read (webhook API, robots, Salesbot, test sends), and
 * the time zone the daily sending caps count days in (both optional, at least one).
 */
export const portalSettings = new Hono<AdminEnv>()
  .get("/api/portal", adminAuth, async (c) => {
    return c.json({ ok: true as const, portal: await showPortalRegion(c.var.deps.db, c.var.admin.portalId) });
  })
  .patch("/api/portal", adminAuth, adminBodyLimit, async (c) => {
    const body = await parseBody(c, portalBody);
    const choice = { ...(body.region ? { region: body.region } : {}), ...(body.timeZone ? { timeZone: body.timeZone } : {}) };
    const portal = await setPortalRegion(c.var.deps.db, c.var.admin.portalId, choice, c.var.deps.clock.now());
    return c.json({ ok: true as const, portal });
  });
