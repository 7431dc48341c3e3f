import { eq } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { portals } from "../db/schema.js";
import { DEFAULT_PHONE_REGION, type PhoneRegion, toPhoneRegion } from "./phone.js";

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
 * amoCRM accounts (amocrm.ru) are Russian; Kommo ones (kommo.com) are worldwide and neither the
 * OAuth grant nor `GET /api/v4/account` names a country, so they are left unset (read in Russia
 * until the admin sets one).
 */
export function amocrmInstallRegion(platform: "amocrm" | "kommo"): PhoneRegion | undefined {
  return platform === "amocrm" ? "RU" : undefined;
}
