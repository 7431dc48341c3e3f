import type { Config } from "../../config.js";
import { type AmoPortalRow, amoSettingsOf } from "./portal.js";

/**
 * amoCRM (amocrm.ru) and Kommo (kommo.com, legacy amocrm.com) share one API but register
 * integrations and chat channels per platform (reference/amocrm.md 6.1: "plan for two sets of
 * credentials", unverified whether one set serves both). A deployment sets the AMOCRM_* keys
 * and, when it has a separate Kommo registration, the KOMMO_* ones; without those the amoCRM
 * keys serve both platforms.
 */
export type AmoPlatform = "amocrm" | "kommo";

/** 2.1, 6.1: Kommo accounts live on `*.kommo.com` and the legacy `*.amocrm.com`. */
const KOMMO_HOST = /\.(kommo\.com|amocrm\.com)$/i;

/** 1.3 `platform`: "1" amocrm.ru, "2" amocrm.com / kommo.com. */
export function platformOfCode(code: string | undefined, host: string): AmoPlatform {
  if (code === "2") return "kommo";
  if (code === "1") return "amocrm";
  return KOMMO_HOST.test(host.replace(/:\d+$/, "")) ? "kommo" : "amocrm";
}

/** The platform of a stored account: what its install recorded, else its domain. */
export function platformOf(row: Pick<AmoPortalRow, "domain" | "settings">): AmoPlatform {
  return platformOfCode(amoSettingsOf(row).platform, row.domain);
}

/** An integration's OAuth keys (1.1): its id (`client_uuid` in tokens and hooks) and secret key. */
export interface IntegrationKeys {
  platform: AmoPlatform;
  clientId: string;
  clientSecret: string;
}

type KeyConfig = Pick<Config, "AMOCRM_CLIENT_ID" | "AMOCRM_CLIENT_SECRET" | "KOMMO_CLIENT_ID" | "KOMMO_CLIENT_SECRET">;

/** The keys that serve accounts of `platform`, or undefined when none are configured. */
export function integrationKeysFor(config: KeyConfig, platform: AmoPlatform): IntegrationKeys | undefined {
  if (platform === "kommo" && config.KOMMO_CLIENT_ID && config.KOMMO_CLIENT_SECRET) {
    return { platform, clientId: config.KOMMO_CLIENT_ID, clientSecret: config.KOMMO_CLIENT_SECRET };
  }
  if (config.AMOCRM_CLIENT_ID && config.AMOCRM_CLIENT_SECRET) {
    return { platform, clientId: config.AMOCRM_CLIENT_ID, clientSecret: config.AMOCRM_CLIENT_SECRET };
  }
  return undefined;
}

/**
 * The keys of a stored account: those of the integration it installed (settings.clientId), as
 * long as they are configured, so adding the KOMMO_* keys later does not move accounts installed
 * through the amoCRM registration; else those of its platform.
 */
export function integrationKeysOfAccount(config: KeyConfig, account: { platform: AmoPlatform; clientId?: string | undefined }): IntegrationKeys | undefined {
  const stored = account.clientId ? allIntegrationKeys(config).find((k) => k.clientId === account.clientId) : undefined;
  return stored ? { platform: account.platform, clientId: stored.clientId, clientSecret: stored.clientSecret } : integrationKeysFor(config, account.platform);
}

/**
 * Every configured set of keys, each once, with the platforms it serves: what a token or hook
 * that does not say its platform up front is checked against.
 */
export function allIntegrationKeys(config: KeyConfig): Array<IntegrationKeys & { serves: AmoPlatform[] }> {
  const amo = integrationKeysFor(config, "amocrm");
  const kommo = integrationKeysFor(config, "kommo");
  if (!amo && !kommo) return [];
  if (amo && kommo && amo.clientId === kommo.clientId && amo.clientSecret === kommo.clientSecret) return [{ ...amo, serves: ["amocrm", "kommo"] }];
  return [...(amo ? [{ ...amo, serves: ["amocrm" as const] }] : []), ...(kommo ? [{ ...kommo, serves: ["kommo" as const] }] : [])];
}
