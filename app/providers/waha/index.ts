import { type Provider, ProviderPermanentError } from "../types.js";
import { apiKeyHeaders, wahaCall } from "./client.js";
import { isOwnServer } from "./inbound.js";
import { type WahaCredentials, versionSchema, wahaCredentialsSchema } from "./schema.js";
import { checkExists, sendMessage } from "./send.js";
import { channelStateOf, configureSessionWebhook, ensureSession, getSession, loginQr, requestPairingCode } from "./session.js";
import { parseWahaWebhook } from "./webhook.js";

export type { WahaCredentials } from "./schema.js";
export { requestPairingCode } from "./session.js";

/**
 * WAHA, the self-hosted WhatsApp HTTP API (github.com/devlikeapro/waha): one channel = one
 * session on the admin's own server (channels-next.md 3).
 */
export const waha: Provider<WahaCredentials> = {
  name: "waha",
  title: "WAHA (self-hosted WhatsApp)",
  credentials: wahaCredentialsSchema,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: false,
    checkPhone: true,
    qrLogin: true,
    pairingLogin: true,
    deliveryStatus: true,
    readStatus: true,
    messengers: ["whatsapp"],
    inbound: "webhook",
  },
  // No documented rate limit [U]; WAHA's "How to avoid blocking": gaps between messages, small batches.
  pacing: { minIntervalMs: 3000, jitterMs: 2000 },

  async send(ctx, req) {
    return { providerMessageId: await sendMessage(ctx, req) };
  },

  checkPhone: checkExists,

  async status(ctx) {
    const session = await getSession(ctx);
    return { state: channelStateOf(session.status), detail: session.status };
  },

  qr: loginQr,
  pairingCode: requestPairingCode,

  /**
   * Checks the server and the key, then creates the session (started) when it is missing or
   * starts it when stopped, and shows its number and state. The server version is recorded
   * because media, HMAC and several sessions need 2026.6.1 or Plus (channels-next.md 3).
   */
  async describe(ctx) {
    let version: string | undefined;
    try {
      version = (await wahaCall(ctx, "/api/server/version", versionSchema)).version;
    } catch (err) {
      // a refused key is the answer; an older server without the route still has sessions
      if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") throw err;
      if (!(err instanceof ProviderPermanentError)) throw err;
    }
    const session = await ensureSession(ctx);
    const number = /^(\d+)@c\.us$/.exec(session.me?.id ?? "")?.[1];
    return {
      state: channelStateOf(session.status),
      info: {
        session: session.name,
        status: session.status,
        ...(session.created ? { created: "true" } : {}),
        ...(number ? { number } : {}),
        ...(session.me?.pushName ? { push_name: session.me.pushName } : {}),
        ...(session.engine?.engine ? { engine: session.engine.engine } : {}),
        ...(version ? { version } : {}),
      },
    };
  },

  configureWebhook: configureSessionWebhook,
  parseWebhook: parseWahaWebhook,

  // media links on the channel's own server need the key (channels-next.md 3 "Media download")
  downloadHeaders(ctx, url): Record<string, string> {
    return isOwnServer(ctx, url) ? apiKeyHeaders(ctx) : {};
  },
};
