import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { findPortalChannel } from "../../core/admin-channels.js";
import { type AdminSession, resolveAdminSession } from "../../core/admin-session.js";
import type { Channel } from "../../core/channels.js";
import { AppError } from "../../core/errors.js";
import type { AppEnv } from "../../deps.js";

/** The admin API's context: AppEnv plus the session's portal. */
export interface AdminEnv {
  Variables: AppEnv["Variables"] & { admin: AdminSession };
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Authenticates every admin call before its input is read: `Authorization: Bearer <token>`
 * from POST /api/session. A header (not a cookie) so no other site can make a browser send it.
 */
export const adminAuth: MiddlewareHandler<AdminEnv> = async (c, next) => {
  const match = BEARER.exec(c.req.header("authorization") ?? "");
  if (!match) throw new AppError("unauthorized", "Authorization: Bearer <session token> is required");
  c.set("admin", await resolveAdminSession(c.var.deps.db, match[1]!, c.var.deps.clock.now()));
  await next();
};

const channelId = z.uuid();

/** The `:id` channel of the session's portal; a malformed id is just another unknown channel. */
export async function channelOfRequest(c: Context<AdminEnv>): Promise<Channel> {
  const id = c.req.param("id") ?? "";
  if (!channelId.safeParse(id).success) throw new AppError("not_found", "channel not found");
  return findPortalChannel(c.var.deps.db, c.var.admin.portalId, id);
}
