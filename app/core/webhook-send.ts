import { eq } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channels, type MessageTemplateRef, messages } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import type { ChannelState, OutgoingContent, Peer } from "../providers/types.js";
import { type Channel, providerOf } from "./channels.js";
import { capReachedFor } from "./daily-caps.js";
import { AppError, type ErrorCode } from "./errors.js";
import { blockReasonOf, fallbacksOf } from "./failover.js";
import { peerKey } from "./peer.js";
import { failureText, type NoteLanguage } from "./failure-texts.js";
import { type ExtraJob, queueOutgoing } from "./messages/outgoing.js";
import { assertWindowOpen } from "./service-window.js";
import { AMOCRM_NOTE_JOB, TIMELINE_NOTE_JOB, VERDICT_WAIT_MS } from "./messages/verdict-wait.js";
import type { Message } from "./messages/status.js";
import type { WebhookCaller } from "./webhook-tokens.js";

/** Mirrors an API send into the CRM chat; the Bitrix24 side registers its handler. */
export const MIRROR_OUTGOING_JOB = "crm.mirror_outgoing";

export { AMOCRM_NOTE_JOB, TIMELINE_NOTE_JOB };

/**
 * The CRM note job of one message, written in the message's transaction (queueOutgoing
 * extraJobs); it waits for the provider's verdict (messages/verdict-wait.ts).
 */
export function crmNoteJob(crm: "bitrix24" | "amocrm", messageId: string): ExtraJob {
  const kind = crm === "bitrix24" ? TIMELINE_NOTE_JOB : AMOCRM_NOTE_JOB;
  return { kind, payload: { messageId }, dedupKey: `${kind}:${messageId}`, runAfterMs: VERDICT_WAIT_MS };
}

/**
 * The Bitrix24 timeline job of a robot's message: besides the entities found by phone, the CRM
 * document the robot ran on (a deal, a smart-process item...) gets the comment.
 */
export function timelineNoteJob(messageId: string, document?: { entityType: string; entityId: string }): ExtraJob {
  const job = crmNoteJob("bitrix24", messageId);
  return document ? { ...job, payload: { messageId, document } } : job;
}

/** A repeated request_id within this window returns the first message and sends nothing. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** How often a `wait` call looks at the message row for the provider's verdict. */
const WAIT_POLL_MS = 200;

/**
 * States in which a send cannot succeed until a person acts (scan the QR code, fix the
 * credentials, replace the number). Known from channels.state, which provider webhooks and
 * checkStatus keep current, so a send never costs a provider call just to find out.
 */
const BLOCKED_STATES: ReadonlySet<string> = new Set<ChannelState>(["banned", "unauthorized", "qr_required"]);

export function assertChannelCanSend(channel: Channel): void {
  if (!BLOCKED_STATES.has(channel.state)) return;
  const why: Record<string, string> = {
    banned: "the number is banned by the messenger",
    unauthorized: "the provider rejects the channel's credentials",
    qr_required: "the channel is logged out: scan the QR code in the channel settings",
  };
  throw new AppError("channel_not_connected", `The channel cannot send: ${why[channel.state]}`);
}

/**
 * assertChannelCanSend for a channel with fallbacks (core/failover.ts): a blocked channel's
 * message is accepted when one of its fallbacks can send it.
 */
export async function assertGroupCanSend(deps: Pick<AppDeps, "db" | "config">, channel: Channel, now: Date): Promise<void> {
  if (!BLOCKED_STATES.has(channel.state) || channel.fallbackIds.length === 0) return assertChannelCanSend(channel);
  const fallbacks = await fallbacksOf(deps.db, channel);
  if (fallbacks.some((f) => blockReasonOf(f, now, deps.config) === undefined)) return;
  assertChannelCanSend(channel);
}

/**
 * `if_capped=fail`: refused at once when the channel is over a daily cap and the message could
 * not go through a fallback (none is configured, or the channel waits instead).
 */
async function assertUnderCap(deps: Pick<AppDeps, "db" | "config">, channel: Channel, peer: string, now: Date): Promise<void> {
  const cap = await capReachedFor(deps.db, channel, peer, now);
  if (!cap) return;
  if (channel.capOverflow === "fallback") {
    for (const fallback of await fallbacksOf(deps.db, channel)) {
      if (blockReasonOf(fallback, now, deps.config) === undefined && !(await capReachedFor(deps.db, fallback, peer, now))) return;
    }
  }
  throw new AppError(
    "daily_cap_reached",
    cap === "messages"
      ? `The channel has sent its daily cap of ${channel.dailyMessageCap} messages; without if_capped=fail the message would wait for the next day`
      : `The channel has started its daily cap of ${channel.dailyNewChatCap} new chats; without if_capped=fail the message would wait for the next day`,
  );
}

/**
 * The channel that sent the message, for answers that say it (`sent_via`): a fallback of the
 * group or the caller's own channel; null while nothing has sent it yet.
 */
export async function sentViaOf(deps: Pick<AppDeps, "db">, own: Channel, message: Message): Promise<{ channel_id: string; name: string } | null> {
  if (message.viaChannelId) {
    const [row] = await deps.db.select({ id: channels.id, name: channels.name }).from(channels).where(eq(channels.id, message.viaChannelId));
    return row ? { channel_id: row.id, name: row.name } : { channel_id: message.viaChannelId, name: "" };
  }
  if (message.status === "queued" || (message.status === "failed" && !message.providerMessageId)) return null;
  return { channel_id: own.id, name: own.name };
}

/** sendFile passes a link; providers that can only upload bytes cannot take it. */
export function assertCanSendFileByUrl(channel: Channel): void {
  const provider = providerOf(channel);
  if (!provider.capabilities.fileByUrl) {
    throw new AppError("unsupported", `${provider.title} cannot send a file by its link`);
  }
}

/**
 * A Telegram bot cannot write first to a phone number (channels-next.md 1): only to chats that
 * started it. Refused at once with what to do, instead of a message that fails later.
 */
export function assertCanReach(channel: Channel, peer: Peer, field = "phone_number"): void {
  const provider = providerOf(channel);
  if (provider.capabilities.sendsToPhone !== false || peer.chatId) return;
  throw new AppError(
    "invalid_parameter",
    `${field}: a ${provider.title} channel cannot write first to a phone number; the client must start the bot, then use their chat_id`,
    { field },
  );
}

export interface WebhookSendInput {
  caller: WebhookCaller;
  peer: Peer;
  /**
   * A template send (sendTemplate): the window does not apply. Prepared (checked against the
   * channel's templates, which may ask the provider) only when a new message is queued, so a
   * repeated request_id returns the first message even if the template changed since.
   */
  template?: () => Promise<{ ref: MessageTemplateRef; text: string }>;
  /**
   * Builds the message content; called only when a new message is queued, so a repeated
   * request_id or a blocked channel costs no file probe.
   */
  content?: () => Promise<OutgoingContent>;
  sendToImol: boolean;
  /** the caller's idempotency key */
  requestId?: string | undefined;
  /** seconds to hold the answer for the provider's verdict; 0 answers once queued */
  waitSeconds: number;
  /** over the channel's daily cap: queue for later (default) or refuse with daily_cap_reached */
  ifCapped?: "wait" | "fail" | undefined;
}

function contentOf(input: WebhookSendInput): Promise<OutgoingContent> {
  if (!input.content) throw new Error("a webhook send needs content or a template");
  return input.content();
}

/**
 * The dedup key of an API send: per channel, so a retry through a regenerated token is still a
 * repeat. queueOutgoing holds it for IDEMPOTENCY_WINDOW_MS and retires it after, in the same
 * transaction as the insert, so two calls racing across any boundary can never both send.
 */
function dedupKeyOf(channelId: string, requestId: string): string {
  return `api:${channelId}:${requestId}`;
}

/** A repeat found before the (possibly slow) file check; queueOutgoing decides again atomically. */
async function findRepeat(db: Db, channelId: string, requestId: string, now: Date): Promise<Message | undefined> {
  const [row] = await db.select().from(messages).where(eq(messages.dedupKey, dedupKeyOf(channelId, requestId)));
  return row && now.getTime() - row.createdAt.getTime() < IDEMPOTENCY_WINDOW_MS ? row : undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Holds the answer until the provider accepted or refused the message, or the time is up.
 * Polls the row rather than listening for an event: it works the same on every runtime and
 * whichever instance runs the send job.
 */
async function waitForVerdict(db: Db, message: Message, seconds: number): Promise<Message> {
  let current = message;
  for (let waited = 0; current.status === "queued" && waited < seconds * 1000; waited += WAIT_POLL_MS) {
    await sleep(WAIT_POLL_MS);
    const [row] = await db.select().from(messages).where(eq(messages.id, message.id));
    if (!row) break;
    current = row;
  }
  return current;
}

/**
 * sendText and sendFile of the public webhook API: one message through the one data path
 * (queueOutgoing), deduplicated by the caller's request_id for 24 hours. With send_to_imol
 * on a channel bound to an Open Line or amojo scope, a mirror job is written in the same
 * transaction so the operator sees what the integration sent; on a CRM portal's channel, a
 * note job too (Bitrix24 timeline / amoCRM contact note), so the recipient's card shows it.
 */
export async function sendViaWebhook(deps: AppDeps, input: WebhookSendInput): Promise<Message> {
  const { caller } = input;
  const now = deps.clock.now();
  let message: Message | undefined;
  if (input.requestId !== undefined) message = await findRepeat(deps.db, caller.channel.id, input.requestId, now);

  if (!message) {
    await assertGroupCanSend(deps, caller.channel, now);
    if (input.ifCapped === "fail") await assertUnderCap(deps, caller.channel, peerKey(input.peer), now);
    assertCanReach(caller.channel, input.peer);
    if (!input.template) await assertWindowOpen(deps.db, caller.channel, input.peer, now);
    const template = input.template ? await input.template() : undefined;
    const content: OutgoingContent = template ? { type: "text", text: template.text } : await contentOf(input);
    const dedupKey =
      input.requestId !== undefined ? dedupKeyOf(caller.channel.id, input.requestId) : `api:${caller.channel.id}:once:${crypto.randomUUID()}`;
    const mirror = input.sendToImol && caller.bound;
    const noteCrm = caller.portalCrm;
    const queued = await queueOutgoing(deps, {
      channel: caller.channel,
      peer: input.peer,
      content,
      origin: "webhook_api",
      dedupKey,
      dedupWindowMs: IDEMPOTENCY_WINDOW_MS,
      sendToImol: input.sendToImol,
      ...(template ? { template: template.ref } : {}),
      ...(mirror || noteCrm
        ? {
            extraJobs: (id: string) => [
              ...(mirror ? [{ kind: MIRROR_OUTGOING_JOB, payload: { messageId: id }, dedupKey: `${MIRROR_OUTGOING_JOB}:${id}` }] : []),
              ...(noteCrm ? [crmNoteJob(noteCrm, id)] : []),
            ],
          }
        : {}),
    });
    message = queued.message;
  }
  return input.waitSeconds > 0 ? waitForVerdict(deps.db, message, input.waitSeconds) : message;
}

/** Provider failure codes (ProviderErrorCode and the outbox's own) in the public API's vocabulary. */
const FAILURE_CODES: Partial<Record<string, ErrorCode>> = {
  no_messenger: "no_messenger",
  invalid_recipient: "invalid_recipient",
  template_required: "template_required",
  template_invalid: "template_invalid",
  bad_number: "invalid_phone",
  banned: "channel_not_connected",
  invalid_credentials: "channel_not_connected",
  not_connected: "channel_not_connected",
  unsupported: "unsupported",
};

/** The public code for a provider's failure code, when the API has a more precise one than its default. */
export function publicCodeOf(providerCode: string | null | undefined): ErrorCode | undefined {
  return FAILURE_CODES[providerCode ?? ""];
}

/**
 * Why a failed message failed, as a public error code and a fixed text (the stored error may
 * name provider hosts or quote their answers, which stay with the admin); undefined unless it failed.
 */
export function failureOf(message: Message, lang: NoteLanguage = "en"): { code: ErrorCode; message: string } | undefined {
  if (message.status !== "failed") return undefined;
  const code = publicCodeOf(message.errorCode) ?? "send_failed";
  return { code, message: failureText(code, lang) };
}
