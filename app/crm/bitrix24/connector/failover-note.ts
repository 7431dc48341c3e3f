import { findChannel } from "../../../core/channels.js";
import { type BlockReason, failoverNoteText } from "../../../core/failover.js";
import { languageOfDomain } from "../../../core/failure-texts.js";
import type { Bitrix24Deps } from "../oauth.js";
import { sendToOpenLine } from "./client-message.js";
import { loadOpenLineContext } from "./message-context.js";
import { appUserId } from "./mirror-outgoing.js";

/**
 * `crm.failover_note` on a Bitrix24 portal (core/failover.ts): the client's Open Lines chat
 * gets a note, posted as the app's user like the send_to_imol mirrors, that the replies now
 * come from another number and why, in the portal's language. Should Bitrix24 hand it back as
 * an operator message, it starts with SYSTEM_NOTE_MARK (operator-messages.ts) and is not sent to the client.
 */
export async function noteFailover(deps: Bitrix24Deps, messageId: string, reason: BlockReason): Promise<void> {
  const ctx = await loadOpenLineContext(deps, messageId);
  if (!ctx) return;
  const via = ctx.message.viaChannelId ? await findChannel(deps.db, ctx.message.viaChannelId) : undefined;
  if (!via) return deps.logger.info("bitrix24: failover note for a message sent by its own channel skipped", { message: messageId });
  const text = failoverNoteText(languageOfDomain(ctx.portal.domain), ctx.channel.name, via.name, reason);
  await sendToOpenLine(deps.db, ctx.client, ctx.target, ctx.conversation, {
    id: `note-${ctx.message.id}`,
    date: deps.clock.now(),
    text,
    operatorUserId: await appUserId(ctx.client),
  });
}
