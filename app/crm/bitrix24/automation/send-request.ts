import { z } from "zod";
import { type Channel, providerOf } from "../../../core/channels.js";
import { parsePhone } from "../../../core/phone.js";
import { portalRegion } from "../../../core/portal-region.js";
import type { MessageTemplateRef } from "../../../db/schema.js";
import type { AppDeps } from "../../../deps.js";
import type { OutgoingContent } from "../../../providers/types.js";
import type { BracketObject } from "../bracket-form.js";
import type { PortalRow } from "../portal-auth.js";
import { chooseChannel, defaultChannelOf } from "./channel-choice.js";
import { type RecipientOutcome, recipientsValue, resolveRecipients, splitRecipients } from "./recipients.js";

/*
 * What a robot run (5.2) or a CRM SMS (6) asks to send, checked: a channel of the portal, the
 * recipients (each its own outcome: recipients.ts), the content. A refusal is a reason for the
 * caller to report back, not an HTTP error: Bitrix24 is answered 200 either way so it neither
 * retries nor waits.
 */

/** 5.2 `bool` properties arrive as Y/N; anything else (absent, empty) is no. */
const yesNo = z.string().optional().transform((v) => v?.trim().toUpperCase() === "Y");

/** 5.2: `properties[...]` of the send robot, as registered (robot-definitions.ts); every value arrives as a string. */
const sendPropertiesSchema = z.object({
  properties: z
    .object({
      channel: z.string().optional(),
      phone: recipientsValue,
      text: z.string({ error: "text is required" }),
      file_url: z.string().optional(),
      send_to_ol: yesNo,
    })
    .loose(),
});

/** 5.2: `properties[...]` of the send-file robot: the link is required, the caption is not. */
const sendFilePropertiesSchema = z.object({
  properties: z
    .object({
      channel: z.string().optional(),
      phone: recipientsValue,
      file_url: z.string({ error: "file_url is required" }).refine((v) => v.trim() !== "", "file_url is empty"),
      caption: z.string().optional(),
      send_to_ol: yesNo,
    })
    .loose(),
});

/**
 * What to send, to whom, and whether it also goes into the client's Open Line chat (robot
 * property `send_to_ol`). A refusal of the whole run keeps the recipients it named, so the
 * process gets a result line for each.
 */
export type RobotSend =
  | { ok: true; channel: Channel; recipients: RecipientOutcome[]; content: OutgoingContent; template?: MessageTemplateRef; sendToOpenLine: boolean }
  | { ok: false; error: string; recipients: string[] };

interface SendProperties {
  channel?: string | undefined;
  phone: string | string[];
  text: string;
  fileUrl: string;
  sendToOpenLine: boolean;
}

function readProperties(kind: "send" | "send_file", form: BracketObject): SendProperties | { error: string } {
  if (kind === "send") {
    const parsed = sendPropertiesSchema.safeParse(form);
    if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "invalid properties" };
    const p = parsed.data.properties;
    return { channel: p.channel, phone: p.phone, text: p.text, fileUrl: p.file_url?.trim() ?? "", sendToOpenLine: p.send_to_ol };
  }
  const parsed = sendFilePropertiesSchema.safeParse(form);
  if (!parsed.success) return { error: parsed.error.issues[0]?.message ?? "invalid properties" };
  const p = parsed.data.properties;
  return { channel: p.channel, phone: p.phone, text: p.caption ?? "", fileUrl: p.file_url.trim(), sendToOpenLine: p.send_to_ol };
}

/** The recipient values of a run's form, for the result lines of a run refused before they were read one by one. */
export function recipientsOfForm(form: BracketObject): string[] {
  const properties = form.properties;
  if (typeof properties !== "object" || Array.isArray(properties)) return [];
  const parsed = recipientsValue.safeParse(properties.phone);
  return parsed.success ? splitRecipients(parsed.data) : [];
}

/** What a send or send-file robot run asks to send, or why it cannot be sent; the reason goes back to the process (5.3). */
export async function readRobotSend(deps: Pick<AppDeps, "db">, portal: PortalRow, form: BracketObject, kind: "send" | "send_file"): Promise<RobotSend> {
  const props = readProperties(kind, form);
  const given = recipientsOfForm(form);
  const refuse = (error: string): RobotSend => ({ ok: false, error, recipients: given });
  if ("error" in props) return refuse(props.error);
  const { text, fileUrl, sendToOpenLine } = props;
  if (given.length === 0) return refuse("phone: no recipient given");
  if (text.trim() === "" && fileUrl === "") return refuse("text is empty");
  const choice = await chooseChannel(deps.db, portal, props.channel);
  if (!choice.ok) return refuse(choice.error);
  const recipients = resolveRecipients(choice.channel, given, portalRegion(portal));
  if (fileUrl === "") return { ok: true, channel: choice.channel, recipients, content: { type: "text", text }, sendToOpenLine };
  if (!/^https?:\/\/\S+$/i.test(fileUrl)) return refuse("file URL must be an http(s) URL");
  if (!providerOf(choice.channel).capabilities.fileByUrl) return refuse("the channel's provider cannot send files by URL");
  const content: OutgoingContent = { type: "file", url: fileUrl, ...(text.trim() !== "" ? { caption: text } : {}) };
  return { ok: true, channel: choice.channel, recipients, content, sendToOpenLine };
}

export interface SmsFields {
  message_to?: string | undefined;
  message_body?: string | undefined;
  properties?: { phone_number?: string | undefined; message_text?: string | undefined } | undefined;
}

export type SmsSend = { ok: true; channel: Channel; phone: string; text: string } | { ok: false; error: string };

/** 6: what a CRM SMS asks to send (`message_to` / `message_body`, else the bizproc `properties[...]`), or why it cannot go. */
export async function readSmsSend(deps: Pick<AppDeps, "db">, portal: PortalRow, sms: SmsFields): Promise<SmsSend> {
  const phone = parsePhone(sms.message_to ?? sms.properties?.phone_number, portalRegion(portal));
  if (!phone.ok) return { ok: false, error: `message_to: ${phone.reason}` };
  const text = sms.message_body ?? sms.properties?.message_text ?? "";
  if (text.trim() === "") return { ok: false, error: "message_body is empty" };
  const channel = await defaultChannelOf(deps.db, portal);
  if (!channel) return { ok: false, error: "the portal has no chatbridge channel" };
  return { ok: true, channel, phone: phone.phone, text };
}

