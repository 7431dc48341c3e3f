import { hostMessageFile } from "../../../core/media.js";
import type { AppDeps } from "../../../deps.js";
import type { Bitrix24Deps } from "../oauth.js";
import { sendToOpenLine } from "./client-message.js";
import { loadOpenLineContext } from "./message-context.js";

/**
 * `crm.deliver_incoming`: a client's message (stored by core/messages/inbound.ts) goes into the
 * bound Open Line with `imconnector.send.messages` (3.1 step 4, 3.6).
 *
 * Messages the owner typed on the phone (origin "phone", direction "out") are not shown: 3.6/4
 * can post as a Bitrix24 manager only with a manager's user id (`message.user_id`, current docs
 * only), which a phone message does not have, and whether such a post comes back to us as
 * ONIMCONNECTORMESSAGEADD (and would be sent to the client again) is UNVERIFIED (3.10, 10.3).
 */
export async function deliverIncoming(deps: Bitrix24Deps & Pick<AppDeps, "files">, messageId: string): Promise<void> {
  const ctx = await loadOpenLineContext(deps, messageId);
  if (!ctx) return;
  const { message } = ctx;
  if (message.direction !== "in") {
    deps.logger.info("bitrix24: owner's phone message not shown in open lines", { message: message.id });
    return;
  }
  if (!message.body && !message.file) {
    // 3.6: text or files are required; an event we could not describe has neither
    deps.logger.info("bitrix24: empty client message not shown in open lines", { message: message.id });
    return;
  }
  // 3.6: Bitrix24 downloads files[].url itself: it gets our signed copy, not the provider's link
  const hosted = message.file ? await hostMessageFile(deps, ctx.channel, message.id, message.file) : undefined;
  await sendToOpenLine(deps.db, ctx.client, ctx.target, ctx.conversation, {
    id: message.id,
    date: message.createdAt,
    text: message.body,
    file: hosted ? { url: hosted.url, name: hosted.name, mime: hosted.mime } : null,
  });
}
