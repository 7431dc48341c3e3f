import { Hono } from "hono";
import { AppError } from "../../core/errors.js";
import { ensureDpSecret } from "../../crm/amocrm/automation/dp-secret.js";
import { findAmoPortalById } from "../../crm/amocrm/portal.js";
import { type AdminEnv, adminAuth } from "./auth.js";

/**
 * GET /api/amocrm/dp-secret: the account's Digital Pipeline secret, for the widget's
 * `dpSettings` to put into the DP action's hidden `secret` field (reference/amocrm.md 4.1: the
 * DP hook carries no signature, so the secret in the action's settings is what proves a call
 * came from the account's pipeline). amoCRM admin sessions only.
 */
export const amocrmDpSecret = new Hono<AdminEnv>().get("/api/amocrm/dp-secret", adminAuth, async (c) => {
  if (c.var.admin.crm !== "amocrm") throw new AppError("unsupported", "The Digital Pipeline secret belongs to amoCRM accounts");
  const portal = await findAmoPortalById(c.var.deps.db, c.var.admin.portalId);
  if (!portal) throw new AppError("not_found", "the account is not installed");
  c.header("Cache-Control", "no-store");
  return c.json({ ok: true as const, secret: await ensureDpSecret(c.var.deps, portal) });
});
