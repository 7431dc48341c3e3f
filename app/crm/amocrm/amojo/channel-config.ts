import type { Config } from "../../../config.js";
import { AmoCrmError } from "../errors.js";
import { type AmoPlatform, platformOf } from "../platform.js";
import type { AmoPortalRow } from "../portal.js";

/**
 * The chat channel amoCRM support registered for us (2.2): one per deployment and platform
 * (amoCRM, and Kommo when registered separately: KOMMO_CHAT_*), shared by every account.
 */
export interface AmojoChannel {
  channelId: string;
  secret: string;
  /** the channel bot's amojo user id: `sender.ref_id` of messages no manager wrote (2.2, 2.5) */
  botId?: string;
}

/** The channel that serves accounts of `platform`, or undefined when this server has none configured. */
export function amojoChannelFor(config: Config, platform: AmoPlatform): AmojoChannel | undefined {
  if (platform === "kommo" && config.KOMMO_CHAT_CHANNEL_ID && config.KOMMO_CHAT_CHANNEL_SECRET) {
    const botId = config.KOMMO_CHAT_BOT_ID;
    return { channelId: config.KOMMO_CHAT_CHANNEL_ID, secret: config.KOMMO_CHAT_CHANNEL_SECRET, ...(botId ? { botId } : {}) };
  }
  const channelId = config.AMOCRM_CHAT_CHANNEL_ID;
  const secret = config.AMOCRM_CHAT_CHANNEL_SECRET;
  if (!channelId || !secret) return undefined;
  return { channelId, secret, ...(config.AMOCRM_CHAT_BOT_ID ? { botId: config.AMOCRM_CHAT_BOT_ID } : {}) };
}

/**
 * The channel a hook on `scopeId` belongs to: 2.3 scope ids are `{channel_id}_{amojo account id}`,
 * so the prefix names the registration whose secret signs the hook.
 */
export function amojoChannelOfScope(config: Config, scopeId: string): AmojoChannel | undefined {
  const candidates = [amojoChannelFor(config, "amocrm"), amojoChannelFor(config, "kommo")].filter((c): c is AmojoChannel => c !== undefined);
  return candidates.find((c) => scopeId.startsWith(`${c.channelId}_`)) ?? candidates[0];
}

export const CHANNEL_NOT_CONFIGURED = "amocrm_chat_not_configured";

/**
 * The registered channel, for jobs: without one nothing can be sent, and retrying does not
 * change that. A known scope (a binding's) names the channel it was connected with (2.3 scope
 * ids start with the channel id), which stays the one to sign for even after the KOMMO_* keys
 * were added; a new connection takes the channel of the account's platform.
 */
export function requireAmojoChannel(config: Config, portal: Pick<AmoPortalRow, "domain" | "settings">, scopeId?: string): AmojoChannel {
  const configured = [amojoChannelFor(config, "amocrm"), amojoChannelFor(config, "kommo")].filter((c): c is AmojoChannel => c !== undefined);
  const channel = (scopeId ? configured.find((c) => scopeId.startsWith(`${c.channelId}_`)) : undefined) ?? amojoChannelFor(config, platformOf(portal));
  if (!channel) {
    throw new AmoCrmError(
      CHANNEL_NOT_CONFIGURED,
      "the amoCRM chat channel is not configured on this server (AMOCRM_CHAT_CHANNEL_ID and AMOCRM_CHAT_CHANNEL_SECRET)",
    );
  }
  return channel;
}

/** The chats host of an account (2.1, 6.1): Kommo accounts (`*.kommo.com`, legacy `*.amocrm.com`) have their own. */
export function amojoBaseUrl(config: Config, portal: Pick<AmoPortalRow, "domain" | "settings">): string {
  const url = platformOf(portal) === "kommo" ? config.KOMMO_AMOJO_URL : config.AMOCRM_AMOJO_URL;
  if (!url) throw new AmoCrmError(CHANNEL_NOT_CONFIGURED, "no amojo host is configured (AMOCRM_AMOJO_URL / KOMMO_AMOJO_URL)");
  return url;
}
