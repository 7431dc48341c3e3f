import { eq } from "drizzle-orm";
import { recordChannelEvent } from "../../../app/core/failover.js";
import { localDay } from "../../../app/core/portal-time-zone.js";
import type { Db } from "../../../app/db/index.js";
import { channelDailyUsage, channels } from "../../../app/db/schema.js";

/**
 * A channel in failover as the send path leaves it (core/failover.ts): banned by the messenger
 * since `since`, its fallback sending for it, today's use counted and its events recorded (the
 * failover before the cap, so newest first is cap, failover). The settings page and the amoCRM
 * widget tests start from it to check what the admin sees.
 */
export async function seedFailover(db: Db, input: { channelId: string; now: Date; since: Date; timeZone: string; messages: number; newChats: number }) {
  await db.update(channels).set({ state: "banned", failoverSince: input.since }).where(eq(channels.id, input.channelId));
  await db.insert(channelDailyUsage).values({ channelId: input.channelId, day: localDay(input.now, input.timeZone), messages: input.messages, newChats: input.newChats });
  await recordChannelEvent(db, input.channelId, {
    kind: "failover",
    text: "Main cannot send (its number is banned by the messenger): its messages go out through Reserve",
    data: {},
    dedupKey: `test:failover:${input.channelId}`,
    at: input.since,
  });
  await recordChannelEvent(db, input.channelId, {
    kind: "cap_reached",
    text: "Main reached its cap of 10 new chats today",
    data: {},
    dedupKey: `test:cap:${input.channelId}`,
    at: new Date(input.since.getTime() + 60_000),
  });
}
