import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { AppError } from "../../core/errors.js";
import type { Keyring } from "../../core/secrets.js";
import { assertPublicUrl } from "../../core/ssrf.js";
import type { Db } from "../../db/index.js";
import { portals } from "../../db/schema.js";
import { Bitrix24ReinstallNeededError } from "./errors.js";

export type PortalRow = typeof portals.$inferSelect;

/** A portal's usable REST credentials, decrypted. */
export interface PortalAuth {
  portalId: string;
  memberId: string;
  domain: string;
  /** `https://<domain>/rest/` (or http on loopback test portals); always ends with `/` */
  clientEndpoint: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date | null;
}

/** Ciphertexts are bound to the portal's member_id and their role, so one cannot be moved to another row or field. */
export const tokenContext = (memberId: string, kind: "access" | "refresh" | "application") =>
  `bitrix24:${memberId}:${kind}_token`;

/** Bitrix24-specific facts kept in `portals.settings` (the table is shared with amoCRM). */
export const portalSettingsSchema = z.looseObject({
  clientEndpoint: z.string().optional(),
  scope: z.string().optional(),
  plan: z.string().optional(),
});

export function clientEndpointOf(row: Pick<PortalRow, "domain" | "settings">): string {
  const parsed = portalSettingsSchema.safeParse(row.settings);
  const stored = parsed.success ? parsed.data.clientEndpoint : undefined;
  return withSlash(stored ?? `https://${row.domain}/rest/`);
}

export function withSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

export async function findPortal(db: Db, memberId: string): Promise<PortalRow | undefined> {
  const [row] = await db
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "bitrix24"), eq(portals.externalId, memberId)))
    .limit(1);
  return row;
}

export async function findPortalById(db: Db, id: string): Promise<PortalRow | undefined> {
  const [row] = await db
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "bitrix24"), eq(portals.id, id)))
    .limit(1);
  return row;
}

/** The row locked for update (inside the caller's transaction): how instances take turns refreshing. */
export async function lockPortal(tx: Db, memberId: string): Promise<PortalRow | undefined> {
  const [row] = await tx
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "bitrix24"), eq(portals.externalId, memberId)))
    .limit(1)
    .for("update");
  return row;
}

/** Decrypts a row's tokens; a portal that is not active, or has none, can only be fixed by a reinstall. */
export async function decryptPortalAuth(keyring: Keyring, row: PortalRow): Promise<PortalAuth> {
  if (row.status !== "active" || !row.accessTokenEnc || !row.refreshTokenEnc) {
    throw new Bitrix24ReinstallNeededError(
      row.status === "uninstalled" ? "app_uninstalled" : "reinstall_needed",
      `Bitrix24 portal ${row.domain} has no usable tokens (status ${row.status}): reinstall the app`,
    );
  }
  const tokens = await decryptedTokens(keyring, row, row.accessTokenEnc, row.refreshTokenEnc);
  return {
    portalId: row.id,
    memberId: row.externalId,
    domain: row.domain,
    clientEndpoint: clientEndpointOf(row),
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: row.tokenExpiresAt,
  };
}

/**
 * A portal's tokens as last decrypted, with the ciphertexts they came from: every Open Lines
 * job calls the portal, and two AES-GCM decryptions per call were about 6% of the server's CPU
 * in the load bench's profile (bench/load.ts, BENCH_SERVER_NODE_ARGS=--cpu-prof).
 * A refresh writes new ciphertexts, so a changed pair is decrypted again; the same ciphertext
 * always decrypts to the same token, so a cached one is never stale.
 */
const decryptedPortals = new Map<string, { accessEnc: string; refreshEnc: string; accessToken: string; refreshToken: string }>();

async function decryptedTokens(keyring: Keyring, row: PortalRow, accessEnc: string, refreshEnc: string): Promise<{ accessToken: string; refreshToken: string }> {
  const known = decryptedPortals.get(row.id);
  if (known && known.accessEnc === accessEnc && known.refreshEnc === refreshEnc) return known;
  const fresh = {
    accessEnc,
    refreshEnc,
    accessToken: await keyring.decrypt(accessEnc, tokenContext(row.externalId, "access")),
    refreshToken: await keyring.decrypt(refreshEnc, tokenContext(row.externalId, "refresh")),
  };
  if (decryptedPortals.size >= 10_000) decryptedPortals.delete(decryptedPortals.keys().next().value!);
  decryptedPortals.set(row.id, fresh);
  return fresh;
}

export interface FreshTokens {
  /** the portal the OAuth server says the pair belongs to (2.1), when it says */
  memberId?: string | undefined;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  clientEndpoint: string;
  serverEndpoint?: string | undefined;
  scope?: string | undefined;
}

/** Stores a new token pair (encrypted) and where the portal now lives; returns the new credentials. */
export async function storeFreshTokens(db: Db, keyring: Keyring, row: PortalRow, fresh: FreshTokens, now: Date): Promise<PortalAuth> {
  const memberId = row.externalId;
  const endpoint = withSlash(fresh.clientEndpoint);
  const domain = new URL(endpoint).host;
  const settings: Record<string, string> = { clientEndpoint: endpoint };
  if (fresh.scope) settings.scope = fresh.scope;
  await db
    .update(portals)
    .set({
      domain,
      accessTokenEnc: await keyring.encrypt(fresh.accessToken, tokenContext(memberId, "access")),
      refreshTokenEnc: await keyring.encrypt(fresh.refreshToken, tokenContext(memberId, "refresh")),
      tokenExpiresAt: fresh.expiresAt,
      ...(fresh.serverEndpoint ? { serverEndpoint: fresh.serverEndpoint } : {}),
      settings: sql`${portals.settings} || ${JSON.stringify(settings)}::jsonb`,
      refreshLeaseUntil: null,
      updatedAt: now,
    })
    .where(eq(portals.id, row.id));
  return {
    portalId: row.id,
    memberId,
    domain,
    clientEndpoint: endpoint,
    accessToken: fresh.accessToken,
    refreshToken: fresh.refreshToken,
    expiresAt: fresh.expiresAt,
  };
}

export async function markNeedsReinstall(db: Db, portalId: string, now: Date): Promise<void> {
  await db.update(portals).set({ status: "needs_reinstall", updatedAt: now }).where(eq(portals.id, portalId));
}

/**
 * Where a portal's REST calls may go: an http(s) URL on a public host (the domain comes from
 * the install POST, which anyone can send), and plain http only for loopback test portals
 * (`PROTOCOL=0`, DESIGN.md "Config surface").
 */
export function assertPortalEndpoint(raw: string, allowLoopback: boolean): string {
  const url = assertPublicUrl(raw, { allowLoopback }, "client_endpoint");
  if (url.protocol === "http:" && !allowLoopback) {
    throw new AppError("invalid_parameter", "client_endpoint: Bitrix24 portals must use https", { field: "client_endpoint" });
  }
  return withSlash(url.toString());
}
