import { timingSafeEqual } from "../../core/tokens.js";
import {
  type IncomingFile,
  type Peer,
  type ProviderEvent,
  ProviderPermanentError,
  type WebhookRequest,
  WebhookPayloadError,
} from "../types.js";
import type { TelegramCtx } from "./client.js";
import { type TelegramFileObject, type TelegramMessage, updateSchema } from "./schema.js";

/** The ProviderContext.channelSecret purpose whose value is setWebhook's `secret_token`. */
export const SECRET_TOKEN_PURPOSE = "telegram-secret-token";

/** `media:<file_id>`: the real download URL carries the bot token, so only the file id is stored (resolveMedia). */
export const MEDIA_PREFIX = "media:";

/** Message identity is chat + message_id: message_id is unique only inside a chat (channels-next.md 1). */
export function telegramMessageId(chatId: number | string, messageId: number): string {
  return `${chatId}:${messageId}`;
}

/**
 * The only authenticity Telegram offers is the static `secret_token` echoed in a header, no HMAC
 * (channels-next.md 1 "Webhook setup and security"): compared in constant time.
 */
async function verifySecretToken(req: WebhookRequest, ctx: TelegramCtx): Promise<void> {
  const presented = req.headers.get("x-telegram-bot-api-secret-token") ?? "";
  const expected = await ctx.channelSecret(SECRET_TOKEN_PURPOSE);
  if (presented === "" || !timingSafeEqual(presented, expected)) {
    throw new ProviderPermanentError("invalid_credentials", "Telegram webhook X-Telegram-Bot-Api-Secret-Token does not match the channel's secret");
  }
}

function fullName(first?: string, last?: string): string | undefined {
  const name = [first, last].filter(Boolean).join(" ").trim();
  return name || undefined;
}

/** Never a phone: a peer with a phone is keyed by it, which would split this chat's conversation in two. */
function peerOf(message: TelegramMessage): Peer {
  const { chat, from } = message;
  const name = fullName(chat.first_name ?? from?.first_name, chat.last_name ?? from?.last_name);
  const username = chat.username ?? from?.username;
  return { chatId: String(chat.id), ...(name ? { name } : {}), ...(username ? { username } : {}) };
}

/** What names a file: its unique id, or the end of its file id where an update has none (older example updates). */
function fileKey(file: { file_id: string; file_unique_id?: string | undefined }): string {
  return file.file_unique_id ?? file.file_id.slice(-16);
}

function fileOf(file: TelegramFileObject, fallbackName: string, fallbackMime: string): IncomingFile {
  return { url: `${MEDIA_PREFIX}${file.file_id}`, name: file.file_name ?? fallbackName, mime: file.mime_type ?? fallbackMime };
}

/** Attachments of a message, largest photo size only; a sticker also says what it was in the text. */
function filesOf(m: TelegramMessage): { files: IncomingFile[]; sticker?: string } {
  const files: IncomingFile[] = [];
  // photo is an array of PhotoSize, smallest first: the last is the largest (channels-next.md 1)
  const photo = m.photo?.at(-1);
  if (photo) files.push({ url: `${MEDIA_PREFIX}${photo.file_id}`, name: `photo-${fileKey(photo)}.jpg`, mime: "image/jpeg" });
  // an animation message carries the same file as `document` too, for old clients: taken once
  if (m.animation) files.push(fileOf(m.animation, `animation-${fileKey(m.animation)}.mp4`, "video/mp4"));
  else if (m.document) files.push(fileOf(m.document, `document-${fileKey(m.document)}`, "application/octet-stream"));
  if (m.video) files.push(fileOf(m.video, `video-${fileKey(m.video)}.mp4`, "video/mp4"));
  if (m.video_note) files.push(fileOf(m.video_note, `video-note-${fileKey(m.video_note)}.mp4`, "video/mp4"));
  if (m.voice) files.push({ url: `${MEDIA_PREFIX}${m.voice.file_id}`, name: `voice-${fileKey(m.voice)}.ogg`, mime: "audio/ogg" });
  if (m.audio) files.push(fileOf(m.audio, `audio-${fileKey(m.audio)}.mp3`, "audio/mpeg"));
  if (!m.sticker) return { files };
  const sticker = m.sticker.emoji ? `[sticker ${m.sticker.emoji}]` : "[sticker]";
  // a static sticker is a WEBP image a CRM can show; animated (TGS) and video (WEBM) ones are not
  if (!m.sticker.is_animated && !m.sticker.is_video) {
    files.push({ url: `${MEDIA_PREFIX}${m.sticker.file_id}`, name: `sticker-${fileKey(m.sticker)}.webp`, mime: "image/webp" });
  }
  return { files, sticker };
}

function messageEvent(updateId: number, m: TelegramMessage): ProviderEvent | null {
  const { files, sticker } = filesOf(m);
  // "/start <payload>" deep links are kept verbatim: the payload tells the CRM where the client came from
  const text = m.text ?? m.caption ?? sticker;
  const location = m.venue
    ? { latitude: m.venue.location.latitude, longitude: m.venue.location.longitude, name: m.venue.title, address: m.venue.address }
    : m.location
      ? { latitude: m.location.latitude, longitude: m.location.longitude }
      : undefined;
  const contact = m.contact
    ? { name: fullName(m.contact.first_name, m.contact.last_name) ?? m.contact.phone_number, phones: [m.contact.phone_number.replace(/\D/g, "")].filter(Boolean) }
    : undefined;
  // the client shared their own number: the CRM contact learns it, the peer stays the chat
  const ownPhone = m.contact && m.from && m.contact.user_id === m.from.id ? m.contact.phone_number.replace(/\D/g, "") : "";
  if (text === undefined && files.length === 0 && !location && !contact) return null; // polls, dice, games…
  return {
    type: "incoming",
    eventId: `update:${updateId}`,
    providerMessageId: telegramMessageId(m.chat.id, m.message_id),
    peer: peerOf(m),
    ...(text !== undefined ? { text } : {}),
    files,
    ...(location ? { location } : {}),
    ...(contact ? { contact } : {}),
    ...(ownPhone ? { clientPhone: ownPhone } : {}),
    at: new Date(m.date * 1000),
  };
}

/**
 * An edit names the original message and carries the new text or caption. Its media are not
 * attached again: re-hosting the unchanged photo on every caption edit would repeat it in the CRM.
 */
function editEvent(updateId: number, m: TelegramMessage): ProviderEvent | null {
  const text = m.text ?? m.caption;
  if (text === undefined) return null;
  return {
    type: "incoming",
    eventId: `update:${updateId}`,
    providerMessageId: telegramMessageId(m.chat.id, m.message_id),
    peer: peerOf(m),
    text,
    files: [],
    edited: true,
    at: new Date((m.edit_date ?? m.date) * 1000),
  };
}

/**
 * One Update per request. `update:<update_id>` is unique per bot (channels-next.md 1 "Dedup key");
 * the caller prefixes it with the channel.
 */
export async function parseTelegramWebhook(req: WebhookRequest, ctx: TelegramCtx): Promise<ProviderEvent[]> {
  await verifySecretToken(req, ctx);
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookPayloadError("Telegram webhook body is not JSON");
  }
  const parsed = updateSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new WebhookPayloadError(`Telegram Update is malformed: ${issues.slice(0, 300)}`);
  }
  const update = parsed.data;
  const message = update.message ?? update.edited_message;
  if (!message) {
    // my_chat_member (the client blocked or unblocked the bot) has no message to bridge, and
    // ProviderEvent has no per-client reachability state to carry it; other kinds are not subscribed
    return [];
  }
  // Only private chats are conversations with one client. In groups many people write (and a bot
  // sees only commands while privacy mode is on); one CRM chat per group would mix clients.
  if (message.chat.type !== "private") return [];
  const event = update.message ? messageEvent(update.update_id, message) : editEvent(update.update_id, message);
  if (!event) ctx.logger.debug("telegram: message kind not bridged", { channelId: ctx.channelId, updateId: update.update_id });
  return event ? [event] : [];
}
