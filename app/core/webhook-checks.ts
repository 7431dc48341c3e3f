import { and, count, eq } from "drizzle-orm";
import { channels, messages } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { type ChannelState, type Peer, ProviderPermanentError, ProviderRetryableError } from "../providers/types.js";
import { providerContext, providerOf } from "./channels.js";
import { AppError } from "./errors.js";
import type { Message } from "./messages/status.js";
import { peerKey } from "./peer.js";
import { assertChannelCanSend, publicCodeOf } from "./webhook-send.js";
import type { WebhookCaller } from "./webhook-tokens.js";
import { forgetChannel } from "./lookup-cache.js";

/** Turns a provider failure during a synchronous check into the public API's error. */
function providerFailure(err: unknown, what: string): AppError {
  if (err instanceof ProviderRetryableError) {
    return new AppError("unavailable", `The provider could not ${what} right now: try again later`, {
      ...(err.delayMs !== undefined ? { retryAfterMs: err.delayMs } : {}),
    });
  }
  if (err instanceof ProviderPermanentError) {
    const code = publicCodeOf(err.code);
    if (code === "channel_not_connected") return new AppError(code, `The channel is not connected (${err.code})`);
    if (code === "invalid_phone") return new AppError(code, "phone_number: the provider rejected the number", { field: "phone_number" });
    if (code === "unsupported") return new AppError(code, `This channel's provider cannot ${what}`);
    return new AppError("unavailable", `The provider could not ${what} (${err.code})`);
  }
  throw err;
}

/**
 * checkPhone: asks the provider whether the number has the messenger. The channel state is
 * checked first so a logged-out or banned channel costs no provider call.
 */
export async function checkPhoneViaWebhook(deps: AppDeps, caller: WebhookCaller, phone: string): Promise<{ exists: boolean }> {
  const provider = providerOf(caller.channel);
  if (!provider.capabilities.checkPhone) {
    throw new AppError("unsupported", `${provider.title} cannot check whether a number has the messenger`);
  }
  assertChannelCanSend(caller.channel);
  try {
    const { exists } = await provider.checkPhone(await providerContext(deps, caller.channel), phone);
    return { exists };
  } catch (err) {
    throw providerFailure(err, "check the number");
  }
}

export interface WebhookChannelStatus {
  state: ChannelState;
  detail?: string;
  /** outgoing messages of the channel not yet handed to the provider */
  queued: number;
  checkedAt: Date;
}

/** Failures that still say something definite about the channel's state. */
function stateFromFailure(err: unknown, qrLogin: boolean): ChannelState | undefined {
  if (!(err instanceof ProviderPermanentError)) return undefined;
  if (err.code === "invalid_credentials") return "unauthorized";
  if (err.code === "banned") return "banned";
  if (err.code === "not_connected") return qrLogin ? "qr_required" : "unknown";
  return undefined;
}

/**
 * checkStatus: the provider's live view of the channel, normalised, plus the queue depth. A
 * definite answer is stored in channels.state, which sends consult instead of the provider.
 * When the provider cannot be asked, the stored state is reported with that detail.
 */
export async function channelStatusForWebhook(deps: AppDeps, caller: WebhookCaller): Promise<WebhookChannelStatus> {
  const { channel } = caller;
  const provider = providerOf(channel);
  const now = deps.clock.now();
  let state: ChannelState | undefined;
  let detail: string | undefined;
  try {
    const answer = await provider.status(await providerContext(deps, channel));
    state = answer.state;
    detail = answer.detail;
  } catch (err) {
    if (!(err instanceof ProviderPermanentError || err instanceof ProviderRetryableError)) throw err;
    state = stateFromFailure(err, provider.capabilities.qrLogin);
    detail = state ? err.code : `the provider did not answer (${err.code}); last known state`;
  }
  if (state) {
    await deps.db.update(channels).set({ state, stateCheckedAt: now, updatedAt: now }).where(eq(channels.id, channel.id));
    forgetChannel(channel.id);
  }
  const [queue] = await deps.db
    .select({ n: count() })
    .from(messages)
    .where(and(eq(messages.channelId, channel.id), eq(messages.direction, "out"), eq(messages.status, "queued")));
  return {
    state: state ?? (channel.state as ChannelState),
    ...(detail ? { detail } : {}),
    queued: Number(queue?.n ?? 0),
    checkedAt: now,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * checkMessageStatus: an outgoing message of the caller's channel to the given peer. OLChat
 * asks for the phone as well as the id; a mismatch answers exactly like an unknown id, so
 * ids cannot be probed across channels or recipients.
 */
export async function messageStatusForWebhook(deps: Pick<AppDeps, "db">, caller: WebhookCaller, messageId: string, peer: Peer): Promise<Message> {
  const notFound = () => new AppError("not_found", "No message with this message_id was sent by this channel to this recipient");
  if (!UUID.test(messageId)) throw notFound();
  const [row] = await deps.db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.id, messageId.toLowerCase()),
        eq(messages.channelId, caller.channel.id),
        eq(messages.direction, "out"),
        eq(messages.peer, peerKey(peer)),
      ),
    );
  if (!row) throw notFound();
  return row;
}
