import { fileNameOf, mimeOf } from "../file-names.js";
import { type OutgoingContent, type Peer, ProviderPermanentError, type SendRequest } from "../types.js";
import { type Ctx, evolutionCall, instancePath } from "./client.js";
import { sendAnswerSchema } from "./schema.js";

type FileContent = Extract<OutgoingContent, { type: "file" }>;
type MediaType = "image" | "video" | "audio" | "document";
type Part = { kind: "text"; text: string } | { kind: "file"; file: FileContent };

/**
 * Evolution's `number`: phone digits, or a JID as it is (a group, a hidden-number `@lid` chat);
 * it checks the number itself before sending (channels-next.md 4 "Outbound").
 */
function numberOf(to: Peer): string {
  if (to.chatId && /^[\w.-]+@(s\.whatsapp\.net|g\.us|lid|c\.us)$/.test(to.chatId)) return to.chatId;
  const digits = to.phone?.replace(/\D/g, "");
  if (digits && /^\d{10,15}$/.test(digits)) return digits;
  throw new ProviderPermanentError("bad_number", `no WhatsApp chat for recipient ${to.phone ?? to.chatId ?? "(none)"}`);
}

function mediaTypeOf(mime: string | undefined): MediaType {
  if (mime === "image/jpeg" || mime === "image/png" || mime === "image/webp" || mime === "image/gif") return "image";
  if (mime?.startsWith("video/")) return "video";
  if (mime?.startsWith("audio/")) return "audio";
  return "document";
}

/** A voice note: what the CRMs record is Ogg/Opus, which WhatsApp plays as a voice message. */
function isVoice(mime: string | undefined): boolean {
  return mime === "audio/ogg" || mime === "audio/opus";
}

/** Audio takes no caption (sendMedia drops it for audio): it follows as its own text. */
function plannedParts(content: OutgoingContent): Part[] {
  if (content.type === "text") return [{ kind: "text", text: content.text }];
  if (content.caption && mediaTypeOf(mimeOf(content)) === "audio") {
    return [{ kind: "file", file: content }, { kind: "text", text: content.caption }];
  }
  return [{ kind: "file", file: content }];
}

async function sendPart(ctx: Ctx, number: string, part: Part): Promise<string> {
  let route: string;
  let body: Record<string, unknown>;
  if (part.kind === "text") {
    route = "message/sendText";
    body = { number, text: part.text };
  } else {
    const mime = mimeOf(part.file);
    const mediatype = mediaTypeOf(mime);
    if (mediatype === "audio" && isVoice(mime)) {
      route = "message/sendWhatsAppAudio";
      body = { number, audio: part.file.url };
    } else {
      route = "message/sendMedia";
      body = {
        number,
        mediatype,
        media: part.file.url,
        fileName: fileNameOf(part.file),
        ...(mime ? { mimetype: mime } : {}),
        ...(part.file.caption && mediatype !== "audio" ? { caption: part.file.caption } : {}),
      };
    }
  }
  // Evolution fetches the URL itself; a big video may take a while before it answers
  const answer = await evolutionCall(ctx, instancePath(ctx, route), sendAnswerSchema, {
    method: "POST",
    body,
    timeoutMs: part.kind === "text" ? 30_000 : 120_000,
  });
  // statuses (messages.update) name the message by key.id alone
  return answer.key.id;
}

/**
 * Sends a text or a file by URL. An audio file with a caption is two messages; each part's id is
 * kept in the durable send progress before the next goes out, and the result names the last.
 */
export async function sendEvolution(ctx: Ctx, req: SendRequest): Promise<{ providerMessageId: string }> {
  const number = numberOf(req.to);
  const done: Array<string | null> = [...(req.progress?.parts ?? [])];
  const parts = plannedParts(req.content);
  for (const [i, part] of parts.entries()) {
    if (typeof done[i] === "string") continue;
    const id = await sendPart(ctx, number, part);
    done[i] = id;
    await req.progress?.record(i, id);
  }
  return { providerMessageId: done[parts.length - 1]! };
}
