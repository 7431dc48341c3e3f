import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/index.js";
import { conversations, type MessageFile } from "../../../db/schema.js";
import type { Messenger } from "../../../providers/types.js";
import type { BracketInput } from "../bracket-form.js";
import type { Bitrix24Client } from "../client.js";
import { Bitrix24Error } from "../errors.js";
import { CONNECTOR_ID } from "./connector-id.js";

export type Conversation = typeof conversations.$inferSelect;

/** One message for `imconnector.send.messages` (3.6), as the connector shows it in the chat. */
export interface ConnectorMessage {
  /** our message id: 3.6 uses it for later updates, deletes and acks */
  id: string;
  date: Date;
  text?: string | null;
  file?: MessageFile | null;
  /** 3.6/4: post on behalf of this Bitrix24 user instead of the client [doc, current docs only] */
  operatorUserId?: string;
}

/**
 * 3.10 "Votes": when the line asks for a rating, a client reply of exactly `1` or `0` is taken
 * as the rating, not as a message [UNVERIFIED]. A zero-width space in front keeps the text the
 * client sees in the chat and stops it from being a bare digit.
 */
export function escapeVoteText(text: string): string {
  return /^\s*[01]\s*$/.test(text) ? `\u200b${text.trim()}` : text;
}

/** 3.6: name and last_name take letters, space, `-` and `'` only, 25 characters at most. */
export function sanitizeUserName(name: string | null | undefined): string | undefined {
  const clean = (name ?? "").replace(/[^\p{L}\s'-]/gu, "").replace(/\s+/g, " ").trim().slice(0, 25).trim();
  return clean === "" ? undefined : clean;
}

/**
 * The client as the connector presents it (3.6). `user.id` and `chat.id` are our conversation
 * id: stable per client and channel, and what ONIMCONNECTORMESSAGEADD hands back in
 * `chat[id]` (3.7), so the reply finds its conversation without a lookup table.
 */
function clientOf(conversation: Conversation, messenger: Messenger): { user: BracketInput; chat: BracketInput } {
  const phone = conversation.peerPhone ? `+${conversation.peerPhone}` : undefined;
  const username = conversation.peerUsername ?? undefined;
  const url =
    messenger === "telegram" && username
      ? `https://t.me/${username}`
      : conversation.peerPhone && messenger === "whatsapp"
        ? `https://wa.me/${conversation.peerPhone}`
        : undefined;
  // 3.6: name takes letters only, so a Telegram @username (digits, "_") reaches the operator as the t.me link
  const name = sanitizeUserName(conversation.peerName) ?? sanitizeUserName(username);
  return {
    user: { id: conversation.id, name, phone, url },
    chat: { id: conversation.id, url },
  };
}

export function messageOf(m: ConnectorMessage): BracketInput {
  const text = m.text ? escapeVoteText(m.text) : undefined;
  // 3.6: Bitrix24 downloads files[].url itself, so it must be public
  const files = m.file ? [{ url: m.file.url, name: m.file.name ?? m.file.url.split("/").pop() ?? "file" }] : undefined;
  return { id: m.id, date: Math.floor(m.date.getTime() / 1000), text, files, user_id: m.operatorUserId };
}

/** 3.6 answer; `session.CHAT_ID` is the Bitrix IM chat, `session.ID` the Open Lines session. */
const sendMessagesAnswerSchema = z.looseObject({
  SUCCESS: z.unknown().optional(),
  DATA: z.looseObject({
    RESULT: z
      .array(
        z.looseObject({
          SUCCESS: z.boolean(),
          ERRORS: z.unknown().optional(),
          session: z.looseObject({ ID: z.coerce.string(), CHAT_ID: z.coerce.string() }).optional(),
        }),
      )
      .min(1),
  }),
});

/** Where a message goes: the bound line, the channel's messenger, and the time for bookkeeping. */
export interface OpenLineTarget {
  line: string;
  messenger: Messenger;
  now: Date;
}

export interface SessionIds {
  chatId: string;
  sessionId: string;
}

/**
 * Posts one message into the client's Open Lines chat (3.6) and keeps the chat and session ids
 * it answers with on the conversation. The per-element SUCCESS is checked, not only the call's.
 */
export async function sendToOpenLine(
  db: Db,
  client: Bitrix24Client,
  target: OpenLineTarget,
  conversation: Conversation,
  message: ConnectorMessage,
): Promise<SessionIds | undefined> {
  const answer = await client.call(
    "imconnector.send.messages",
    {
      CONNECTOR: CONNECTOR_ID,
      LINE: Number(target.line),
      MESSAGES: [{ ...clientOf(conversation, target.messenger), message: messageOf(message) }],
    },
    sendMessagesAnswerSchema,
  );
  const [first] = answer.DATA.RESULT;
  if (!first?.SUCCESS) {
    throw new Bitrix24Error("message_rejected", `imconnector.send.messages refused the message: ${JSON.stringify(first?.ERRORS ?? null)}`);
  }
  if (!first.session) return undefined;
  const ids = { chatId: first.session.CHAT_ID, sessionId: first.session.ID };
  // most messages land in the session the conversation already knows: nothing to write then
  if (conversation.crmChatId === ids.chatId && conversation.crmSessionId === ids.sessionId) return ids;
  await db
    .update(conversations)
    .set({ crmChatId: ids.chatId, crmSessionId: ids.sessionId, updatedAt: target.now })
    .where(eq(conversations.id, conversation.id));
  return ids;
}

/**
 * 3.6 "Edit/delete from customer side": `imconnector.update.messages`, same shape as send, the
 * message named by the id it was sent with; the client edited a message the chat already shows.
 */
export async function updateInOpenLine(client: Bitrix24Client, target: OpenLineTarget, conversation: Conversation, message: ConnectorMessage): Promise<void> {
  const answer = await client.call(
    "imconnector.update.messages",
    { CONNECTOR: CONNECTOR_ID, LINE: Number(target.line), MESSAGES: [{ ...clientOf(conversation, target.messenger), message: messageOf(message) }] },
    z.looseObject({ SUCCESS: z.unknown().optional() }),
  );
  if (answer.SUCCESS === false) throw new Bitrix24Error("message_rejected", "imconnector.update.messages refused the edit");
}

export async function findConversation(db: Db, id: string): Promise<Conversation | undefined> {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
  return row;
}
