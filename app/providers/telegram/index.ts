import { type Provider, ProviderPermanentError } from "../types.js";
import { type TelegramCtx, TelegramRequestError, telegramBase, telegramCall } from "./client.js";
import { fileReply, getMeReply, type TelegramCredentials, telegramCredentialsSchema, trueReply, webhookInfoReply } from "./schema.js";
import { sendTelegram } from "./send.js";
import { MEDIA_PREFIX, parseTelegramWebhook, SECRET_TOKEN_PURPOSE } from "./webhook.js";

export type { TelegramCredentials } from "./schema.js";

/** Bots may download files up to 20 MB (channels-next.md 1 "Media download"). */
const DOWNLOAD_LIMIT = 20 * 1024 * 1024;
const tooBig = () => new ProviderPermanentError("bad_request", "the file is over Telegram's 20 MB bot download limit");

/** getMe, refusing a token that is not a bot's (getMe of a user account through a local server). */
async function getBot(ctx: TelegramCtx) {
  const { result: me } = await telegramCall(ctx, "getMe", getMeReply);
  if (!me.is_bot) throw new ProviderPermanentError("invalid_credentials", "the token does not belong to a bot");
  return me;
}

export const telegram: Provider<TelegramCredentials> = {
  name: "telegram",
  title: "Telegram Bot API",
  credentials: telegramCredentialsSchema,
  capabilities: {
    text: true,
    fileByUrl: true,
    fileUpload: true,
    checkPhone: false,
    qrLogin: false,
    // bots get no receipts: Telegram's answer is the delivery, and read never comes (channels-next.md 1 "Statuses")
    deliveryStatus: true,
    readStatus: false,
    deliveredWhenAccepted: true,
    // format.ts makes Telegram HTML of the CRM's BB-codes
    formatsBbcode: true,
    messengers: ["telegram"],
    inbound: "webhook",
    // the client must press Start first; there is no phone lookup (channels-next.md 1 "Inbound payloads")
    sendsToPhone: false,
  },
  // about 30 messages per second to different users (channels-next.md 1 "Rate limits")
  pacing: { minIntervalMs: 35, jitterMs: 0 },

  send: sendTelegram,

  async checkPhone() {
    throw new ProviderPermanentError("unsupported", "a Telegram bot cannot look up phone numbers");
  },

  async describe(ctx) {
    const me = await getBot(ctx);
    const name = [me.first_name, me.last_name].filter(Boolean).join(" ");
    const info: Record<string, string> = { bot_id: String(me.id), name };
    if (me.username) Object.assign(info, { username: `@${me.username}`, link: `https://t.me/${me.username}` });
    return { state: "connected", info };
  },

  /**
   * getWebhookInfo first, so that a scripted answer in tests can stand in for it; then getMe.
   * Telegram's own delivery error (e.g. "Read timeout expired", channels-next.md 6) is the detail.
   */
  async status(ctx) {
    try {
      const { result: hook } = await telegramCall(ctx, "getWebhookInfo", webhookInfoReply);
      const me = await getBot(ctx);
      if (hook.last_error_message) return { state: "connected", detail: `webhook: ${hook.last_error_message}` };
      if (hook.url === "") return { state: "connected", detail: "webhook: not set" };
      return { state: "connected", detail: me.username ? `@${me.username}` : me.first_name };
    } catch (err) {
      if (err instanceof ProviderPermanentError && err.code === "invalid_credentials") return { state: "unauthorized", detail: err.message };
      throw err;
    }
  },

  async configureWebhook(ctx, url) {
    const { result } = await telegramCall(ctx, "setWebhook", trueReply, {
      url,
      secret_token: await ctx.channelSecret(SECRET_TOKEN_PURPOSE),
      // always sent: an omitted allowed_updates keeps the previous setting (channels-next.md 1)
      allowed_updates: ["message", "edited_message", "my_chat_member"],
      max_connections: 40,
    });
    if (!result) throw new ProviderPermanentError("rejected", "Telegram did not set the webhook");
  },

  parseWebhook: parseTelegramWebhook,

  /**
   * `getFile` -> `{base}/file/bot{token}/{file_path}` (channels-next.md 1 "Media download"). The
   * URL carries the token: the caller uses it once to re-host the file, and no error names it.
   */
  async resolveMedia(ctx, ref) {
    const fileId = ref.startsWith(MEDIA_PREFIX) ? ref.slice(MEDIA_PREFIX.length) : ref;
    let file;
    try {
      ({ result: file } = await telegramCall(ctx, "getFile", fileReply, { file_id: fileId }));
    } catch (err) {
      if (err instanceof TelegramRequestError && /file is too big/i.test(err.description)) throw tooBig();
      throw err;
    }
    if ((file.file_size ?? 0) > DOWNLOAD_LIMIT) throw tooBig();
    if (!file.file_path) throw new ProviderPermanentError("bad_request", "Telegram gave no download path for the file");
    return { url: `${telegramBase(ctx)}/file/bot${ctx.credentials.botToken}/${file.file_path}` };
  },
};
