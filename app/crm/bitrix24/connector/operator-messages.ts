import { and, eq, gt, or } from "drizzle-orm";
import { type Channel, findChannel, providerOf } from "../../../core/channels.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import { queueTemplateCommand } from "../../../core/messages/template-command-send.js";
import { parseTemplateCommand } from "../../../core/template-command.js";
import { channelHasTemplates } from "../../../core/templates.js";
import { peerFromKey } from "../../../core/peer.js";
import type { Db } from "../../../db/index.js";
import { conversations, messages } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { OutgoingContent } from "../../../providers/types.js";
import type { BracketObject } from "../bracket-form.js";
import { parseForm } from "../install.js";
import type { PortalRow } from "../portal-auth.js";
import { Bitrix24Client } from "../client.js";
import { bbcodeForTelegramBot, bbcodeToMessenger } from "./bbcode.js";
import { findActiveBindingsOfLine } from "./binding.js";
import type { Conversation } from "./client-message.js";
import { isOurConnector } from "./connector-id.js";
import { messageAddEventSchema, type OperatorMessage } from "./event-payloads.js";
import { appUserId } from "./mirror-outgoing.js";
import { SYSTEM_NOTE_MARK } from "../../../core/failover.js";

export interface OperatorMessagesResult {
  ignored?: string;
  queued: number;
  duplicates: number;
  skipped: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How far back a mirrored API message can still come back as an operator event (see isMirrorEcho). */
const ECHO_WINDOW_MS = 15 * 60_000;

/**
 * The client an operator wrote to: `chat[id]` is the id we gave the chat, our conversation id
 * (client-message.ts); failing that, the Bitrix IM chat id we stored from an earlier answer.
 */
async function findClient(db: Db, channelId: string, m: OperatorMessage): Promise<Conversation | undefined> {
  if (UUID.test(m.chat.id)) {
    const [own] = await db.select().from(conversations).where(and(eq(conversations.id, m.chat.id), eq(conversations.channelId, channelId)));
    if (own) return own;
  }
  const [known] = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.channelId, channelId), eq(conversations.crmChatId, m.im.chat_id)));
  return known;
}

/**
 * 4: whether a message posted as a manager (how we mirror webhook API sends and show what the
 * owner typed on the phone) comes back as ONIMCONNECTORMESSAGEADD is UNVERIFIED. If it does, it
 * must not reach the client a second time (3.10 "Echo loops"): an operator text equal to a
 * send_to_imol or phone message of the same client from the last minutes (after the operator
 * signature, if any, and our vote escape) is taken for that echo, when the event names the
 * app's own user as its author (we post as that user) or names no author at all. A real
 * operator who happens to write the same words is another user and goes through.
 */
async function isMirrorEcho(deps: AppDeps, portal: PortalRow, conversationId: string, m: OperatorMessage, text: string, now: Date): Promise<boolean> {
  if (text === "") return false;
  // our failover note (failover-note.ts) is for the operator, never for the client
  const bare = text.replace(/\u200b/g, "");
  // (after the operator signature Bitrix24 may put in front)
  if (bare.startsWith(SYSTEM_NOTE_MARK) || bare.includes(`\n${SYSTEM_NOTE_MARK}`)) return isAppAuthor(deps, portal, m);
  const recent = await deps.db
    .select({ body: messages.body })
    .from(messages)
    .where(
      and(
        eq(messages.conversationId, conversationId),
        or(eq(messages.sendToImol, true), eq(messages.origin, "phone")),
        gt(messages.createdAt, new Date(now.getTime() - ECHO_WINDOW_MS)),
      ),
    );
  const plain = text.replace(/\u200b/g, "");
  if (!recent.some((r) => r.body !== null && (plain === r.body || plain.endsWith(`\n${r.body}`)))) return false;
  return isAppAuthor(deps, portal, m);
}

/** Whether the event names the app's own user as its author, or no author. */
async function isAppAuthor(deps: AppDeps, portal: PortalRow, m: OperatorMessage): Promise<boolean> {
  const author = m.message.user_id;
  if (!author) return true;
  // the app's user could not be read: the matching text within minutes decides, as without an author
  const appUser = await appUserId(new Bitrix24Client(deps, portal.externalId)).catch(() => undefined);
  return appUser === undefined || appUser === author;
}

/**
 * Text first, then one message per file (3.7: a message may carry both). The Telegram Bot API
 * provider formats BB-codes itself (HTML); every other provider gets WhatsApp-style marks.
 */
function contentsOf(m: OperatorMessage, channel: Channel): OutgoingContent[] {
  const raw = m.message.text ?? "";
  const text = providerOf(channel).capabilities.formatsBbcode ? bbcodeForTelegramBot(raw) : bbcodeToMessenger(raw);
  const files = (m.message.files ?? []).filter((f) => f.link && /^https?:\/\//i.test(f.link));
  return [
    ...(text !== "" ? [{ type: "text" as const, text }] : []),
    ...files.map((f) => ({ type: "file" as const, url: f.link!, ...(f.name ? { name: f.name } : {}) })),
  ];
}

export type OperatorEvent = { ignored: string } | { channel: Channel; messages: OperatorMessage[] };

/**
 * An operator event (ONIMCONNECTORMESSAGEADD / UPDATE / DELETE share one shape, 3.7) and the
 * channel bound to its line; events of other connectors and unbound lines are to be ignored.
 */
export async function readOperatorEvent(deps: AppDeps, portal: PortalRow, form: BracketObject): Promise<OperatorEvent> {
  const { data } = parseForm(messageAddEventSchema, form);
  if (!isOurConnector(data.CONNECTOR)) return { ignored: `connector ${data.CONNECTOR}` };
  const [binding] = await findActiveBindingsOfLine(deps.db, portal.id, data.LINE);
  const channel = binding ? await findChannel(deps.db, binding.channelId) : undefined;
  if (!channel) return { ignored: `line ${data.LINE} is not bound` };
  return { channel, messages: data.MESSAGES };
}

/**
 * ONIMCONNECTORMESSAGEADD (3.1 step 5, 3.7): each operator message becomes outgoing messages
 * through the one data path. The dedup key is the portal's member_id and the IM message id, so
 * a redelivered event (3.10) finds the first message and sends nothing again. Events of other
 * connectors, and lines not bound on this portal, are acknowledged and ignored.
 */
export async function queueOperatorMessages(deps: AppDeps, portal: PortalRow, form: BracketObject): Promise<OperatorMessagesResult> {
  const result: OperatorMessagesResult = { queued: 0, duplicates: 0, skipped: 0 };
  const event = await readOperatorEvent(deps, portal, form);
  if ("ignored" in event) return { ...result, ignored: event.ignored };
  const { channel } = event;
  const now = deps.clock.now();

  for (const m of event.messages) {
    const client = await findClient(deps.db, channel.id, m);
    if (!client) {
      deps.logger.warn("bitrix24: operator message for an unknown chat", { member_id: portal.externalId, chat: m.chat.id, im_chat: m.im.chat_id });
      result.skipped++;
      continue;
    }
    if (client.crmChatId !== m.im.chat_id) {
      // the IM chat id is what delivery acks name (3.8)
      await deps.db.update(conversations).set({ crmChatId: m.im.chat_id, updatedAt: now }).where(eq(conversations.id, client.id));
    }
    let contents = contentsOf(m, channel);
    if (contents[0]?.type === "text" && (await isMirrorEcho(deps, portal, client.id, m, contents[0].text, now))) {
      // only the echoed text is dropped: files of the same post still go to the client
      contents = contents.slice(1);
      result.skipped++;
      if (contents.length === 0) continue;
    }
    const baseKey = `b24:${portal.externalId}:${m.im.message_id}`;
    const first = contents[0];
    const command = first?.type === "text" && channelHasTemplates(channel) ? parseTemplateCommand(first.text) : undefined;
    if (command && first?.type === "text") {
      const peer = peerFromKey(client.peer, client.peerName);
      const { created } = await queueTemplateCommand(deps, { origin: "openlines", channel, peer, command, dedupKey: baseKey, crmMessageId: m.im.message_id, text: first.text });
      if (created) result.queued++;
      else result.duplicates++;
      contents = contents.slice(1);
    }
    let fileIndex = 0;
    for (const content of contents) {
      const dedupKey = content.type === "text" ? baseKey : `${baseKey}:file${fileIndex++}`;
      const { created } = await queueOutgoing(deps, {
        channel,
        peer: peerFromKey(client.peer, client.peerName),
        content,
        origin: "openlines",
        dedupKey,
        crmMessageId: m.im.message_id,
      });
      if (created) result.queued++;
      else result.duplicates++;
    }
  }
  return result;
}
