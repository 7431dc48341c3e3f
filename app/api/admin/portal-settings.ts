import { Hono } from "hono";
import { z } from "zod";
import { phoneRegionSchema } from "../../core/phone.js";
import { setPortalRegion, showPortalRegion } from "../../core/portal-region.js";
import { type AdminEnv, adminAuth } from "./auth.js";
import { adminBodyLimit, parseBody } from "./input.js";

const portalBody = z.object({ region: phoneRegionSchema });

/**
 * GET /api/portal: the session's portal; PATCH /api/portal `{region}`: sets where phone
 * numbers typed without country code are read (webhook API, robots, Salesbot, test sends).
 */
export const portalSettings = new Hono<AdminEnv>()
  .get("/api/portal", adminAuth, async (c) => {
    return c.json({ ok: true as const, portal: await showPortalRegion(c.var.deps.db, c.var.admin.portalId) });
  })
  .patch("/api/portal", adminAuth, adminBodyLimit, async (c) => {
    const body = await parseBody(c, portalBody);
    const portal = await setPortalRegion(c.var.deps.db, c.var.admin.portalId, body.region, c.var.deps.clock.now());
    return c.json({ ok: true as const, portal });
  });
