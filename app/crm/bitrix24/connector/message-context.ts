import { eq } from "drizzle-orm";
import { type Channel, findChannel } from "../../../core/channels.js";
import type { Message } from "../../../core/messages/status.js";
import { PermanentError } from "../../../core/outbox/types.js";
import { messages } from "../../../db/schema.js";
import { Bitrix24Client } from "../client.js";
import type { Bitrix24Deps } from "../oauth.js";
import type { PortalRow } from "../portal-auth.js";
import { findActiveBinding, type LineBinding, portalOfChannel } from "./binding.js";
import { type Conversation, findConversation, type OpenLineTarget } from "./client-message.js";

/** Everything a connector job needs about one of our messages and the Open Line it belongs in. */
export interface OpenLineContext {
  message: Message;
  channel: Channel;
  binding: LineBinding;
  portal: PortalRow;
  conversation: Conversation;
  client: Bitrix24Client;
  target: OpenLineTarget;
}

/**
 * Loads a message with its channel, active Bitrix24 binding, portal and conversation.
 * Undefined when the channel is no longer bound (the job has nothing left to do). A message,
 * channel or conversation that is gone cannot come back: PermanentError. An uninstalled portal
 * or one needing a reinstall fails the first REST call with Bitrix24ReinstallNeededError,
 * which is permanent too.
 */
export async function loadOpenLineContext(deps: Bitrix24Deps, messageId: string): Promise<OpenLineContext | undefined> {
  const [message] = await deps.db.select().from(messages).where(eq(messages.id, messageId));
  if (!message) throw new PermanentError(`message ${messageId} no longer exists`, "message_removed");
  const channel = await findChannel(deps.db, message.channelId);
  if (!channel) throw new PermanentError("channel was removed", "channel_removed");
  const binding = await findActiveBinding(deps.db, channel.id);
  if (!binding) {
    deps.logger.info("bitrix24: channel no longer bound, message not shown in open lines", { message: message.id, channel: channel.id });
    return undefined;
  }
  const portal = await portalOfChannel(deps.db, channel);
  const conversation = message.conversationId ? await findConversation(deps.db, message.conversationId) : undefined;
  if (!conversation) throw new PermanentError(`message ${message.id} has no conversation`, "conversation_removed");
  return {
    message,
    channel,
    binding,
    portal,
    conversation,
    client: new Bitrix24Client(deps, portal.externalId),
    target: { line: binding.lineId, messenger: channel.messenger, now: deps.clock.now() },
  };
}
