import { eq, sql } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import { phoneRegionSchema, toPhoneRegion } from "../../core/phone.js";
import { portalRegion } from "../../core/portal-region.js";
import { portals } from "../../db/schema.js";
import { type AdminEnv, adminAuth } from "./auth.js";
import { adminBodyLimit, parseBody } from "./input.js";

const portalBody = z.object({ region: phoneRegionSchema });

/** What the settings pages show of the session's portal: the region numbers without country code are read in. */
function portalAnswer(row: { crm: string; domain: string; settings: Record<string, unknown> }) {
  const stored = toPhoneRegion(row.settings.region);
  return { crm: row.crm, domain: row.domain, region: portalRegion(row), region_is_default: stored === undefined };
}

/**
 * GET /api/portal: the session's portal; PATCH /api/portal `{region}`: sets where phone
 * numbers typed without country code are read (webhook API, robots, Salesbot, test sends).
 */
export const portalSettings = new Hono<AdminEnv>()
  .get("/api/portal", adminAuth, async (c) => {
    const [row] = await c.var.deps.db.select().from(portals).where(eq(portals.id, c.var.admin.portalId)).limit(1);
    if (!row) throw new AppError("not_found", "the portal is not installed");
    return c.json({ ok: true as const, portal: portalAnswer(row) });
  })
  .patch("/api/portal", adminAuth, adminBodyLimit, async (c) => {
    const body = await parseBody(c, portalBody);
    const [row] = await c.var.deps.db
      .update(portals)
      .set({ settings: sql`${portals.settings} || ${JSON.stringify({ region: body.region })}::jsonb`, updatedAt: c.var.deps.clock.now() })
      .where(eq(portals.id, c.var.admin.portalId))
      .returning();
    if (!row) throw new AppError("not_found", "the portal is not installed");
    return c.json({ ok: true as const, portal: portalAnswer(row) });
  });
