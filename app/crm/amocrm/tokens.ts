import { and, eq, sql } from "drizzle-orm";
import type { Keyring } from "../../core/secrets.js";
import type { Db } from "../../db/index.js";
import { portals } from "../../db/schema.js";
import { AmoCrmReinstallNeededError } from "./errors.js";
import { type AmoPlatform, platformOf } from "./platform.js";
import { type AmoPortalRow, amocrmTokenContext, amoSettingsOf } from "./portal.js";

/** An account's usable REST credentials, decrypted. */
export interface AmoAuth {
  portalId: string;
  /** numeric account id (portals.externalId) */
  accountId: string;
  /** `https://example.amocrm.ru` */
  baseUrl: string;
  /** which registration's keys refresh the tokens (platform.ts integrationKeysOfAccount) */
  platform: AmoPlatform;
  clientId?: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: Date | null;
}

/** A pair from `/oauth2/access_token` (reference/amocrm.md 1.4). */
export interface AmoFreshTokens {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
}

/** The row locked for update (inside the caller's transaction): how instances take turns refreshing. */
export async function lockAmoPortal(tx: Db, portalId: string): Promise<AmoPortalRow | undefined> {
  const [row] = await tx
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "amocrm"), eq(portals.id, portalId)))
    .limit(1)
    .for("update");
  return row;
}

/** The account's facts around a token pair. */
function authOf(row: AmoPortalRow, tokens: Pick<AmoAuth, "accessToken" | "refreshToken" | "expiresAt">): AmoAuth {
  const { baseUrl, clientId } = amoSettingsOf(row);
  return { portalId: row.id, accountId: row.externalId, baseUrl, platform: platformOf(row), ...(clientId ? { clientId } : {}), ...tokens };
}

/** Decrypts a row's tokens; an account that is not active, or has none, can only be fixed by a reinstall. */
export async function decryptAmoAuth(keyring: Keyring, row: AmoPortalRow): Promise<AmoAuth> {
  if (row.status !== "active" || !row.accessTokenEnc || !row.refreshTokenEnc) {
    throw new AmoCrmReinstallNeededError(
      row.status === "uninstalled" ? "app_uninstalled" : "reinstall_needed",
      `amoCRM account ${row.domain} has no usable tokens (status ${row.status}): install the integration again`,
    );
  }
  return authOf(row, {
    accessToken: await keyring.decrypt(row.accessTokenEnc, amocrmTokenContext(row.externalId, "access")),
    refreshToken: await keyring.decrypt(row.refreshTokenEnc, amocrmTokenContext(row.externalId, "refresh")),
    expiresAt: row.tokenExpiresAt,
  });
}

/** The encrypted columns of a pair, bound to the account (the context names account and role). */
export async function encryptAmoTokens(keyring: Keyring, accountId: string, fresh: AmoFreshTokens) {
  return {
    accessTokenEnc: await keyring.encrypt(fresh.accessToken, amocrmTokenContext(accountId, "access")),
    refreshTokenEnc: await keyring.encrypt(fresh.refreshToken, amocrmTokenContext(accountId, "refresh")),
    tokenExpiresAt: fresh.expiresAt,
  };
}

/**
 * Stores a refreshed pair and ends the refresh lease. 1.4: the old refresh token is dead the
 * moment the new pair is issued, so this write happens before the pair is used.
 */
export async function storeAmoTokens(db: Db, keyring: Keyring, row: AmoPortalRow, fresh: AmoFreshTokens, now: Date): Promise<AmoAuth> {
  // a refresh that finishes after a disconnect must not put tokens back on the uninstalled row
  if (row.status !== "active") throw new AmoCrmReinstallNeededError("app_uninstalled", `amoCRM account ${row.domain} is ${row.status}: install the integration again`);
  await db
    .update(portals)
    .set({ ...(await encryptAmoTokens(keyring, row.externalId, fresh)), refreshLeaseUntil: null, updatedAt: now })
    .where(eq(portals.id, row.id));
  return authOf(row, fresh);
}

/** Tokens refused for good (1.4 "revoked", 6.2 pitfall 1): nothing works until the account installs again. */
export async function markAmoNeedsReinstall(db: Db, portalId: string, now: Date): Promise<void> {
  await db
    .update(portals)
    .set({ status: "needs_reinstall", refreshLeaseUntil: null, updatedAt: now })
    .where(and(eq(portals.id, portalId), eq(portals.status, "active")));
}

/** A settings patch merged into the row's jsonb (other keys stay). */
export function mergeSettings(patch: Record<string, string>) {
  return sql`${portals.settings} || ${JSON.stringify(patch)}::jsonb`;
}
