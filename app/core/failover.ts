import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channelEvents, channels } from "../db/schema.js";
import type { AppDeps } from "../deps.js";
import type { Config } from "../config.js";
import type { Channel } from "./channels.js";
import type { NoteLanguage } from "./failure-texts.js";
import { forgetChannel } from "./lookup-cache.js";
import { enqueueJob } from "./outbox/enqueue.js";

/**
 * Failover between the channels of one portal. A channel may name fallback channels (same
 * portal, same messenger, in order). While it cannot send, its messages go out through the
 * first fallback that can, the message row records which one (`via_channel_id`), the
 * administrator sees a failover event in the channel's list and the operator a note in the CRM
 * chat, once per failover (its `failover_since`), and per conversation.
 *
 * A channel cannot send when its state blocks it (banned, unauthorized, logged out: the
 * provider's webhooks and status checks keep it current), or when it is down: its provider
 * failed the last FAILOVER_FAILURES sends with retryable errors over at least FAILOVER_MINUTES.
 * A down channel is tried again when its last failure is FAILOVER_MINUTES old (at least a
 * minute), so it can come back without anyone acting. One success ends both the failure streak
 * and the failover.
 */

export type BlockReason = "banned" | "unauthorized" | "qr_required" | "down";

const BLOCKING_STATES: ReadonlySet<string> = new Set(["banned", "unauthorized", "qr_required"]);

/** Why the channel cannot send now, or undefined when it can. */
export function blockReasonOf(channel: Channel, now: Date, config: Pick<Config, "FAILOVER_FAILURES" | "FAILOVER_MINUTES">): BlockReason | undefined {
  if (BLOCKING_STATES.has(channel.state)) return channel.state as BlockReason;
  const window = config.FAILOVER_MINUTES * 60_000;
  if (
    channel.sendFailures >= config.FAILOVER_FAILURES &&
    channel.failingSince !== null &&
    now.getTime() - channel.failingSince.getTime() >= window &&
    // a down channel is tried again once its last failure is that old: one send probes it, and
    // either its success ends the failover or its failure keeps the channel down for another window
    (channel.lastSendFailureAt === null || now.getTime() - channel.lastSendFailureAt.getTime() < Math.max(window, 60_000))
  ) {
    return "down";
  }
  return undefined;
}

/** The channel's live fallbacks, in its order: same portal and messenger, not deleted, not itself. */
export async function fallbacksOf(db: Db, channel: Channel): Promise<Channel[]> {
  const ids = channel.fallbackIds.filter((id) => id !== channel.id);
  if (ids.length === 0 || !channel.portalId) return [];
  const rows = await db
    .select()
    .from(channels)
    .where(and(inArray(channels.id, ids), eq(channels.portalId, channel.portalId), eq(channels.messenger, channel.messenger), isNull(channels.deletedAt)));
  return ids.map((id) => rows.find((r) => r.id === id)).filter((c): c is Channel => c !== undefined);
}

/**
 * The channel whose group this one is a fallback of (the oldest, when several name it): its
 * clients' messages to this number go to that channel's CRM chat, so the operator keeps one
 * conversation whichever number the client wrote to. (The provider-webhook path asks the same
 * in its routing query, messages/inbound.ts.)
 */
export async function primaryOf(db: Db, channel: Channel): Promise<Channel | undefined> {
  if (!channel.portalId) return undefined;
  const [row] = await db
    .select()
    .from(channels)
    .where(
      and(
        eq(channels.portalId, channel.portalId),
        eq(channels.messenger, channel.messenger),
        isNull(channels.deletedAt),
        // @> rather than = any(): the GIN index on fallback_ids answers it
        sql`${channels.fallbackIds} @> array[${channel.id}::uuid]`,
      ),
    )
    .orderBy(channels.createdAt, channels.id)
    .limit(1);
  return row;
}

/** The name of the group channel that sent the message in its own channel's place; undefined when its own channel did. */
export async function viaChannelName(db: Db, message: { viaChannelId: string | null }): Promise<string | undefined> {
  if (!message.viaChannelId) return undefined;
  const [row] = await db.select({ name: channels.name }).from(channels).where(eq(channels.id, message.viaChannelId));
  return row?.name;
}

/** A retryable provider failure of a send: one more in the streak that makes the channel down. */
export async function noteSendFailure(db: Db, channelId: string, now: Date): Promise<void> {
  await db
    .update(channels)
    .set({
      sendFailures: sql`${channels.sendFailures} + 1`,
      failingSince: sql`coalesce(${channels.failingSince}, ${now.toISOString()}::timestamptz)`,
      lastSendFailureAt: now,
    })
    .where(eq(channels.id, channelId));
  forgetChannel(channelId);
}

/**
 * The channel sent a message itself: its failure streak and failover end. Written only when
 * there is something to end, so a healthy channel's sends cost nothing here.
 */
export async function noteSendSuccess(db: Db, channel: Channel, now: Date): Promise<void> {
  if (channel.sendFailures === 0 && channel.failingSince === null && channel.failoverSince === null) return;
  await db
    .update(channels)
    .set({ sendFailures: 0, failingSince: null, lastSendFailureAt: null })
    .where(and(eq(channels.id, channel.id), sql`${channels.sendFailures} > 0`));
  forgetChannel(channel.id);
  await endFailover(db, channel, now);
}

/**
 * A failover ends when its channel can send again: it sent a message itself, or a message went
 * through another channel of its group only because the client wrote there. Recorded once as the
 * channel's "recovered" event; a later failure starts a new failover (a new event and notes).
 */
export async function endFailover(db: Db, channel: Channel, now: Date): Promise<void> {
  if (!channel.failoverSince) return;
  const ended = await db
    .update(channels)
    .set({ failoverSince: null })
    .where(and(eq(channels.id, channel.id), eq(channels.failoverSince, channel.failoverSince)))
    .returning({ id: channels.id });
  forgetChannel(channel.id);
  if (ended.length === 0) return;
  await recordChannelEvent(db, channel.id, {
    kind: "recovered",
    text: `${channel.name} sends again: its messages no longer go through a fallback channel`,
    data: {},
    dedupKey: `recovered:${channel.id}:${channel.failoverSince.toISOString()}`,
    at: now,
  });
}

export interface ChannelEventInput {
  kind: "failover" | "recovered" | "cap_reached";
  text: string;
  data: Record<string, string>;
  dedupKey: string;
  at: Date;
}

/** Adds an event to the channel's list once per dedup key; true when it is new. */
export async function recordChannelEvent(db: Db, channelId: string, event: ChannelEventInput): Promise<boolean> {
  const rows = await db
    .insert(channelEvents)
    .values({ channelId, kind: event.kind, text: event.text, data: event.data, dedupKey: event.dedupKey, createdAt: event.at })
    .onConflictDoNothing({ target: channelEvents.dedupKey })
    .returning({ id: channelEvents.id });
  return rows.length > 0;
}

const REASON_TEXT: Record<BlockReason, Record<NoteLanguage, string>> = {
  banned: { en: "its number is banned by the messenger", ru: "номер заблокирован мессенджером" },
  unauthorized: { en: "the provider rejects its credentials", ru: "провайдер не принимает его ключи доступа" },
  qr_required: { en: "it is logged out and needs its QR code scanned", ru: "он вышел из аккаунта, нужно отсканировать QR-код" },
  down: { en: "its provider keeps failing to send", ru: "его провайдер не может отправить сообщения" },
};

export function blockReasonText(reason: BlockReason, lang: NoteLanguage = "en"): string {
  return REASON_TEXT[reason][lang];
}

/** How chatbridge's notes in a CRM chat start: a CRM that hands one back as an operator's message knows it by this. */
export const SYSTEM_NOTE_MARK = "⚠️ chatbridge:";

/** What the operator reads in the chat, in the portal's language. */
export function failoverNoteText(lang: NoteLanguage, primaryName: string, viaName: string, reason: BlockReason): string {
  return lang === "ru"
    ? `${SYSTEM_NOTE_MARK} сообщения отправляются через резервный канал «${viaName}», потому что канал «${primaryName}» не может отправлять: ${blockReasonText(reason, "ru")}. Клиент увидит другой номер.`
    : `${SYSTEM_NOTE_MARK} messages go out through the fallback channel "${viaName}" because "${primaryName}" cannot send: ${blockReasonText(reason, "en")}. The client sees another number.`;
}

/** The CRM-neutral job that puts a failover note in a conversation's CRM chat (crm/dispatch.ts). */
export const FAILOVER_NOTE_JOB = "crm.failover_note";

/**
 * A message of `primary` went out through `via`: the failover starts now unless it already had
 * (one event per failover in the channel's list), and the message's conversation gets its note
 * in the CRM chat once per failover. Returns the job ids to wake.
 */
export async function recordFailover(
  deps: Pick<AppDeps, "db" | "config">,
  primary: Channel,
  via: Channel,
  reason: BlockReason,
  message: { id: string; conversationId: string | null },
  now: Date,
): Promise<string[]> {
  const [row] = await deps.db
    .update(channels)
    .set({ failoverSince: sql`coalesce(${channels.failoverSince}, ${now.toISOString()}::timestamptz)` })
    .where(eq(channels.id, primary.id))
    .returning({ since: channels.failoverSince });
  forgetChannel(primary.id);
  const since = (row?.since ?? now).toISOString();
  await recordChannelEvent(deps.db, primary.id, {
    kind: "failover",
    text: `${primary.name} cannot send (${blockReasonText(reason)}): its messages go out through ${via.name}`,
    data: { via: via.id, via_name: via.name, reason },
    dedupKey: `failover:${primary.id}:${since}`,
    at: now,
  });
  if (!message.conversationId) return [];
  const { job, created } = await enqueueJob(
    deps.db,
    {
      kind: FAILOVER_NOTE_JOB,
      payload: { messageId: message.id, reason },
      dedupKey: `${FAILOVER_NOTE_JOB}:${message.conversationId}:${since}`,
      maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
    },
    now,
  );
  return created ? [job.id] : [];
}
