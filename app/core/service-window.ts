import { and, eq } from "drizzle-orm";
import type { Db } from "../db/index.js";
import { conversations } from "../db/schema.js";
import type { Peer } from "../providers/types.js";
import { type Channel, providerOf } from "./channels.js";
import { AppError } from "./errors.js";
import { peerKey } from "./peer.js";

/**
 * The customer-service window (WhatsApp Cloud API, channels-next.md 2 "Templates"): free-form
 * messages may go out only within `serviceWindowHours` of the client's last message; outside
 * it only an approved template. Tracked per conversation from `last_inbound_at`, so it costs
 * no provider call and a send is never attempted only to be refused with 131047.
 */
export function windowHoursOf(channel: Channel): number | undefined {
  return providerOf(channel).capabilities.serviceWindowHours;
}

export function windowOpen(lastInboundAt: Date | null | undefined, hours: number, now: Date): boolean {
  return lastInboundAt != null && now.getTime() - lastInboundAt.getTime() < hours * 3600_000;
}

/** Why a free-form message cannot go out, in words an operator or integrator can act on. */
export function windowClosedText(hours: number): string {
  return `More than ${hours} hours have passed since the client's last message: WhatsApp allows only an approved template until the client writes again`;
}

export async function lastInboundAt(db: Db, channelId: string, peer: Peer): Promise<Date | null> {
  const [row] = await db
    .select({ at: conversations.lastInboundAt })
    .from(conversations)
    .where(and(eq(conversations.channelId, channelId), eq(conversations.peer, peerKey(peer))));
  return row?.at ?? null;
}

/** For callers that answer at once (the webhook API): a free-form send outside the window is refused before it is queued. */
export async function assertWindowOpen(db: Db, channel: Channel, peer: Peer, now: Date): Promise<void> {
  const hours = windowHoursOf(channel);
  if (hours === undefined) return;
  if (windowOpen(await lastInboundAt(db, channel.id, peer), hours, now)) return;
  throw new AppError("template_required", `${windowClosedText(hours)}: use sendTemplate`);
}
