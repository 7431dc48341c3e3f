import { and, eq, isNull, ne } from "drizzle-orm";
import type { Channel } from "../../../core/channels.js";
import { AppError } from "../../../core/errors.js";
import { queueOutgoing } from "../../../core/messages/outgoing.js";
import { queueTemplateCommand } from "../../../core/messages/template-command-send.js";
import { parseTemplateCommand } from "../../../core/template-command.js";
import { channelHasTemplates } from "../../../core/templates.js";
import { peerKey } from "../../../core/peer.js";
import { parsePhone } from "../../../core/phone.js";
import { assertPublicUrl } from "../../../core/ssrf.js";
import { channels, conversations, lineBindings, messages, portals } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { Peer } from "../../../providers/types.js";
import { amoSettingsOf } from "../portal.js";
import { conversationIdOf, type OurClient, parseClientUserId, parseConversationId, pendingRefValue } from "./conversation-ids.js";
import { type AmojoHook, type AmojoHookMessage, outgoingContentOf } from "./hook-payload.js";

export type HookOutcome =
  | { kind: "queued"; messageId: string; created: boolean }
  | { kind: "ignored"; reason: string }
  /** authenticated, but we cannot tell where it goes: kept in quarantine by the route */
  | { kind: "unplaced"; reason: string; channelId?: string };

interface ScopeTarget {
  channel: Channel;
  portalId: string;
}

/** Live channels bound (active) to the scope on the account with this amojo id (2.7 `account_id`). */
async function targetsOf(deps: AppDeps, scopeId: string, amojoId: string): Promise<ScopeTarget[]> {
  const rows = await deps.db
    .select({ channel: channels, portal: portals })
    .from(lineBindings)
    .innerJoin(channels, eq(channels.id, lineBindings.channelId))
    .innerJoin(portals, eq(portals.id, channels.portalId))
    .where(
      and(
        eq(lineBindings.crm, "amocrm"),
        eq(lineBindings.lineId, scopeId),
        eq(lineBindings.active, true),
        isNull(channels.deletedAt),
        eq(portals.crm, "amocrm"),
        eq(portals.status, "active"),
      ),
    );
  return rows.filter((r) => amoSettingsOf(r.portal).amojoId === amojoId).map((r) => ({ channel: r.channel, portalId: r.portal.id }));
}

/**
 * Which of the scope's channels sends the reply: the source the chat belongs to, when the account
 * has sources whose external_id is a channel id of ours (2.5; we post none ourselves), else the channel in our own
 * conversation id, else, for a write-first chat, the scope's only channel. Our conversation id
 * naming a different channel than the source is a contradiction, not a choice.
 */
function chooseTarget(targets: ScopeTarget[], m: AmojoHookMessage, ours: OurClient | undefined): ScopeTarget | string {
  const bySource = m.source.external_id ? targets.find((t) => t.channel.id === m.source.external_id) : undefined;
  if (bySource) {
    if (ours && ours.channelId !== bySource.channel.id) return "the source and the conversation name different channels";
    return bySource;
  }
  if (ours) return targets.find((t) => t.channel.id === ours.channelId) ?? `channel ${ours.channelId} is not bound to this scope`;
  if (targets.length === 1) return targets[0]!;
  return targets.length === 0 ? "no channel is bound to this scope" : "a write-first chat without a source on a scope with several channels";
}

/** The client: from our conversation or user id, else the number a manager chose for a write-first chat (2.7). */
function peerOf(m: AmojoHookMessage, ours: OurClient | undefined): Peer | undefined {
  if (ours) return ours.peer;
  const phone = m.receiver.phone ? parsePhone(m.receiver.phone) : undefined;
  return phone?.ok ? { phone: phone.phone } : undefined;
}

/**
 * A message we posted ourselves (a phone or API message, 2.5 with `receiver`) coming back as a
 * hook [U: whether amojo sends hooks for them]: its amojo id is already on one of our messages.
 */
async function isOwnEcho(deps: AppDeps, channelId: string, amojoMessageId: string): Promise<boolean> {
  const [row] = await deps.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.channelId, channelId), eq(messages.crmMessageId, amojoMessageId), ne(messages.origin, "amojo")))
    .limit(1);
  return row !== undefined;
}

/**
 * A manager's message from an outgoing hook (2.7), placed on a channel and client of the scope
 * and queued through the one data path. The dedup key is the scope and amojo's message id, so a
 * repeated hook never sends twice; amojo's id stays on the message for its delivery status (2.8).
 */
export async function receiveAmojoHook(deps: AppDeps, scopeId: string, hook: AmojoHook): Promise<HookOutcome> {
  const m = hook.message;
  if (!m) return { kind: "ignored", reason: "no message (typing or reaction)" };
  const ours = parseConversationId(m.conversation.client_id) ?? parseClientUserId(m.receiver.client_id);
  const target = chooseTarget(await targetsOf(deps, scopeId, hook.account_id), m, ours);
  if (typeof target === "string") return { kind: "unplaced", reason: target };
  const { channel } = target;
  const peer = peerOf(m, ours);
  if (!peer) return { kind: "unplaced", reason: "the hook names no client of ours and no usable phone", channelId: channel.id };
  const content = outgoingContentOf(m.message);
  if (!content) return { kind: "unplaced", reason: `nothing to send in a ${m.message.type} message`, channelId: channel.id };
  if (content.type === "file") {
    try {
      assertPublicUrl(content.url, { allowLoopback: deps.config.OUTBOUND_ALLOW_LOOPBACK }, "media");
    } catch (err) {
      if (err instanceof AppError) return { kind: "unplaced", reason: err.message, channelId: channel.id };
      throw err;
    }
  }
  if (await isOwnEcho(deps, channel.id, m.message.id)) return { kind: "ignored", reason: "our own message coming back" };

  const dedupKey = `amojo:${scopeId}:${m.message.id}`;
  const command = content.type === "text" && channelHasTemplates(channel) ? parseTemplateCommand(content.text) : undefined;
  if (command && content.type === "text") {
    // a manager's `/template …` in an amoCRM chat, as in Open Lines; its -1 report lists the templates (report-status.ts)
    const queued = await queueTemplateCommand(deps, { origin: "amojo", channel, peer, command, dedupKey, crmMessageId: m.message.id, text: content.text });
    return { kind: "queued", messageId: queued.message.id, created: queued.created };
  }
  const { message, created } = await queueOutgoing(deps, {
    channel,
    peer,
    content,
    origin: "amojo",
    dedupKey,
    crmMessageId: m.message.id,
  });
  if (created && message.conversationId) {
    const now = deps.clock.now();
    if (m.conversation.client_id) {
      await deps.db.update(conversations).set({ crmChatId: m.conversation.client_id, updatedAt: now }).where(eq(conversations.id, message.conversationId));
    } else {
      // A write-first chat (2.7, 6.2 pitfall 8) is bound to ours by the client's next message; a
      // client already chatting under our id keeps that chat (its id is bound to another one).
      const pending = pendingRefValue({ conversation: m.conversation.id, ...(m.receiver.id ? { user: m.receiver.id } : {}) });
      await deps.db
        .update(conversations)
        .set({ crmChatId: conversationIdOf(channel.id, peerKey(peer)), crmSessionId: pending, updatedAt: now })
        .where(and(eq(conversations.id, message.conversationId), isNull(conversations.crmChatId)));
    }
  }
  return { kind: "queued", messageId: message.id, created };
}
