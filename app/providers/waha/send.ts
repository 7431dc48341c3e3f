import { z } from "zod";
import { fileNameOf, mimeOf } from "../file-names.js";
import { type OutgoingContent, type Peer, ProviderPermanentError, type SendRequest } from "../types.js";
import { type Ctx, wahaCall } from "./client.js";
import { checkExistsSchema, sendAnswerSchema, type WahaSendAnswer } from "./schema.js";

type FileContent = Extract<OutgoingContent, { type: "file" }>;
type Part = { kind: "text"; text: string } | { kind: "file"; file: FileContent };

/** Chat ids WAHA sends to: users, groups and hidden-number chats (channels-next.md 3 "IDs"). */
const CHAT_ID = /^(\d{5,20}@c\.us|[\d-]{5,40}@g\.us|\d{5,25}@lid)$/;
const PHONE = /^\d{10,15}$/;
/** check-exists answers kept per channel in the process: a number's chat id does not change */
const CHAT_CACHE_LIMIT = 5_000;

/** `GET /api/contacts/check-exists` (channels-next.md 3 "Number check"). */
export async function checkExists(ctx: Ctx, phone: string): Promise<{ exists: boolean; chatId?: string }> {
  if (!PHONE.test(phone)) throw new ProviderPermanentError("bad_number", `not a phone number: ${phone}`);
  const answer = await wahaCall(ctx, "/api/contacts/check-exists", checkExistsSchema, { query: { phone, session: ctx.credentials.session } });
  return { exists: answer.numberExists, ...(answer.numberExists && answer.chatId ? { chatId: answer.chatId } : {}) };
}

/**
 * The chat to send to. A phone goes through check-exists first: its `chatId` is the one to use
 * (Brazilian 9th-digit numbers, channels-next.md 6 waha#238: a wrong one still gets 201), and
 * a number without WhatsApp fails here as no_messenger instead of vanishing after a 201.
 * Engines without the call fall back to `<digits>@c.us`.
 */
async function chatIdOf(ctx: Ctx, to: Peer): Promise<string> {
  if (to.chatId) {
    if (!CHAT_ID.test(to.chatId)) throw new ProviderPermanentError("invalid_recipient", `not a WhatsApp chat id: ${to.chatId}`);
    return to.chatId;
  }
  const phone = to.phone?.replace(/\D/g, "") ?? "";
  if (!PHONE.test(phone)) throw new ProviderPermanentError("bad_number", `no WhatsApp chat for recipient ${to.phone ?? "(none)"}`);
  const key = `waha:chat:${phone}`;
  const known = ctx.cache.get(key);
  if (typeof known === "string") return known;
  let chatId: string;
  try {
    const found = await checkExists(ctx, phone);
    if (!found.exists) throw new ProviderPermanentError("no_messenger", `${phone} has no WhatsApp account`);
    chatId = found.chatId ?? `${phone}@c.us`;
  } catch (err) {
    if (!(err instanceof ProviderPermanentError && err.code === "unsupported")) throw err;
    chatId = `${phone}@c.us`;
  }
  if (ctx.cache.size < CHAT_CACHE_LIMIT) ctx.cache.set(key, chatId);
  return chatId;
}

/**
 * Which send call a file takes: WhatsApp shows JPEG/PNG as photos, MP4 as videos and OGG/Opus as
 * voice notes; anything else goes as a document, which every engine accepts (converting other
 * audio or video is engine-dependent [U]).
 */
export function sendMethodOf(mime: string | undefined): "sendImage" | "sendVideo" | "sendVoice" | "sendFile" {
  if (mime === "image/jpeg" || mime === "image/png") return "sendImage";
  if (mime === "video/mp4") return "sendVideo";
  if (mime === "audio/ogg" || mime === "audio/opus") return "sendVoice";
  return "sendFile";
}

/** A voice note takes no caption: it follows as a text of its own. */
function plannedParts(content: OutgoingContent): Part[] {
  if (content.type === "text") return [{ kind: "text", text: content.text }];
  if (content.caption && sendMethodOf(mimeOf(content)) === "sendVoice") return [{ kind: "file", file: content }, { kind: "text", text: content.caption }];
  return [{ kind: "file", file: content }];
}

/**
 * Send answers are the engine's own object (channels-next.md 3, waha#760); acks name messages
 * `true_{chatId}_{id}`, so NOWEB's bare `key.id` is completed with the chat we sent to.
 */
export function sentMessageId(answer: WahaSendAnswer, chatId: string): string {
  const key = keyedAnswer.safeParse(answer);
  if (key.success) return `true_${chatId}_${key.data.key.id}`;
  const id = (answer as { id: string | { _serialized: string } }).id;
  if (typeof id !== "string") return id._serialized;
  return id.startsWith("true_") ? id : `true_${chatId}_${id}`;
}

const keyedAnswer = z.object({ key: z.object({ id: z.string().min(1) }) });

/** WEBJS 2025.6.5 answered 201 with no body (waha#1083): the message went out, its id is unknown. */
const sendAnswerOrEmpty = z.union([sendAnswerSchema, z.null()]);

async function sendPart(ctx: Ctx, chatId: string, part: Part, messageId: string): Promise<string> {
  const session = ctx.credentials.session;
  let answer: WahaSendAnswer | null;
  if (part.kind === "text") {
    answer = await wahaCall(ctx, "/api/sendText", sendAnswerOrEmpty, { method: "POST", body: { session, chatId, text: part.text } });
  } else {
    const mime = mimeOf(part.file) ?? "application/octet-stream";
    const method = sendMethodOf(mime);
    const file = { url: part.file.url, mimetype: mime, filename: fileNameOf(part.file) };
    const caption = method !== "sendVoice" && part.file.caption ? { caption: part.file.caption } : {};
    answer = await wahaCall(ctx, `/api/${method}`, sendAnswerOrEmpty, { method: "POST", body: { session, chatId, file, ...caption } });
  }
  if (answer === null) {
    ctx.logger.warn("waha: the send was accepted without a message id; its statuses cannot be matched", { channelId: ctx.channelId });
    return `true_${chatId}_unconfirmed-${messageId}`;
  }
  return sentMessageId(answer, chatId);
}

/**
 * Sends a request part by part (a voice note and its caption), each part's id recorded in the
 * durable progress before the next goes out; the result names the last part, as the Cloud API does.
 */
export async function sendMessage(ctx: Ctx, req: SendRequest): Promise<string> {
  const chatId = await chatIdOf(ctx, req.to);
  const parts = plannedParts(req.content);
  const done: Array<string | null> = [...(req.progress?.parts ?? [])];
  for (const [i, part] of parts.entries()) {
    if (typeof done[i] === "string") continue;
    const id = await sendPart(ctx, chatId, part, `${req.messageId}-${i}`);
    done[i] = id;
    await req.progress?.record(i, id);
  }
  return done[parts.length - 1]!;
}
