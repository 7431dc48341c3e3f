import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { channelEvents, channels } from "../db/schema.js";
import type { Channel } from "./channels.js";
import { AppError } from "./errors.js";
import { blockReasonOf } from "./failover.js";
import type { Config } from "../config.js";

/**
 * The failover group of a channel as an admin edits and sees it: its fallback channels, and
 * the channels it is a fallback of. Kept apart from core/failover.ts, which runs it.
 */

/**
 * Checks an admin's list of fallbacks: channels of the same portal and messenger, live, not
 * the channel itself, each once. Order is kept: it is the order they are tried in.
 */
export async function checkFallbacks(db: Db, channel: Channel, ids: readonly string[]): Promise<string[]> {
  if (new Set(ids).size !== ids.length) throw new AppError("invalid_parameter", "fallbacks: a channel is named twice", { field: "fallbacks" });
  if (ids.includes(channel.id)) throw new AppError("invalid_parameter", "fallbacks: a channel cannot be its own fallback", { field: "fallbacks" });
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: channels.id, messenger: channels.messenger })
    .from(channels)
    .where(and(inArray(channels.id, [...ids]), eq(channels.portalId, channel.portalId ?? ""), isNull(channels.deletedAt)));
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new AppError("invalid_parameter", `fallbacks: no channel ${id} in this portal`, { field: "fallbacks" });
    if (row.messenger !== channel.messenger) {
      throw new AppError("invalid_parameter", `fallbacks: channel ${id} is a ${row.messenger} channel, this one is ${channel.messenger}`, { field: "fallbacks" });
    }
  }
  return [...ids];
}

export interface GroupView {
  /** fallback channel ids in the order they are tried */
  fallbacks: string[];
  /** channels this one is a fallback of */
  fallback_for: string[];
  /** whether the channel can send now, and if not why (banned, unauthorized, qr_required, down) */
  blocked: string | null;
  /** while its messages go out through a fallback: since when */
  failover_since: string | null;
  send_failures: number;
}

export async function groupView(db: Db, channel: Channel, config: Pick<Config, "FAILOVER_FAILURES" | "FAILOVER_MINUTES">, now: Date): Promise<GroupView> {
  const members = channel.portalId
    ? await db
        .select({ id: channels.id })
        .from(channels)
        .where(and(eq(channels.portalId, channel.portalId), isNull(channels.deletedAt), sql`${channels.fallbackIds} @> array[${channel.id}::uuid]`))
        .orderBy(channels.createdAt, channels.id)
    : [];
  return {
    fallbacks: channel.fallbackIds,
    fallback_for: members.map((m) => m.id),
    blocked: blockReasonOf(channel, now, config) ?? null,
    failover_since: channel.failoverSince?.toISOString() ?? null,
    send_failures: channel.sendFailures,
  };
}

export interface ChannelEventView {
  at: string;
  kind: string;
  text: string;
  data: Record<string, string>;
}

/** The channel's latest events (failovers, recoveries, caps reached), newest first. */
export async function listChannelEvents(db: Db, channelId: string, limit: number): Promise<ChannelEventView[]> {
  const rows = await db
    .select()
    .from(channelEvents)
    .where(eq(channelEvents.channelId, channelId))
    .orderBy(desc(channelEvents.createdAt), desc(channelEvents.id))
    .limit(limit);
  return rows.map((r) => ({ at: r.createdAt.toISOString(), kind: r.kind, text: r.text, data: r.data }));
}
