import { fileNameOf, mimeOf } from "../file-names.js";
import type { z } from "zod";
import { splitText } from "../split-text.js";
import { type OutgoingContent, type Peer, ProviderPermanentError, type SendRequest } from "../types.js";
import { type TelegramCtx, TelegramRequestError, telegramCall } from "./client.js";
import { downloadForUpload } from "./download.js";
import { crmToPlainText, crmToTelegramHtml, visibleLength } from "./format.js";
import { messageReply } from "./schema.js";
import { telegramMessageId } from "./webhook.js";

type FileContent = Extract<OutgoingContent, { type: "file" }>;
type Part = { kind: "text"; text: string } | { kind: "file"; file: FileContent; caption?: string };
type TelegramMessage = z.output<typeof messageReply>["result"];

/**
 * sendMessage takes 1–4096 characters after entity parsing (channels-next.md 1 "Outbound"). We cut
 * the source at 4000 code points: tags only shrink when parsed, and the margin covers the limit's
 * unit [U: code points or UTF-16]; a part still over 4096 UTF-16 units (emoji-heavy) is cut again.
 */
const TEXT_PART = 4000;
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
/** photos upload up to 10 MB (channels-next.md 1 "Outbound"): a larger image goes as a document */
const PHOTO_UPLOAD_LIMIT = 10 * 1024 * 1024;

/** Telegram's answers when it could not fetch a file by URL itself: we download and upload instead. */
const URL_REFUSED = /failed to get HTTP URL content|wrong file identifier\/HTTP URL specified|wrong type of the web page content/i;

const CHAT_ID = /^-?\d{1,20}$/;
const CHANNEL_NAME = /^@[A-Za-z][A-Za-z0-9_]{3,31}$/;

/** A numeric chat id, or `@channelname` for public channels. A bot cannot find anyone by phone. */
export function chatIdOf(to: Peer): string {
  const id = to.chatId?.trim();
  if (id && (CHAT_ID.test(id) || CHANNEL_NAME.test(id))) return id;
  if (id) throw new ProviderPermanentError("invalid_recipient", `"${id}" is not a Telegram chat id or @channelname`);
  throw new ProviderPermanentError(
    "invalid_recipient",
    "a Telegram bot cannot write first to a phone number: the client must start the bot, then use their chat id",
  );
}

export function splitForTelegram(text: string): string[] {
  return splitText(text, TEXT_PART).flatMap((part) => (part.length > TEXT_LIMIT ? splitText(part, TEXT_LIMIT / 2) : [part]));
}

/**
 * The calls one request needs, in order. A caption over 1024 characters cannot ride on the file
 * (channels-next.md 1 "Outbound"): the file goes bare and the caption follows as text, so nothing
 * is cut off.
 */
export function plannedParts(content: OutgoingContent): Part[] {
  const texts = (text: string) => splitForTelegram(text).map((t): Part => ({ kind: "text", text: t }));
  if (content.type === "text") return texts(content.text);
  const caption = content.caption?.trim();
  if (!caption) return [{ kind: "file", file: content }];
  if (visibleLength(crmToTelegramHtml(caption)) <= CAPTION_LIMIT) return [{ kind: "file", file: content, caption }];
  return [{ kind: "file", file: content }, ...texts(caption)];
}

type Media = { method: "sendPhoto" | "sendVideo" | "sendAudio" | "sendVoice" | "sendDocument"; field: string; byUrl: boolean };

/**
 * The send method for a file. Telegram fetches photos, videos and audio by URL itself, but a
 * document only when it is a GIF, PDF or ZIP (channels-next.md 1 "Outbound"): others are uploaded.
 */
export function mediaOf(file: FileContent): Media {
  const mime = mimeOf(file) ?? "application/octet-stream";
  // a GIF as a photo would lose its animation; SVG is no photo format
  if (mime.startsWith("image/") && mime !== "image/gif" && mime !== "image/svg+xml") return { method: "sendPhoto", field: "photo", byUrl: true };
  if (mime.startsWith("video/")) return { method: "sendVideo", field: "video", byUrl: true };
  if (mime === "audio/ogg" || mime === "audio/opus") return { method: "sendVoice", field: "voice", byUrl: true };
  if (["audio/mpeg", "audio/mp3", "audio/mp4", "audio/m4a", "audio/x-m4a"].includes(mime)) return { method: "sendAudio", field: "audio", byUrl: true };
  return { method: "sendDocument", field: "document", byUrl: ["application/pdf", "application/zip", "image/gif"].includes(mime) };
}

/**
 * Runs one Telegram send with its two documented second chances: a group that became a
 * supergroup (400 + migrate_to_chat_id: switch the chat id, retry once) and HTML Telegram could
 * not parse (400 "can't parse entities": resend once as plain text).
 */
async function withRetries(chat: { id: string }, attempt: (chatId: string, plain: boolean) => Promise<TelegramMessage>): Promise<TelegramMessage> {
  let migrated = false;
  let plain = false;
  for (;;) {
    try {
      return await attempt(chat.id, plain);
    } catch (err) {
      if (!(err instanceof TelegramRequestError)) throw err;
      if (err.migrateToChatId && !migrated) {
        migrated = true;
        chat.id = err.migrateToChatId;
      } else if (!plain && /can't parse entities/i.test(err.description)) plain = true;
      else throw err;
    }
  }
}

const markup = (text: string, plain: boolean) => (plain ? { text: crmToPlainText(text) } : { text: crmToTelegramHtml(text), parse_mode: "HTML" });

function sendTextPart(ctx: TelegramCtx, chat: { id: string }, text: string): Promise<TelegramMessage> {
  return withRetries(chat, (chat_id, plain) => telegramCall(ctx, "sendMessage", messageReply, { chat_id, ...markup(text, plain) }).then((r) => r.result));
}

function sendFilePart(ctx: TelegramCtx, chat: { id: string }, file: FileContent, caption?: string): Promise<TelegramMessage> {
  let media = mediaOf(file);
  let urlRefused = !media.byUrl;
  let download: Promise<Awaited<ReturnType<typeof downloadForUpload>>> | undefined;
  return withRetries(chat, async (chat_id, plain) => {
    const fields: Record<string, string> = { chat_id };
    if (caption) {
      const { text, ...mode } = markup(caption, plain);
      Object.assign(fields, { caption: text }, mode);
    }
    if (!urlRefused) {
      try {
        return (await telegramCall(ctx, media.method, messageReply, { ...fields, [media.field]: file.url })).result;
      } catch (err) {
        if (!(err instanceof TelegramRequestError && URL_REFUSED.test(err.description))) throw err;
        urlRefused = true;
      }
    }
    // downloaded once even when the upload is retried as plain text or into a migrated chat
    download ??= downloadForUpload(ctx, file.url);
    const { bytes, mime } = await download;
    if (media.method === "sendPhoto" && bytes.byteLength > PHOTO_UPLOAD_LIMIT) media = { method: "sendDocument", field: "document", byUrl: false };
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append(media.field, new Blob([bytes], { type: file.mime ?? mime ?? "application/octet-stream" }), fileNameOf(file));
    // an upload of up to 50 MB takes longer than an API call
    return (await telegramCall(ctx, media.method, messageReply, form, { timeoutMs: 120_000 })).result;
  });
}

/**
 * Sends the request's parts in order, recording each part's id in the durable progress before the
 * next goes out, so a retry (any process or isolate) skips what was sent (as WAMM does).
 * The result names the FIRST part: that is where the message begins in the chat, and its id is
 * settled by the first attempt, whichever attempt finishes the rest. (WAMM names the last part
 * because its read receipt covers the whole text; Telegram bots get no receipts.)
 */
export async function sendTelegram(ctx: TelegramCtx, req: SendRequest): Promise<{ providerMessageId: string }> {
  const chat = { id: chatIdOf(req.to) };
  const done: Array<string | null> = [...(req.progress?.parts ?? [])];
  const parts = plannedParts(req.content);
  for (const [i, part] of parts.entries()) {
    if (typeof done[i] === "string") continue;
    const message = part.kind === "text" ? await sendTextPart(ctx, chat, part.text) : await sendFilePart(ctx, chat, part.file, part.caption);
    const id = telegramMessageId(message.chat.id, message.message_id);
    done[i] = id;
    await req.progress?.record(i, id);
  }
  return { providerMessageId: done[0]! };
}
