import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../db/index.js";
import { portals } from "../../db/schema.js";

export type AmoPortalRow = typeof portals.$inferSelect;

/**
 * An amoCRM (or Kommo) account is a `portals` row with crm "amocrm":
 * - externalId: the numeric account id as a string (REST, JWTs, disconnect hook: reference/amocrm.md 6.2/10)
 * - domain: the account host from the OAuth `referer` (`example.amocrm.ru`, `example.kommo.com`;
 *   `127.0.0.1:<port>` only for loopback fakes under OUTBOUND_ALLOW_LOOPBACK)
 * - accessTokenEnc / refreshTokenEnc / tokenExpiresAt / refreshLeaseUntil: as for Bitrix24,
 *   encrypted with the context `amocrmTokenContext(accountId, kind)`
 * - settings: the facts below.
 */
export const amoPortalSettingsSchema = z.looseObject({
  /** `https://example.amocrm.ru` (no trailing slash): where REST v4 and /oauth2 are called */
  baseUrl: z.string(),
  /** the account's amojo id (UUID) from `GET /api/v4/account?with=amojo_id`: the Chats API's account_id */
  amojoId: z.string().optional(),
  subdomain: z.string().optional(),
  /** "1" amocrm.ru, "2" kommo.com / amocrm.com (OAuth redirect `platform`) */
  platform: z.string().optional(),
  /** the integration (client id) the account granted access to: its keys refresh the tokens and verify its widget tokens */
  clientId: z.string().optional(),
  /** Digital Pipeline secret (encrypted, context `amocrm:<account>:dp_secret`), filled into DP action settings by the widget */
  dpSecretEnc: z.string().optional(),
  /** ISO 3166 alpha-2 region phone numbers typed without country code are read in (core/portal-region.ts) */
  region: z.string().optional(),
});
export type AmoPortalSettings = z.output<typeof amoPortalSettingsSchema>;

/** Ciphertexts are bound to the account and their role, so one cannot be moved to another row or field. */
export const amocrmTokenContext = (accountId: string, kind: "access" | "refresh" | "dp_secret") => `amocrm:${accountId}:${kind}`;

export function amoSettingsOf(row: Pick<AmoPortalRow, "settings" | "domain">): AmoPortalSettings {
  const parsed = amoPortalSettingsSchema.safeParse(row.settings);
  return parsed.success ? parsed.data : { baseUrl: `https://${row.domain}` };
}

export async function findAmoAccount(db: Db, accountId: string): Promise<AmoPortalRow | undefined> {
  const [row] = await db
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "amocrm"), eq(portals.externalId, accountId)))
    .limit(1);
  return row;
}

export async function findAmoPortalById(db: Db, id: string): Promise<AmoPortalRow | undefined> {
  const [row] = await db
    .select()
    .from(portals)
    .where(and(eq(portals.crm, "amocrm"), eq(portals.id, id)))
    .limit(1);
  return row;
}
