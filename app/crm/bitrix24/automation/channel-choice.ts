import { and, asc, eq, isNull } from "drizzle-orm";
import { type Channel, findChannel, providerOf } from "../../../core/channels.js";
import { channelHasTemplates } from "../../../core/templates.js";
import type { Db } from "../../../db/index.js";
import { channels, lineBindings } from "../../../db/schema.js";
import { findActiveBindingsOfLine } from "../connector/binding.js";
import type { PortalRow } from "../portal-auth.js";
import { DEFAULT_CHANNEL_OPTION } from "./robot-properties.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LINE_ID = /^[1-9]\d{0,9}$/;

export type ChannelChoice = { ok: true; channel: Channel } | { ok: false; error: string };

/**
 * The portal's default channel for senders that name none (the SMS sender, 6; a robot with an
 * empty channel): the oldest live WhatsApp channel bound to an Open Line, since SMS goes to
 * phone numbers and a bound channel is one the portal actually uses; else its oldest live channel.
 */
export async function defaultChannelOf(db: Db, portal: PortalRow): Promise<Channel | undefined> {
  const live = and(eq(channels.portalId, portal.id), isNull(channels.deletedAt));
  const [bound] = await db
    .select({ channel: channels })
    .from(channels)
    .innerJoin(lineBindings, and(eq(lineBindings.channelId, channels.id), eq(lineBindings.crm, "bitrix24"), eq(lineBindings.active, true)))
    .where(and(live, eq(channels.messenger, "whatsapp")))
    .orderBy(asc(channels.createdAt), asc(channels.id))
    .limit(1);
  if (bound) return bound.channel;
  const [first] = await db.select().from(channels).where(live).orderBy(asc(channels.createdAt), asc(channels.id)).limit(1);
  return first;
}

/** Empty (a string property left blank, robots registered before the select) or the select's default option. */
function namesDefault(wanted: string): boolean {
  return wanted === "" || wanted.toLowerCase() === DEFAULT_CHANNEL_OPTION;
}

/**
 * The channel a robot names (5.1 `channel` property, robot-properties.ts): the select's
 * channel id, or what robots registered before the select took typed in: a channel id or an
 * Open Line id. Only ever among this portal's channels, so one portal cannot send through
 * another's account; empty or "default": the default channel.
 */
export async function chooseChannel(db: Db, portal: PortalRow, requested: string | undefined): Promise<ChannelChoice> {
  const wanted = requested?.trim() ?? "";
  if (namesDefault(wanted)) {
    const channel = await defaultChannelOf(db, portal);
    return channel ? { ok: true, channel } : { ok: false, error: "the portal has no chatbridge channel" };
  }
  if (UUID.test(wanted)) {
    const channel = await findChannel(db, wanted);
    if (channel && channel.portalId === portal.id) return { ok: true, channel };
    return { ok: false, error: `unknown channel ${wanted}` };
  }
  if (LINE_ID.test(wanted)) {
    const [binding] = await findActiveBindingsOfLine(db, portal.id, wanted);
    const channel = binding ? await findChannel(db, binding.channelId) : undefined;
    if (channel) return { ok: true, channel };
    return { ok: false, error: `no chatbridge channel is connected to Open Line ${wanted}` };
  }
  return { ok: false, error: `channel must be a chatbridge channel id or an Open Line id, got "${wanted.slice(0, 60)}"` };
}

/**
 * The template robot's channel: one whose provider has templates (WhatsApp Cloud API). The
 * default is the portal's oldest such channel, not defaultChannelOf's, which may be a number
 * without templates.
 */
export async function chooseTemplateChannel(db: Db, portal: PortalRow, requested: string | undefined): Promise<ChannelChoice> {
  const wanted = requested?.trim() ?? "";
  if (namesDefault(wanted)) {
    const live = await db
      .select()
      .from(channels)
      .where(and(eq(channels.portalId, portal.id), isNull(channels.deletedAt)))
      .orderBy(asc(channels.createdAt), asc(channels.id));
    const channel = live.find((c) => {
      try {
        return channelHasTemplates(c);
      } catch {
        return false;
      }
    });
    return channel ? { ok: true, channel } : { ok: false, error: "unsupported: the portal has no channel with WhatsApp templates (WhatsApp Cloud API)" };
  }
  const choice = await chooseChannel(db, portal, wanted);
  if (!choice.ok || channelHasTemplates(choice.channel)) return choice;
  return { ok: false, error: `unsupported: ${providerOf(choice.channel).title} has no message templates: use the "Send message" robot` };
}
