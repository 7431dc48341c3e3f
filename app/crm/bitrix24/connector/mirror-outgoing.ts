import { z } from "zod";
import { RetryableError } from "../../../core/outbox/types.js";
import type { Bitrix24Client } from "../client.js";
import type { Bitrix24Deps } from "../oauth.js";
import { sendToOpenLine } from "./client-message.js";
import { loadOpenLineContext } from "./message-context.js";

/** How soon to look again while the provider has not taken the message yet. */
const PROVIDER_WAIT_MS = 5_000;

/** `profile`: the user whose token the app holds (the admin who installed it), named in 1.4. */
const profileSchema = z.looseObject({ ID: z.coerce.string().min(1) });

/** The app's user changes only with a reinstall by another admin: asked again after this long. */
const APP_USER_TTL_MS = 10 * 60_000;
const appUsers = new Map<string, { id: string; until: number }>();

/**
 * The Bitrix24 user we post as (mirrors, phone messages) and whose echoes we recognise: one
 * `profile` call per portal and process every few minutes, not one per message.
 */
export async function appUserId(client: Bitrix24Client): Promise<string> {
  const known = appUsers.get(client.memberId);
  if (known && known.until > Date.now()) return known.id;
  const id = (await client.call("profile", {}, profileSchema)).ID;
  appUsers.set(client.memberId, { id, until: Date.now() + APP_USER_TTL_MS });
  return id;
}

/**
 * `crm.mirror_outgoing` (send_to_imol=Y on the webhook API): shows an API-sent message in the
 * client's Open Lines chat, so the reply lands with an operator. Section 4's bridge pattern:
 * send through the provider first, then mirror with `imconnector.send.messages`, which creates
 * the chat and session when none exists; `message.user_id` posts it as a Bitrix24 user (the
 * app's own user) rather than as the client [doc, current docs only]. A send that failed
 * reached nobody and is not mirrored.
 */
export async function mirrorOutgoing(deps: Bitrix24Deps, messageId: string): Promise<void> {
  const ctx = await loadOpenLineContext(deps, messageId);
  if (!ctx) return;
  const { message } = ctx;
  if (message.status === "queued") throw new RetryableError("the provider has not taken the message yet", PROVIDER_WAIT_MS);
  if (message.status === "failed") {
    deps.logger.info("bitrix24: failed API message not mirrored into open lines", { message: message.id });
    return;
  }
  await sendToOpenLine(deps.db, ctx.client, ctx.target, ctx.conversation, {
    id: message.id,
    date: message.createdAt,
    text: message.body,
    file: message.file,
    operatorUserId: await appUserId(ctx.client),
  });
}
