import { z } from "zod";
import { type Channel, providerOf } from "../../../core/channels.js";
import type { Db } from "../../../db/index.js";
import type { OutgoingContent } from "../../../providers/types.js";
import { chooseAmoChannel } from "./channel-choice.js";

/**
 * What a Salesbot step (manifest `salesbot_designer.send_message`) or a DP action (manifest
 * `dp.settings`) asks to send: the channel (id or name; empty = the account's bound one), the
 * text and an optional file link. amoCRM fills placeholders such as `{{contact.name}}` before
 * posting (reference/amocrm.md 4.2).
 */
export interface SendSettings {
  channel?: string | undefined;
  text?: string | undefined;
  file_url?: string | undefined;
}

/** Content as a job payload carries it (jobs written now are read by this schema later). */
export const outgoingContentSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("file"), url: z.string(), caption: z.string().optional() }),
]);

export type PreparedSend = { ok: true; channel: Channel; content: OutgoingContent } | { ok: false; error: string };

const HTTP_URL = /^https?:\/\/\S+$/i;

/** The channel and content of a send, or why it cannot be sent (said back to the bot or the caller). */
export async function prepareSend(db: Db, portalId: string, settings: SendSettings): Promise<PreparedSend> {
  const text = settings.text ?? "";
  const fileUrl = settings.file_url?.trim() ?? "";
  if (text.trim() === "" && fileUrl === "") return { ok: false, error: "text is empty" };
  if (fileUrl !== "" && !HTTP_URL.test(fileUrl)) return { ok: false, error: "file_url must be an http(s) URL" };
  const choice = await chooseAmoChannel(db, portalId, settings.channel);
  if (!choice.ok) return choice;
  if (fileUrl === "") return { ok: true, channel: choice.channel, content: { type: "text", text } };
  if (!providerOf(choice.channel).capabilities.fileByUrl) return { ok: false, error: "the channel's provider cannot send files by URL" };
  return { ok: true, channel: choice.channel, content: { type: "file", url: fileUrl, ...(text.trim() !== "" ? { caption: text } : {}) } };
}
