import { hostMessageFile } from "../../../core/media.js";
import type { AppDeps } from "../../../deps.js";
import type { Bitrix24Deps } from "../oauth.js";
import { deliveredToCrm, markedEdit } from "../../../core/messages/inbound.js";
import { sendToOpenLine, updateInOpenLine } from "./client-message.js";
import { appUserId } from "./mirror-outgoing.js";
import { loadOpenLineContext } from "./message-context.js";

/**
 * `crm.deliver_incoming`: a client's message (stored by core/messages/inbound.ts) goes into the
 * bound Open Line with `imconnector.send.messages` (3.1 step 4, 3.6).
 *
 * A message the owner typed on the phone (origin "phone", direction "out") is shown too, so the
 * operators see the whole conversation: posted as the app's own Bitrix24 user (`message.user_id`,
 * 3.6/4, current docs only), the way send_to_imol mirrors are. Whether Bitrix24 hands such a
 * post back as ONIMCONNECTORMESSAGEADD is UNVERIFIED (3.10, 10.3); if it does, the operator
 * event is recognised as that echo and not sent to the client (operator-messages.ts isMirrorEcho).
 */
export async function deliverIncoming(deps: Bitrix24Deps & Pick<AppDeps, "files">, messageId: string): Promise<void> {
  const ctx = await loadOpenLineContext(deps, messageId);
  if (!ctx) return;
  const { message } = ctx;
  const fromPhone = message.direction === "out" && message.origin === "phone";
  if (message.direction !== "in" && !fromPhone) {
    deps.logger.info("bitrix24: outgoing message is not delivered as incoming", { message: message.id, origin: message.origin });
    return;
  }
  if (!message.body && !message.file) {
    // 3.6: text or files are required; an event we could not describe has neither
    deps.logger.info("bitrix24: empty message not shown in open lines", { message: message.id });
    return;
  }
  if (message.editOf) {
    // the client edited a message: shown as that message's edit once the line has it (3.6)
    if (await deliveredToCrm(deps.db, message.editOf)) {
      await updateInOpenLine(ctx.client, ctx.target, ctx.conversation, { id: message.editOf, date: message.createdAt, text: message.body });
      return;
    }
    await sendToOpenLine(deps.db, ctx.client, ctx.target, ctx.conversation, { id: message.id, date: message.createdAt, text: markedEdit(message.body) });
    return;
  }
  // 3.6: Bitrix24 downloads files[].url itself: it gets our signed copy, not the provider's link
  const hosted = message.file ? await hostMessageFile(deps, ctx.channel, message.id, message.file) : undefined;
  await sendToOpenLine(deps.db, ctx.client, ctx.target, ctx.conversation, {
    id: message.id,
    date: message.createdAt,
    text: message.body,
    file: hosted ? { url: hosted.url, name: hosted.name, mime: hosted.mime } : null,
    ...(fromPhone ? { operatorUserId: await appUserId(ctx.client) } : {}),
  });
}
