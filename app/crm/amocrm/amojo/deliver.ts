import { eq } from "drizzle-orm";
import { hostMessageFile } from "../../../core/media.js";
import { RetryableError } from "../../../core/outbox/types.js";
import { files } from "../../../db/schema.js";
import type { AmoCrmDeps } from "../deps.js";
import { findMessage } from "../message.js";
import { markedEdit } from "../../../core/messages/inbound.js";
import { postEdit } from "./edit-message.js";
import { type AmojoMessageContext, loadAmojoContext } from "./message-context.js";
import { botUserOf, messageBodyOf, postNewMessage, type SizedFile } from "./new-message.js";

/** How soon to look again while the provider has not taken an API message yet. */
const PROVIDER_WAIT_MS = 5_000;

/**
 * The message's file as amojo downloads it: our signed public copy (amojo fetches `media`
 * itself and needs a public link, 6.2 pitfall 9), with its size, which file/picture/video
 * messages must carry.
 */
async function hostedFileOf(deps: AmoCrmDeps, ctx: AmojoMessageContext): Promise<SizedFile | undefined> {
  const { message, channel } = ctx;
  if (!message.file) return undefined;
  const hosted = await hostMessageFile(deps, channel, message.id, message.file);
  // hostMessageFile records the copy on the row; its size is read from there (or from the copy)
  const after = await findMessage(deps.db, message.id);
  let size = after?.file?.size;
  if (size === undefined && after?.file?.hostedId) {
    const [row] = await deps.db.select({ size: files.size }).from(files).where(eq(files.id, after.file.hostedId));
    size = row?.size;
  }
  // 6.2 pitfall 9: a file message without its real size is refused, so none goes without one
  if (size === undefined) throw new RetryableError("the re-hosted copy's size is not recorded yet", PROVIDER_WAIT_MS);
  return { ...hosted, size };
}

/** How a message goes in: as the client's, or to the client from the channel bot, and whether managers are told. */
type Posting = { direction: "incoming"; silent: false } | { direction: "outgoing"; silent: boolean };

/**
 * Posts the message as `new_message` unless it is already in amojo (a retry after amojo answered
 * but before the job was marked done) or has nothing to show.
 */
async function postMessage(deps: AmoCrmDeps, ctx: AmojoMessageContext, posting: Posting): Promise<void> {
  const { message } = ctx;
  if (message.crmMessageId) {
    deps.logger.info("amocrm: message already in amojo", { message: message.id, amojo: message.crmMessageId });
    return;
  }
  const body = messageBodyOf(message.body, await hostedFileOf(deps, ctx));
  if (!body) {
    deps.logger.info("amocrm: empty message not posted into amojo", { message: message.id });
    return;
  }
  const sender = posting.direction === "outgoing" ? { sender: botUserOf(ctx.channel, ctx.amojo.botId) } : {};
  await postNewMessage(deps.db, ctx.account.client, ctx.binding.lineId, { ...ctx, ...posting, ...sender, body }, deps.clock.now());
}

/**
 * `crm.deliver_incoming` on an amoCRM account (2.5): a client's message becomes a non-silent
 * `new_message` in the account's scope, which creates the Incoming-leads entry, contact and chat
 * on the first one. A message the owner typed on the phone (origin "phone") goes in as an
 * outgoing message to the client, written by the channel bot, silently: the owner already
 * answered, so it must neither notify managers nor open a lead (2.5 last example).
 */
export async function deliverToAmojo(deps: AmoCrmDeps, messageId: string): Promise<void> {
  const ctx = await loadAmojoContext(deps, messageId, "delivery");
  if (!ctx) return;
  const { message } = ctx;
  if (message.direction === "in" && message.editOf) {
    if (message.crmMessageId || (await postEdit(deps, ctx))) return;
    // the original never reached amojo: the edit goes in as a new message, marked
    return postMessage(deps, { ...ctx, message: { ...message, body: markedEdit(message.body) } }, { direction: "incoming", silent: false });
  }
  if (message.direction === "in") return postMessage(deps, ctx, { direction: "incoming", silent: false });
  if (message.origin === "phone") return postMessage(deps, ctx, { direction: "outgoing", silent: true });
  deps.logger.info("amocrm: only client and phone messages are delivered into amojo", { message: message.id, origin: message.origin });
}

/**
 * `crm.mirror_outgoing` (webhook API with send_to_imol=Y): once the provider has taken the
 * message, it is shown in the client's amoCRM chat as written by the channel bot. Not silent,
 * unlike a phone message: send_to_imol asks for the conversation to land with a manager, and
 * only a non-silent message opens the Incoming-leads entry and notifies (2.5 `silent`); a
 * silent one would leave an empty-looking chat nobody is told about, and the client's reply
 * would arrive without the context. A send that failed reached nobody and is not shown. A file
 * is re-hosted like a client's: amojo needs its size, and the caller's link need not last.
 */
export async function mirrorToAmojo(deps: AmoCrmDeps, messageId: string): Promise<void> {
  const ctx = await loadAmojoContext(deps, messageId, "mirror");
  if (!ctx) return;
  if (ctx.message.status === "queued") throw new RetryableError("the provider has not taken the message yet", PROVIDER_WAIT_MS);
  if (ctx.message.status === "failed") {
    deps.logger.info("amocrm: failed API message not mirrored into amojo", { message: ctx.message.id });
    return;
  }
  await postMessage(deps, ctx, { direction: "outgoing", silent: false });
}
