import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Channel } from "../../../core/channels.js";
import type { HostedFile } from "../../../core/media.js";
import type { Message } from "../../../core/messages/status.js";
import type { Db } from "../../../db/index.js";
import { conversations, messages } from "../../../db/schema.js";
import type { AmojoClient } from "./amojo-client.js";
import { botUserIdOf, type Conversation, clientUserIdOf, conversationIdOf, pendingRefOf } from "./conversation-ids.js";

/** 2.5 `sender` / `receiver`. */
export interface AmojoUser {
  id: string;
  name: string;
  ref_id?: string;
  profile?: { phone?: string };
  profile_link?: string;
}

const MEDIA_TYPES = ["picture", "video", "audio", "voice", "file"] as const;
type MediaType = (typeof MEDIA_TYPES)[number];

/** 2.5 `message`: text, or media by a public URL with the caption as text. */
export type AmojoMessageBody =
  | { type: "text"; text: string }
  | { type: MediaType; media: string; file_name: string; file_size: number; text?: string };

/** A re-hosted file with the size amojo requires (6.2 pitfall 9). */
export interface SizedFile extends HostedFile {
  size: number;
}

/**
 * The amojo type for a file. picture, video and file need `file_name` and `file_size` (2.5,
 * 6.2 pitfall 9), which a re-hosted file always has, so they are sent for every type.
 * WhatsApp voice notes are Ogg/Opus, so audio/ogg is a voice message.
 */
export function mediaTypeOf(mime: string): MediaType {
  const m = mime.toLowerCase();
  if (m.startsWith("image/")) return "picture";
  if (m.startsWith("video/")) return "video";
  if (m.startsWith("audio/ogg")) return "voice";
  if (m.startsWith("audio/")) return "audio";
  return "file";
}

export function messageBodyOf(text: string | null, file: SizedFile | undefined): AmojoMessageBody | undefined {
  if (file) {
    return { type: mediaTypeOf(file.mime), media: file.url, file_name: file.name, file_size: file.size, ...(text ? { text } : {}) };
  }
  return text ? { type: "text", text } : undefined;
}

/**
 * The client as amojo shows them (2.5): name is required, phone goes into the new contact. A
 * Telegram client carries their @username beside the name and a t.me profile link; their phone
 * only once they shared it (a Telegram chat id is not a phone).
 */
export function clientUserOf(channel: Channel, conversation: Conversation): AmojoUser {
  const phone = conversation.peerPhone ?? undefined;
  const handle = conversation.peerUsername ? `@${conversation.peerUsername}` : undefined;
  const base = conversation.peerName?.trim() || handle || (phone ? `+${phone}` : conversation.peer.replace(/^chat:/, "Telegram "));
  const name = handle && base !== handle ? `${base} (${handle})` : base;
  const link =
    channel.messenger === "telegram" && conversation.peerUsername
      ? `https://t.me/${conversation.peerUsername}`
      : phone && channel.messenger === "whatsapp"
        ? `https://wa.me/${phone}`
        : undefined;
  return {
    id: clientUserIdOf(channel.id, conversation.peer),
    name: name.slice(0, 255),
    ...(phone ? { profile: { phone: `+${phone}` } } : {}),
    ...(link ? { profile_link: link } : {}),
  };
}

/** Who wrote what no manager wrote: the channel, as the channel bot when its amojo id is known (2.2). */
export function botUserOf(channel: Channel, botId: string | undefined): AmojoUser {
  return { id: botUserIdOf(channel.id), name: channel.name.slice(0, 255) || "chatbridge", ...(botId ? { ref_id: botId } : {}) };
}

export interface NewMessageInput {
  channel: Channel;
  conversation: Conversation;
  message: Message;
  body: AmojoMessageBody;
  /** an incoming client message; otherwise a message to the client written outside amoCRM */
  direction: "incoming" | "outgoing";
  /** outgoing only: who wrote it */
  sender?: AmojoUser;
  /** true = no Incoming-leads entry, no notification (2.5) */
  silent: boolean;
}

const newMessageAnswerSchema = z.looseObject({
  // 2.5 / 6.2 pitfall 10: the answer's `msgid` is amojo's id, `ref_id` is ours
  new_message: z.looseObject({ msgid: z.string().min(1), ref_id: z.string().nullish(), conversation_id: z.string().nullish() }),
});

/**
 * `POST /v2/origin/custom/{scope_id}` `new_message` (2.5): our message id as `msgid`, the
 * chat's stable conversation id, the channel as the source. A write-first chat's amojo ids go
 * along once to bind it (2.7). amojo's id for the message is kept as crmMessageId and the
 * conversation id on the conversation.
 */
export async function postNewMessage(db: Db, client: AmojoClient, scopeId: string, input: NewMessageInput, now: Date): Promise<string> {
  const { channel, conversation, message } = input;
  const conversationId = conversationIdOf(channel.id, conversation.peer);
  const pending = pendingRefOf(conversation);
  const clientUser = clientUserOf(channel, conversation);
  if (pending?.user) clientUser.ref_id = pending.user;
  const users =
    input.direction === "incoming"
      ? { sender: clientUser }
      : { sender: input.sender ?? botUserOf(channel, undefined), receiver: clientUser };
  const payload = {
    timestamp: Math.floor(message.createdAt.getTime() / 1000),
    msec_timestamp: message.createdAt.getTime(),
    msgid: message.id,
    conversation_id: conversationId,
    ...(pending ? { conversation_ref_id: pending.conversation } : {}),
    ...users,
    message: input.body,
    silent: input.silent,
    // No `source.external_id`: a source must exist on the account (created through amoCRM's
    // sources API, which the sheet does not cover) and whether amojo refuses an unknown one is
    // unverified; an error there would stop every client message. Our conversation_id already
    // names the channel, which is how the reply hook finds it (hook-inbound.ts).
  };
  const answer = await client.call("POST", `/v2/origin/custom/${encodeURIComponent(scopeId)}`, { event_type: "new_message", payload }, newMessageAnswerSchema);
  const amojoId = answer.new_message.msgid;
  await db.transaction(async (tx) => {
    await tx.update(messages).set({ crmMessageId: amojoId, updatedAt: now }).where(and(eq(messages.id, message.id), isNull(messages.crmMessageId)));
    await tx
      .update(conversations)
      .set({ crmChatId: conversationId, ...(pending ? { crmSessionId: null } : {}), updatedAt: now })
      .where(eq(conversations.id, conversation.id));
  });
  return amojoId;
}
