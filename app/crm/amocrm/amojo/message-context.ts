import { eq } from "drizzle-orm";
import { type Channel, findChannel } from "../../../core/channels.js";
import type { Message } from "../../../core/messages/status.js";
import { PermanentError } from "../../../core/outbox/types.js";
import { conversations } from "../../../db/schema.js";
import type { AmoCrmDeps } from "../deps.js";
import { findMessage } from "../message.js";
import { type AmojoChannel, requireAmojoChannel } from "./channel-config.js";
import type { Conversation } from "./conversation-ids.js";
import { type AmojoAccount, amojoAccount, amoPortalOfChannel, findActiveAmoBinding, type LineBinding } from "./scope.js";

/** Everything an amojo job needs about one of our messages and the scope it belongs in. */
export interface AmojoMessageContext {
  message: Message;
  channel: Channel;
  binding: LineBinding;
  account: AmojoAccount;
  amojo: AmojoChannel;
  conversation: Conversation;
}

/**
 * Loads a message with its channel, active amojo binding, account and conversation. Undefined
 * when the channel is no longer bound (nothing left to do, logged). A message, channel or
 * conversation that is gone cannot come back, nor can an account needing a reinstall:
 * PermanentError (AmoCrmError).
 */
export async function loadAmojoContext(deps: AmoCrmDeps, messageId: string, what: string): Promise<AmojoMessageContext | undefined> {
  const message = await findMessage(deps.db, messageId);
  if (!message) throw new PermanentError(`message ${messageId} no longer exists`, "message_removed");
  const channel = await findChannel(deps.db, message.channelId);
  if (!channel) throw new PermanentError("channel was removed", "channel_removed");
  const binding = await findActiveAmoBinding(deps.db, channel.id);
  if (!binding) {
    deps.logger.info(`amocrm: channel not bound to amojo, ${what} skipped`, { message: message.id, channel: channel.id });
    return undefined;
  }
  const account = amojoAccount(deps, await amoPortalOfChannel(deps.db, channel), binding.lineId);
  const [conversation] = message.conversationId
    ? await deps.db.select().from(conversations).where(eq(conversations.id, message.conversationId))
    : [];
  if (!conversation) throw new PermanentError(`message ${message.id} has no conversation`, "conversation_removed");
  return { message, channel, binding, account, amojo: requireAmojoChannel(deps.config, account.portal, binding.lineId), conversation };
}
