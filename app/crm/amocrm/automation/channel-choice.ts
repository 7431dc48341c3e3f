import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { Channel } from "../../../core/channels.js";
import type { Db } from "../../../db/index.js";
import { channels, lineBindings } from "../../../db/schema.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type AmoChannelChoice = { ok: true; channel: Channel } | { ok: false; error: string };

const live = (portalId: string) => and(eq(channels.portalId, portalId), isNull(channels.deletedAt));

/**
 * The channel a Salesbot step or DP action names in its `channel` setting: a chatbridge channel
 * id, which the widget's step and action settings offer as a list of the account's channels
 * (amoCRM has no registration call carrying a list, unlike Bitrix24's robots: bitrix24.md 5.1),
 * or a channel name typed by hand as before. Only ever among this account's live channels, so
 * one account cannot send through another's number. Empty: the account's one channel connected
 * to amoCRM chats (an active amojo binding); with none or several, the setting must name one.
 */
export async function chooseAmoChannel(db: Db, portalId: string, requested: string | undefined): Promise<AmoChannelChoice> {
  const wanted = requested?.trim() ?? "";
  if (wanted === "") {
    const bound = await db
      .select({ channel: channels })
      .from(channels)
      .innerJoin(lineBindings, and(eq(lineBindings.channelId, channels.id), eq(lineBindings.crm, "amocrm"), eq(lineBindings.active, true)))
      .where(live(portalId))
      .orderBy(asc(channels.createdAt), asc(channels.id))
      .limit(2);
    if (bound.length === 1) return { ok: true, channel: bound[0]!.channel };
    return {
      ok: false,
      error:
        bound.length === 0
          ? "no chatbridge channel is connected to amoCRM chats: connect one in the widget settings or name a channel in the action's channel setting"
          : "several chatbridge channels are connected to amoCRM chats: name one (its name or id) in the action's channel setting",
    };
  }
  if (UUID.test(wanted)) {
    const [channel] = await db
      .select()
      .from(channels)
      .where(and(live(portalId), eq(channels.id, wanted.toLowerCase())));
    return channel ? { ok: true, channel } : { ok: false, error: `unknown channel ${wanted}` };
  }
  const named = await db
    .select()
    .from(channels)
    .where(and(live(portalId), sql`lower(${channels.name}) = ${wanted.toLowerCase()}`))
    .limit(2);
  if (named.length === 1) return { ok: true, channel: named[0]! };
  return {
    ok: false,
    error: named.length === 0 ? `no chatbridge channel is named "${wanted.slice(0, 100)}"` : `several chatbridge channels are named "${wanted.slice(0, 100)}": use the channel id`,
  };
}
