import { and, asc, eq, gte, isNull, lte, or, sql } from "drizzle-orm";
import { channels, messages, paceSlots } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import { gatewayCredentials } from "../providers/gateway/index.js";
import type { ChannelState, Peer, ProviderEvent } from "../providers/types.js";
import { type Channel, channelCredentials, pacingOf } from "./channels.js";
import { hashToken } from "./tokens.js";
import { recordProviderEvents } from "./messages/inbound.js";
import { recordStatus } from "./messages/record-status.js";
import type { Message, StatusChange } from "./messages/status.js";
import { parsePhone } from "./phone.js";
import { forgetChannel } from "./lookup-cache.js";

/** A phone that sent no heartbeat for this long is shown as offline. */
export const HEARTBEAT_FRESH_MS = 3 * 60_000;

type GatewayDeps = Pick<AppDeps, "db" | "clock" | "keyring" | "config" | "queue">;

export type NextResult =
  | { kind: "message"; message: Message; attempt: number; leaseUntil: Date }
  | { kind: "none" }
  | { kind: "wait"; retryAfterMs: number };

const queuedFor = (channelId: string) =>
  and(eq(messages.channelId, channelId), eq(messages.direction, "out"), eq(messages.status, "queued"));

async function settings(deps: GatewayDeps, channel: Channel) {
  return gatewayCredentials.parse(await channelCredentials(deps.keyring, channel));
}

/** Marks failed the messages handed out too often without a result (the phone keeps dying on them). */
async function failAbandoned(deps: GatewayDeps, channel: Channel, maxAttempts: number, now: Date): Promise<void> {
  const stuck = await deps.db
    .select()
    .from(messages)
    .where(and(queuedFor(channel.id), lte(messages.gatewayLeaseUntil, now), gte(messages.gatewayAttempts, maxAttempts)));
  for (const m of stuck) {
    await recordStatus(deps, m, {
      status: "failed",
      at: now,
      errorCode: "phone_no_result",
      reason: `the phone took this message ${m.gatewayAttempts} times without reporting a result`,
    });
  }
}

/**
 * GET next: the oldest queued message of the channel, leased to the phone; it is offered again
 * when no result arrives before the lease ends. Hand-outs are paced like provider sends (the
 * phone types into an unofficial WhatsApp), so a fast-polling phone is told when to come back.
 */
export async function gatewayNext(deps: GatewayDeps, channel: Channel): Promise<NextResult> {
  const now = deps.clock.now();
  const cfg = await settings(deps, channel);
  await failAbandoned(deps, channel, cfg.maxAttempts, now);
  const available = or(isNull(messages.gatewayLeaseUntil), lte(messages.gatewayLeaseUntil, now));
  const pace = pacingOf(channel);
  const key = `gateway:${channel.id}`;
  const gap = pace.minIntervalMs + Math.round(Math.random() * pace.jitterMs);
  const leaseUntil = new Date(now.getTime() + cfg.leaseSeconds * 1000);

  // One transaction: the message is locked first, so the pacing interval is spent only when
  // there is a message to hand out, and two phones polling at once never get the same one.
  return deps.db.transaction(async (tx): Promise<NextResult> => {
    const [candidate] = await tx
      .select({ id: messages.id })
      .from(messages)
      .where(and(queuedFor(channel.id), available))
      .orderBy(asc(messages.createdAt))
      .limit(1)
      .for("update", { skipLocked: true });
    if (!candidate) return { kind: "none" };
    const took = await tx
      .insert(paceSlots)
      .values({ key, minIntervalMs: pace.minIntervalMs, jitterMs: pace.jitterMs, nextAt: new Date(now.getTime() + gap) })
      .onConflictDoUpdate({
        target: paceSlots.key,
        set: { nextAt: new Date(now.getTime() + gap), minIntervalMs: pace.minIntervalMs, jitterMs: pace.jitterMs },
        setWhere: lte(paceSlots.nextAt, now),
      })
      .returning({ key: paceSlots.key });
    if (took.length === 0) {
      const [slot] = await tx.select({ nextAt: paceSlots.nextAt }).from(paceSlots).where(eq(paceSlots.key, key));
      return { kind: "wait", retryAfterMs: Math.max(1, (slot?.nextAt.getTime() ?? now.getTime()) - now.getTime()) };
    }
    const [message] = await tx
      .update(messages)
      .set({ gatewayLeaseUntil: leaseUntil, gatewayAttempts: sql`${messages.gatewayAttempts} + 1`, updatedAt: now })
      .where(eq(messages.id, candidate.id))
      .returning();
    return { kind: "message", message: message!, attempt: message!.gatewayAttempts, leaseUntil };
  });
}

export interface GatewayResult {
  id: string;
  status: "sent" | "delivered" | "read" | "failed";
  /** free text, or `no_messenger` when the chat could not be opened (the number has no account) */
  reason?: string;
}

/**
 * POST result: what the phone did with a message. Reporting twice is harmless (statuses only
 * move forward); a result for another channel's message is refused.
 */
export async function gatewayResult(deps: GatewayDeps, channel: Channel, result: GatewayResult): Promise<Message | undefined> {
  const [message] = await deps.db
    .select()
    .from(messages)
    .where(and(eq(messages.id, result.id), eq(messages.channelId, channel.id), eq(messages.direction, "out")));
  if (!message) return undefined;
  const now = deps.clock.now();
  if (message.status === "queued") {
    await deps.db.update(messages).set({ gatewayLeaseUntil: null }).where(eq(messages.id, message.id));
  }
  const jobIds: string[] = [];
  const record = async (m: Message, change: StatusChange): Promise<Message> => {
    const { message: updated, jobId } = await recordStatus(deps, m, change);
    if (jobId) jobIds.push(jobId);
    return updated ?? m;
  };
  let current = message;
  if (result.status === "failed") {
    current = await record(current, {
      status: "failed",
      at: now,
      errorCode: result.reason === "no_messenger" ? "no_messenger" : "phone_failed",
      reason: result.reason ?? "the phone could not send the message",
    });
  } else {
    // the phone's own id space is ours: the message id is the provider id, so later statuses find it
    if (current.status === "queued") current = await record(current, { status: "sent", at: now, providerMessageId: current.id });
    if (result.status !== "sent") current = await record(current, { status: result.status, at: now });
  }
  if (jobIds.length > 0) await deps.queue.wake(jobIds);
  return current;
}

export interface GatewayIncoming {
  /** the sender as the notification shows it: a phone number, or a contact's saved name */
  from: string;
  name?: string;
  text: string;
  at: Date;
  /** the notification's id when the automation app has one; else derived from its content */
  id?: string;
}

/**
 * A notification names its sender by number when the contact is not saved, else by the saved
 * name; a name becomes a chat id of its own so the client still gets one conversation.
 */
function senderPeer(from: string, name?: string): Peer {
  const phone = parsePhone(from);
  if (phone.ok) return { phone: phone.phone, ...(name ? { name } : {}) };
  return { chatId: `contact:${from.trim()}`, name: name ?? from.trim() };
}

/** POST incoming: a notification the phone saw, stored like any provider's incoming message. */
export async function gatewayIncoming(deps: AppDeps, channel: Channel, input: GatewayIncoming) {
  const eventId = input.id ?? (await hashToken(`${input.from}|${input.at.toISOString()}|${input.text}`)).slice(0, 32);
  const event: ProviderEvent = {
    type: "incoming",
    eventId,
    providerMessageId: `gw-in:${eventId}`,
    peer: senderPeer(input.from, input.name),
    text: input.text,
    files: [],
    at: input.at,
  };
  return recordProviderEvents(deps, channel, [event]);
}

export interface Heartbeat {
  battery?: number;
  charging?: boolean;
  appVersion?: string;
}

/** POST heartbeat: the phone is alive; what it says about itself is shown to admins. */
export async function gatewayHeartbeat(deps: GatewayDeps, channel: Channel, beat: Heartbeat): Promise<void> {
  const now = deps.clock.now();
  await deps.db
    .update(channels)
    .set({ state: "connected", stateCheckedAt: now, stateDetail: { ...beat, seenAt: now.toISOString() }, updatedAt: now })
    .where(eq(channels.id, channel.id));
  if (channel.state !== "connected") forgetChannel(channel.id);
}

/** A gateway channel's state: connected while heartbeats are fresh. */
export function gatewayState(channel: Channel, now: Date): { state: ChannelState; detail?: string } {
  const seen = channel.stateCheckedAt;
  if (seen && now.getTime() - seen.getTime() <= HEARTBEAT_FRESH_MS) return { state: "connected" };
  return { state: "unknown", detail: seen ? `no heartbeat from the phone since ${seen.toISOString()}` : "the phone has not connected yet" };
}
