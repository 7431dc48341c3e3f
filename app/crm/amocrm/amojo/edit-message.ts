import { z } from "zod";
import type { AmoCrmDeps } from "../deps.js";
import { findMessage } from "../message.js";
import { conversationIdOf } from "./conversation-ids.js";
import type { AmojoMessageContext } from "./message-context.js";

/**
 * A client's edit (2.5 `edit_message`): amojo replaces the text of the message it has under
 * our `msgid`, in the same conversation. Only when the original is in amojo already (it has
 * amojo's id); otherwise the edit is posted as a new message marked edited (deliver.ts).
 * Returns false when the original is not there to edit.
 */
export async function postEdit(deps: AmoCrmDeps, ctx: AmojoMessageContext): Promise<boolean> {
  const { message, channel, conversation } = ctx;
  const original = message.editOf ? await findMessage(deps.db, message.editOf) : undefined;
  if (!original?.crmMessageId) return false;
  const payload = {
    timestamp: Math.floor(message.createdAt.getTime() / 1000),
    msec_timestamp: message.createdAt.getTime(),
    msgid: original.id,
    conversation_id: conversationIdOf(channel.id, conversation.peer),
    message: { type: "text", text: message.body ?? "" },
  };
  await ctx.account.client.call("POST", `/v2/origin/custom/${encodeURIComponent(ctx.binding.lineId)}`, { event_type: "edit_message", payload }, z.unknown());
  return true;
}
