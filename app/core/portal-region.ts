import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { portals } from "../db/schema.js";
import { AppError } from "./errors.js";
import { DEFAULT_PHONE_REGION, type PhoneRegion, toPhoneRegion } from "./phone.js";
import { portalTimeZone } from "./portal-time-zone.js";

/**
 * The region a phone number typed by a portal's users is read in (`portals.settings.region`,
 * ISO 3166 alpha-2). Portals installed before regions existed, and channels without a portal,
 * read numbers in Russia as they always did.
 */
export function portalRegion(portal: { settings: unknown } | null | undefined): PhoneRegion {
  const settings = portal?.settings;
  const stored = typeof settings === "object" && settings !== null ? (settings as { region?: unknown }).region : undefined;
  return toPhoneRegion(stored) ?? DEFAULT_PHONE_REGION;
}

/** portalRegion of a portal known by id (the admin API's session names only the id). */
export async function loadPortalRegion(db: Db, portalId: string): Promise<PhoneRegion> {
  const [row] = await db.select({ settings: portals.settings }).from(portals).where(eq(portals.id, portalId)).limit(1);
  return portalRegion(row);
}

/** What the settings pages show of a portal: the region numbers without country code are read in, and whether an admin or the install chose it. */
export interface PortalRegionView {
  crm: string;
  domain: string;
  region: PhoneRegion;
  /** true when nothing is stored and numbers fall back to RU */
  region_is_default: boolean;
  /** the IANA time zone the daily sending caps count days in */
  time_zone: string;
  /** true when none was chosen and it follows the region */
  time_zone_is_default: boolean;
}

function regionView(row: { crm: string; domain: string; settings: Record<string, unknown> }): PortalRegionView {
  const region = portalRegion(row);
  const zone = portalTimeZone(row.settings, region);
  return {
    crm: row.crm,
    domain: row.domain,
    region,
    region_is_default: toPhoneRegion(row.settings.region) === undefined,
    time_zone: zone.timeZone,
    time_zone_is_default: zone.isDefault,
  };
}

/** The portal's region as the settings pages show it; not_found once the portal is gone. */
export async function showPortalRegion(db: Db, portalId: string): Promise<PortalRegionView> {
  const [row] = await db.select().from(portals).where(eq(portals.id, portalId)).limit(1);
  if (!row) throw new AppError("not_found", "the portal is not installed");
  return regionView(row);
}

/**
 * An admin's choice of region and time zone. Merged into `settings` in one statement (`||` on jsonb), so the
 * other settings (the amojo id, the DP secret…) written concurrently are kept.
 */
export async function setPortalRegion(db: Db, portalId: string, choice: { region?: PhoneRegion; timeZone?: string }, now: Date): Promise<PortalRegionView> {
  const [row] = await db
    .update(portals)
    .set({ settings: sql`${portals.settings} || ${JSON.stringify(choice)}::jsonb`, updatedAt: now })
    .where(eq(portals.id, portalId))
    .returning();
  if (!row) throw new AppError("not_found", "the portal is not installed");
  return regionView(row);
}

/**
 * Bitrix24 `LANG` values that name a country's language; `en`, `la` (Spanish, Latin America),
 * `sc`/`tc` (Chinese) span many countries and say nothing.
 */
const BITRIX24_LANG_REGION: Record<string, PhoneRegion> = {
  ru: "RU",
  ua: "UA",
  by: "BY",
  kz: "KZ",
  uz: "UZ",
  de: "DE",
  br: "BR",
  pl: "PL",
  fr: "FR",
  it: "IT",
  tr: "TR",
  vn: "VN",
  ja: "JP",
  id: "ID",
  th: "TH",
};

/**
 * A Bitrix24 portal's region at install: the domain zone when it is a country's (`.by`, `.kz`,
 * `.ua`, `.uz`, `.ru`, `.de`…), otherwise (`.com`, `.eu`) the install's language, otherwise
 * undefined and numbers are read in Russia.
 */
export function bitrix24InstallRegion(domain: string, lang?: string): PhoneRegion | undefined {
  const host = domain.replace(/:\d+$/, "").toLowerCase();
  const zone = host.slice(host.lastIndexOf(".") + 1);
  const byZone = zone.length === 2 && zone !== "eu" ? toPhoneRegion(zone) : undefined;
  if (byZone) return byZone;
  return lang ? BITRIX24_LANG_REGION[lang.trim().toLowerCase()] : undefined;
}

/**
 * An amoCRM/Kommo account's region at install: the `country` `GET /api/v4/account` answers
 * ("Country specified in the account settings", developers.kommo.com/reference/account-parameters;
 * the docs' example is `"US"`, so an ISO 3166 alpha-2 code is what we take), otherwise amoCRM
 * (amocrm.ru) accounts are Russian and Kommo ones are left unset (read in Russia until the admin
 * sets one). A value that is not a country code we know is ignored, never a failed install.
 */
export function amocrmInstallRegion(platform: "amocrm" | "kommo", accountCountry?: unknown): PhoneRegion | undefined {
  return toPhoneRegion(accountCountry) ?? (platform === "amocrm" ? "RU" : undefined);
}
