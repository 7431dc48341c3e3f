import { and, eq, sql } from "drizzle-orm";
import { type Db, queryRows } from "../db/index.js";
import { channelDailyUsage, conversations, messages, portals } from "../db/schema.js";
import type { Channel } from "./channels.js";
import { portalRegion } from "./portal-region.js";
import { localDay, portalTimeZone, startOfNextDay } from "./portal-time-zone.js";

/**
 * Daily sending caps per channel (a new unofficial WhatsApp number that suddenly writes to many
 * strangers gets banned): at most `daily_message_cap` messages and `daily_new_chat_cap` first
 * messages to numbers that never wrote to the channel, per day of the portal's time zone.
 *
 * The count lives in `channel_daily_usage` and is taken in the same statement that checks it
 * (an upsert whose update only happens under the cap), so two processes sending for one
 * channel at once can never both take the last place. A send that fails gives its place back.
 */

export interface DailyCaps {
  messages: number | null;
  newChats: number | null;
}

export function capsOf(channel: Pick<Channel, "dailyMessageCap" | "dailyNewChatCap">): DailyCaps {
  return { messages: channel.dailyMessageCap, newChats: channel.dailyNewChatCap };
}

export function hasCaps(channel: Pick<Channel, "dailyMessageCap" | "dailyNewChatCap">): boolean {
  return channel.dailyMessageCap !== null || channel.dailyNewChatCap !== null;
}

/** The time zone a channel's day is counted in: its portal's (UTC for a channel without a portal). */
export async function channelTimeZone(db: Db, channel: Pick<Channel, "portalId">): Promise<string> {
  if (!channel.portalId) return "UTC";
  const [row] = await db.select({ settings: portals.settings }).from(portals).where(eq(portals.id, channel.portalId)).limit(1);
  return portalTimeZone(row?.settings, portalRegion(row)).timeZone;
}

/** A place under the caps: its day and whether it counted a new chat, to give back if the send fails. */
export interface CapPlace {
  channelId: string;
  day: string;
  newChat: boolean;
}

export type Reservation = { ok: true; place: CapPlace | null } | { ok: false; cap: "messages" | "new_chats"; day: string; nextDayAt: Date };

/**
 * Takes one place under the channel's caps for a message to `peer` today, or says which cap is
 * reached and when the next day starts. A channel without caps takes nothing (no write). A chat
 * is new when the client never wrote to this channel and nothing went to them through it yet.
 */
export async function reserveDailySend(db: Db, channel: Channel, peer: string, now: Date, timeZone: string): Promise<Reservation> {
  if (!hasCaps(channel)) return { ok: true, place: null };
  const day = localDay(now, timeZone);
  const messageCap = channel.dailyMessageCap;
  const chatCap = channel.dailyNewChatCap;
  const [row] = await queryRows<{ new_chat: boolean; taken: number | string; messages: number | string | null }>(
    db,
    sql`with fresh as (
          select ${chatCap}::int is not null and not exists (
            select 1 from ${conversations}
            where channel_id = ${channel.id}::uuid and peer = ${peer}
              and (last_inbound_at is not null or first_sent_at is not null)) as new_chat),
        used as (select messages from ${channelDailyUsage} where channel_id = ${channel.id}::uuid and day = ${day}),
        up as (
          insert into ${channelDailyUsage} as u (channel_id, day, messages, new_chats)
          select ${channel.id}::uuid, ${day}, 1, case when new_chat then 1 else 0 end from fresh
          on conflict (channel_id, day) do update set messages = u.messages + 1, new_chats = u.new_chats + excluded.new_chats
          where (${messageCap}::int is null or u.messages < ${messageCap}::int)
            and (excluded.new_chats = 0 or ${chatCap}::int is null or u.new_chats < ${chatCap}::int)
          returning 1)
        select (select new_chat from fresh) as new_chat, (select count(*) from up) as taken,
               (select messages from used) as messages`,
  );
  const newChat = row?.new_chat === true;
  if (Number(row?.taken ?? 0) > 0) return { ok: true, place: { channelId: channel.id, day, newChat } };
  // which cap stopped it: the statement's snapshot may predate a concurrent send's count, so read it again
  let messagesUsed = Number(row?.messages ?? 0);
  if (messageCap !== null && chatCap !== null && messagesUsed < messageCap) {
    const [fresh] = await db
      .select({ messages: channelDailyUsage.messages })
      .from(channelDailyUsage)
      .where(and(eq(channelDailyUsage.channelId, channel.id), eq(channelDailyUsage.day, day)));
    messagesUsed = fresh?.messages ?? 0;
  }
  const cap = messageCap !== null && (chatCap === null || messagesUsed >= messageCap) ? "messages" : "new_chats";
  return { ok: false, cap, day, nextDayAt: startOfNextDay(now, timeZone) };
}

/** Gives a place back: the send it was taken for did not go out. */
export async function releaseDailySend(db: Db, place: CapPlace): Promise<void> {
  await db
    .update(channelDailyUsage)
    .set({
      messages: sql`greatest(${channelDailyUsage.messages} - 1, 0)`,
      newChats: place.newChat ? sql`greatest(${channelDailyUsage.newChats} - 1, 0)` : channelDailyUsage.newChats,
    })
    .where(and(eq(channelDailyUsage.channelId, place.channelId), eq(channelDailyUsage.day, place.day)));
}

/**
 * After a send that counted a new chat went out: the client is no longer new to this channel
 * (the conversation is created for a fallback channel that never talked to them).
 */
export async function markFirstSent(db: Db, place: CapPlace, peer: string, now: Date): Promise<void> {
  if (!place.newChat) return;
  await db
    .insert(conversations)
    .values({ channelId: place.channelId, peer, peerPhone: /^\d+$/.test(peer) ? peer : null, firstSentAt: now, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [conversations.channelId, conversations.peer],
      set: { firstSentAt: sql`coalesce(${conversations.firstSentAt}, excluded.first_sent_at)` },
    });
}

/**
 * When a new-chats cap is switched on: the channel's clients it already wrote to are not new.
 * `first_sent_at` is kept only while a cap needs it, so it is filled from the messages first.
 */
export async function backfillFirstSent(db: Db, channelId: string): Promise<void> {
  await db.execute(sql`
    update ${conversations} c set first_sent_at = m.first_at
    from (select conversation_id, min(created_at) as first_at from ${messages}
          where channel_id = ${channelId}::uuid and direction = 'out' and provider_message_id is not null and conversation_id is not null
          group by conversation_id) m
    where c.id = m.conversation_id and c.first_sent_at is null`);
}

export interface UsageView {
  day: string;
  time_zone: string;
  messages: number;
  new_chats: number;
}

/** What the channel used today, for the settings pages. */
export async function usageToday(db: Db, channel: Channel, now: Date): Promise<UsageView> {
  const timeZone = await channelTimeZone(db, channel);
  const day = localDay(now, timeZone);
  const [row] = await db
    .select({ messages: channelDailyUsage.messages, newChats: channelDailyUsage.newChats })
    .from(channelDailyUsage)
    .where(and(eq(channelDailyUsage.channelId, channel.id), eq(channelDailyUsage.day, day)));
  return { day, time_zone: timeZone, messages: row?.messages ?? 0, new_chats: row?.newChats ?? 0 };
}

/**
 * Which cap a message to `peer` would meet today, if any, without taking a place: the webhook
 * API's `if_capped=fail` refuses such a send at once instead of queueing it for tomorrow.
 */
export async function capReachedFor(db: Db, channel: Channel, peer: string, now: Date): Promise<"messages" | "new_chats" | undefined> {
  if (!hasCaps(channel)) return undefined;
  const usage = await usageToday(db, channel, now);
  if (channel.dailyMessageCap !== null && usage.messages >= channel.dailyMessageCap) return "messages";
  if (channel.dailyNewChatCap === null || usage.new_chats < channel.dailyNewChatCap) return undefined;
  const [known] = await db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.channelId, channel.id), eq(conversations.peer, peer), sql`(last_inbound_at is not null or first_sent_at is not null)`))
    .limit(1);
  return known ? undefined : "new_chats";
}
