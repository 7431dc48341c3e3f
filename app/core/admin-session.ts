import { and, eq, gt, lte } from "drizzle-orm";
import type { z } from "zod";
import type { Db } from "../db/index.js";
import { adminSessions, portals } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { AppError } from "./errors.js";
import { generateToken, hashToken } from "./tokens.js";

/** Long enough for a settings page visit, short enough that a leaked token soon stops mattering. */
export const ADMIN_SESSION_TTL_MS = 3600_000;

export type AdminCrm = (typeof portals.$inferSelect)["crm"];

/** Who a CRM frame proved to be: an admin of one installed portal or account. */
export interface AdminIdentity {
  portalId: string;
  userId: string;
}

/** The portal an admin API call acts for, resolved from its bearer token. */
export interface AdminSession extends AdminIdentity {
  sessionId: string;
  crm: AdminCrm;
  expiresAt: Date;
}

/**
 * How one CRM's settings frame proves an admin: Bitrix24 hands the page the user's AUTH_ID,
 * amoCRM a signed widget token. Each verifier takes its own body shape and either names the
 * portal and user or throws `unauthorized` (not who they say) / `forbidden` (not an admin).
 */
export interface AdminSessionVerifier<S extends z.ZodType = z.ZodType> {
  crm: AdminCrm;
  /** true when the body is meant for this verifier (its distinguishing fields are present) */
  claims(body: Record<string, unknown>): boolean;
  schema: S;
  verify(deps: AppDeps, input: z.output<S>): Promise<AdminIdentity>;
}

/**
 * Issues a bearer token for an identity a verifier accepted. The token is random and only its
 * hash is stored with the expiry: a stored session can be revoked (portal uninstall cascades),
 * which a stateless signed token could not be without a deny list.
 */
export async function issueAdminSession(db: Db, identity: AdminIdentity, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(now.getTime() + ADMIN_SESSION_TTL_MS);
  // sessions end by expiry; pruning the portal's old ones here keeps the table at a few rows per portal
  await db.delete(adminSessions).where(and(eq(adminSessions.portalId, identity.portalId), lte(adminSessions.expiresAt, now)));
  await db.insert(adminSessions).values({
    portalId: identity.portalId,
    userId: identity.userId,
    tokenHash: await hashToken(token),
    expiresAt,
    createdAt: now,
  });
  return { token, expiresAt };
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The session a bearer token opens, if it is live and its portal still has the app installed
 * (an uninstalled or broken install must not keep admin access); `unauthorized` otherwise, with
 * one message for every reason so a caller learns nothing about other portals' tokens.
 */
export async function resolveAdminSession(db: Db, token: string, now: Date): Promise<AdminSession> {
  const refused = () => new AppError("unauthorized", "Missing, expired or unknown admin session: open the settings page again");
  if (!TOKEN_SHAPE.test(token)) throw refused();
  const [row] = await db
    .select({ session: adminSessions, crm: portals.crm })
    .from(adminSessions)
    .innerJoin(portals, eq(portals.id, adminSessions.portalId))
    .where(and(eq(adminSessions.tokenHash, await hashToken(token)), gt(adminSessions.expiresAt, now), eq(portals.status, "active")))
    .limit(1);
  if (!row) throw refused();
  return {
    sessionId: row.session.id,
    portalId: row.session.portalId,
    userId: row.session.userId,
    crm: row.crm,
    expiresAt: row.session.expiresAt,
  };
}
