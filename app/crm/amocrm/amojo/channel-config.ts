import type { Config } from "../../../config.js";
import { AmoCrmError } from "../errors.js";
import type { AmoPortalRow } from "../portal.js";

/** The chat channel amoCRM support registered for us (2.2): one per deployment, shared by every account. */
export interface AmojoChannel {
  channelId: string;
  secret: string;
  /** the channel bot's amojo user id: `sender.ref_id` of messages no manager wrote (2.2, 2.5) */
  botId?: string;
}

/** The registered channel, or undefined when this server has none configured. */
export function amojoChannelOf(config: Config): AmojoChannel | undefined {
  const channelId = config.AMOCRM_CHAT_CHANNEL_ID;
  const secret = config.AMOCRM_CHAT_CHANNEL_SECRET;
  if (!channelId || !secret) return undefined;
  return { channelId, secret, ...(config.AMOCRM_CHAT_BOT_ID ? { botId: config.AMOCRM_CHAT_BOT_ID } : {}) };
}

export const CHANNEL_NOT_CONFIGURED = "amocrm_chat_not_configured";

/** The registered channel, for jobs: without one nothing can be sent, and retrying does not change that. */
export function requireAmojoChannel(config: Config): AmojoChannel {
  const channel = amojoChannelOf(config);
  if (!channel) {
    throw new AmoCrmError(
      CHANNEL_NOT_CONFIGURED,
      "the amoCRM chat channel is not configured on this server (AMOCRM_CHAT_CHANNEL_ID and AMOCRM_CHAT_CHANNEL_SECRET)",
    );
  }
  return channel;
}

/** 2.1, 6.1: Kommo accounts (`*.kommo.com`, legacy `*.amocrm.com`) have their own chats host. */
const KOMMO_DOMAIN = /\.(kommo\.com|amocrm\.com)$/i;

/** The chats host of an account, chosen by the account's domain. */
export function amojoBaseUrl(config: Config, portal: Pick<AmoPortalRow, "domain">): string {
  const url = KOMMO_DOMAIN.test(portal.domain) ? config.KOMMO_AMOJO_URL : config.AMOCRM_AMOJO_URL;
  if (!url) throw new AmoCrmError(CHANNEL_NOT_CONFIGURED, "no amojo host is configured (AMOCRM_AMOJO_URL / KOMMO_AMOJO_URL)");
  return url;
}
