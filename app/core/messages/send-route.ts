import { eq } from "drizzle-orm";
import { conversations } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import type { Channel } from "../channels.js";
import { type CapPlace, channelTimeZone, hasCaps, reserveDailySend } from "../daily-caps.js";
import { type BlockReason, blockReasonOf, fallbacksOf, recordChannelEvent } from "../failover.js";
import type { Message } from "./status.js";

/**
 * Which channel a queued message goes out through (core/failover.ts, core/daily-caps.ts):
 * - `send`: through `sender`, holding `place` under its daily caps (given back if the send fails);
 *   `failover` says why it is not the message's own channel when that one cannot send.
 * - `wait`: every channel that could send it is over a daily cap; it waits for `until`, the start
 *   of the next day in the portal's time zone.
 */
export type SendRoute =
  | { kind: "send"; sender: Channel; place: CapPlace | null; failover?: BlockReason }
  | { kind: "wait"; until: Date; cap: "messages" | "new_chats"; channel: Channel };

type RouteDeps = Pick<AppDeps, "db" | "config">;

/** The group channel the client last wrote to, when it is not the conversation's own. */
async function lastInboundVia(deps: RouteDeps, message: Message): Promise<string | null> {
  if (!message.conversationId) return null;
  const [row] = await deps.db.select({ via: conversations.lastInboundVia }).from(conversations).where(eq(conversations.id, message.conversationId));
  return row?.via ?? null;
}

/**
 * Candidates in order: the group channel the client last wrote to (a reply goes back where the
 * client wrote), the message's own channel, then its fallbacks. The first one whose state lets
 * it send and that has room under its caps takes the message. A channel over its cap whose
 * overflow is "wait" keeps its message until the next day, unless it is a fallback. When no
 * channel can send and none is merely capped, the message's own channel tries, and its
 * provider's refusal is what the message records.
 */
export async function routeSend(deps: RouteDeps, message: Message, own: Channel, now: Date): Promise<SendRoute> {
  const fallbacks = own.fallbackIds.length > 0 ? await fallbacksOf(deps.db, own) : [];
  if (fallbacks.length === 0 && !hasCaps(own)) return { kind: "send", sender: own, place: null };

  const viaId = fallbacks.length > 0 ? await lastInboundVia(deps, message) : null;
  const preferred = viaId ? fallbacks.find((f) => f.id === viaId) : undefined;
  const candidates = [...(preferred ? [preferred] : []), own, ...fallbacks.filter((f) => f !== preferred)];
  const ownBlock = blockReasonOf(own, now, deps.config);
  let timeZone: string | undefined;
  let capped: Extract<SendRoute, { kind: "wait" }> | undefined;

  for (const channel of candidates) {
    if (blockReasonOf(channel, now, deps.config)) continue;
    const failover = channel.id !== own.id && ownBlock ? ownBlock : undefined;
    if (!hasCaps(channel)) return { kind: "send", sender: channel, place: null, ...(failover ? { failover } : {}) };
    timeZone ??= await channelTimeZone(deps.db, own);
    const reserved = await reserveDailySend(deps.db, channel, message.peer, now, timeZone);
    if (reserved.ok) return { kind: "send", sender: channel, place: reserved.place, ...(failover ? { failover } : {}) };
    await recordChannelEvent(deps.db, channel.id, {
      kind: "cap_reached",
      text:
        reserved.cap === "messages"
          ? `${channel.name} reached its cap of ${channel.dailyMessageCap} messages for ${reserved.day}`
          : `${channel.name} reached its cap of ${channel.dailyNewChatCap} new chats for ${reserved.day}`,
      data: { cap: reserved.cap, day: reserved.day },
      dedupKey: `cap:${channel.id}:${reserved.day}:${reserved.cap}`,
      at: now,
    });
    capped ??= { kind: "wait", until: reserved.nextDayAt, cap: reserved.cap, channel };
    if (channel.id === own.id && channel.capOverflow === "wait") return capped;
  }
  return capped ?? { kind: "send", sender: own, place: null };
}
