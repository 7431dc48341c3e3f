import { z } from "zod";
import { type Channel, providerOf } from "../../../core/channels.js";
import { parsePhone } from "../../../core/phone.js";
import type { AppDeps } from "../../../deps.js";
import type { OutgoingContent } from "../../../providers/types.js";
import type { BracketObject } from "../bracket-form.js";
import type { PortalRow } from "../portal-auth.js";
import { chooseChannel, defaultChannelOf } from "./channel-choice.js";

/*
 * What a robot run (5.2) or a CRM SMS (6) asks to send, checked: a channel of the portal, a
 * normalised phone, the content. A refusal is a reason for the caller to report back, not an
 * HTTP error: Bitrix24 is answered 200 either way so it neither retries nor waits.
 */

/** 5.2: `properties[...]`, as registered (automation/registration.ts); every value arrives as a string. */
const robotPropertiesSchema = z.object({
  properties: z
    .object({
      channel: z.string().optional(),
      phone: z.string({ error: "phone is required" }),
      text: z.string({ error: "text is required" }),
      file_url: z.string().optional(),
    })
    .loose(),
});

export type RobotSend = { ok: true; channel: Channel; phone: string; content: OutgoingContent } | { ok: false; error: string };

/** What a robot run asks to send, or why it cannot be sent; the reason goes back to the process (5.3). */
export async function readRobotSend(deps: Pick<AppDeps, "db">, portal: PortalRow, form: BracketObject): Promise<RobotSend> {
  const parsed = robotPropertiesSchema.safeParse(form);
  if (!parsed.success) return { ok: false, error: parsed.error.issues[0]?.message ?? "invalid properties" };
  const { channel: wanted, phone: rawPhone, text, file_url } = parsed.data.properties;
  const phone = parsePhone(rawPhone);
  if (!phone.ok) return { ok: false, error: `phone: ${phone.reason}` };
  const fileUrl = file_url?.trim() ?? "";
  if (text.trim() === "" && fileUrl === "") return { ok: false, error: "text is empty" };
  const choice = await chooseChannel(deps.db, portal, wanted);
  if (!choice.ok) return choice;
  if (fileUrl === "") return { ok: true, channel: choice.channel, phone: phone.phone, content: { type: "text", text } };
  if (!/^https?:\/\/\S+$/i.test(fileUrl)) return { ok: false, error: "file URL must be an http(s) URL" };
  if (!providerOf(choice.channel).capabilities.fileByUrl) return { ok: false, error: "the channel's provider cannot send files by URL" };
  const content: OutgoingContent = { type: "file", url: fileUrl, ...(text.trim() !== "" ? { caption: text } : {}) };
  return { ok: true, channel: choice.channel, phone: phone.phone, content };
}

export interface SmsFields {
  message_to?: string | undefined;
  message_body?: string | undefined;
  properties?: { phone_number?: string | undefined; message_text?: string | undefined } | undefined;
}

export type SmsSend = { ok: true; channel: Channel; phone: string; text: string } | { ok: false; error: string };

/** 6: what a CRM SMS asks to send (`message_to` / `message_body`, else the bizproc `properties[...]`), or why it cannot go. */
export async function readSmsSend(deps: Pick<AppDeps, "db">, portal: PortalRow, sms: SmsFields): Promise<SmsSend> {
  const phone = parsePhone(sms.message_to ?? sms.properties?.phone_number);
  if (!phone.ok) return { ok: false, error: `message_to: ${phone.reason}` };
  const text = sms.message_body ?? sms.properties?.message_text ?? "";
  if (text.trim() === "") return { ok: false, error: "message_body is empty" };
  const channel = await defaultChannelOf(deps.db, portal);
  if (!channel) return { ok: false, error: "the portal has no chatbridge channel" };
  return { ok: true, channel, phone: phone.phone, text };
}

