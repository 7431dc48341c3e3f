import { z } from "zod";
import { type Channel, providerOf } from "../../../core/channels.js";
import { peerKey } from "../../../core/peer.js";
import { DEFAULT_PHONE_REGION, parsePhone, type PhoneRegion } from "../../../core/phone.js";
import type { Peer } from "../../../providers/types.js";

/** Whom one value of the recipients property names, or why it cannot be written to. */
export type RecipientOutcome = { recipient: string; peer: Peer } | { recipient: string; error: string };

/** More would be a mailing, which the pacing of unofficial WhatsApp numbers is not made for; and the job payload stays small. */
export const MAX_RECIPIENTS = 50;

/**
 * 5.2: a property arrives as a string, a `Multiple: "Y"` one as a list `properties[phone][0]=…`
 * [U: that shape is inferred from the bracket encoding, not shown in the sheet's dump].
 */
export const recipientsValue = z.union([z.string(), z.array(z.string())], { error: "phone is required" });

/**
 * The values of the recipients property: each list item may itself list several, separated by
 * commas, semicolons or line breaks (what a CRM field with several phones becomes when a
 * process puts it in one string [U]). Blanks are dropped; a value given twice is kept once.
 */
export function splitRecipients(raw: string | readonly string[]): string[] {
  const values = (typeof raw === "string" ? [raw] : raw).flatMap((v) => v.split(/[,;\r\n]+/)).map((v) => v.trim());
  return [...new Set(values.filter((v) => v !== ""))];
}

/** A Telegram chat id: users positive, groups negative (channels-next.md 1). */
const CHAT_ID = /^-?\d{1,20}$/;

/**
 * Whom a run on this channel writes to, per value:
 * - a phone, on channels that can write first to a number;
 * - on a Telegram bot (capabilities.sendsToPhone false: it can only write to chats that started
 *   it) a numeric chat id; a phone is refused, since the bot cannot find the chat of a number;
 * - an @username is refused on every channel: no provider here can resolve one to a chat
 *   (providers/types.ts has no such call), and Bot API sendMessage takes @username for public
 *   channels only, not for people (channels-next.md 1).
 * Two values naming the same peer (+7 911… and 8 911…) are one recipient.
 */
export function resolveRecipients(channel: Channel, values: readonly string[], region: PhoneRegion = DEFAULT_PHONE_REGION): RecipientOutcome[] {
  const provider = providerOf(channel);
  const bot = provider.capabilities.sendsToPhone === false;
  const seen = new Set<string>();
  const out: RecipientOutcome[] = [];
  for (const [index, recipient] of values.entries()) {
    if (index >= MAX_RECIPIENTS) {
      out.push({ recipient, error: `at most ${MAX_RECIPIENTS} recipients per run` });
      continue;
    }
    const outcome = resolveOne(recipient, bot, provider.title, region);
    if ("peer" in outcome) {
      const key = peerKey(outcome.peer);
      if (seen.has(key)) continue;
      seen.add(key);
    }
    out.push(outcome);
  }
  return out;
}

function resolveOne(recipient: string, bot: boolean, title: string, region: PhoneRegion): RecipientOutcome {
  if (recipient.startsWith("@")) {
    const alternative = bot ? "the chat id of a client who started the bot" : "the phone number";
    return { recipient, error: `${title} cannot find a chat by @username: use ${alternative}` };
  }
  if (bot) {
    if (CHAT_ID.test(recipient)) return { recipient, peer: { chatId: recipient } };
    if (parsePhone(recipient, region).ok) {
      return { recipient, error: `a ${title} channel cannot write first to a phone number: the client must start the bot; use their chat id` };
    }
    return { recipient, error: `not a Telegram chat id (digits, with a minus for groups)` };
  }
  const phone = parsePhone(recipient, region);
  return phone.ok ? { recipient, peer: { phone: phone.phone } } : { recipient, error: `phone: ${phone.reason}` };
}
