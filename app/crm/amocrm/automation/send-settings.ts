import { z } from "zod";
import { type Channel, type ProviderDeps, providerOf } from "../../../core/channels.js";
import { AppError, type ErrorCode } from "../../../core/errors.js";
import { channelHasTemplates, prepareTemplateSend } from "../../../core/templates.js";
import type { Db } from "../../../db/index.js";
import type { MessageTemplateRef } from "../../../db/schema.js";
import { type OutgoingContent, ProviderPermanentError, ProviderRetryableError } from "../../../providers/types.js";
import { chooseAmoChannel } from "./channel-choice.js";

/**
 * What a Salesbot step (manifest `salesbot_designer.send_message`) or a DP action (manifest
 * `dp.settings`) asks to send: the channel, the text and an optional file link, or an approved
 * template with its values. amoCRM fills placeholders such as `{{contact.name}}` before posting
 * (reference/amocrm.md 4.2), which is how a template's values come from lead and contact fields.
 * amoCRM registers nothing with the account (unlike Bitrix24's robots, bitrix24.md 5.1): the
 * widget's settings show the channel list and put the chosen channel's id here.
 */
export interface SendSettings {
  /** the channel's id (what the widget stores); its name or empty (the account's bound one) as before */
  channel?: string | undefined;
  text?: string | undefined;
  file_url?: string | undefined;
  /** `name` or `name|language`: a template of the channel (WhatsApp Cloud API); replaces text */
  template?: string | undefined;
  /** the template's values in order: a list, or one string separated by line breaks or semicolons */
  params?: string | string[] | undefined;
  /** the link of a media header (image, video, document templates) */
  header_url?: string | undefined;
}

/** A setting as a form or JSON post carries it: placeholders arrive substituted, numbers may stay numbers. */
export const settingText = z.union([z.string(), z.number().transform(String)]).optional();
/** `params`: a JSON list (Salesbot data), or one string (a DP setting is a text field). */
export const settingList = z.union([z.string(), z.number().transform(String), z.array(z.union([z.string(), z.number().transform(String)]))]).optional();

/** Content as a job payload carries it (jobs written now are read by this schema later). */
export const outgoingContentSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("file"), url: z.string(), caption: z.string().optional() }),
]);

/** A template send as a job payload carries it (db/schema.ts MessageTemplateRef). */
export const templateRefSchema = z.object({
  name: z.string().min(1),
  language: z.string().optional(),
  params: z.array(z.string()),
  headerParams: z.array(z.string()).optional(),
  headerMediaUrl: z.string().optional(),
});

export type PreparedSend =
  | { ok: true; channel: Channel; content: OutgoingContent; template?: MessageTemplateRef }
  | { ok: false; error: string; code?: ErrorCode };

const HTTP_URL = /^https?:\/\/\S+$/i;

/** The values in order; a string is split at line breaks and semicolons, since values may hold commas. Blank ones are dropped. */
export function templateParams(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  const items = typeof raw === "string" ? raw.split(/\r?\n|;/) : raw;
  return items.map((v) => v.trim()).filter((v) => v !== "");
}

async function prepareTemplate(deps: ProviderDeps & { db: Db }, channel: Channel, settings: SendSettings): Promise<PreparedSend> {
  if (!channelHasTemplates(channel)) return { ok: false, code: "unsupported", error: `${providerOf(channel).title} has no message templates: send a text instead` };
  const [name = "", language] = (settings.template ?? "").trim().split("|", 2).map((s) => s.trim());
  const headerUrl = settings.header_url?.trim() ?? "";
  if (headerUrl !== "" && !HTTP_URL.test(headerUrl)) return { ok: false, error: "header_url must be an http(s) URL" };
  try {
    const { ref, text } = await prepareTemplateSend(deps, channel, {
      name,
      ...(language ? { language } : {}),
      params: templateParams(settings.params),
      ...(headerUrl ? { headerMediaUrl: headerUrl } : {}),
    });
    return { ok: true, channel, content: { type: "text", text }, template: ref };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, code: err.code, error: err.message };
    if (err instanceof ProviderPermanentError || err instanceof ProviderRetryableError) {
      return { ok: false, code: "unavailable", error: `the channel's template list could not be read (${err.code})` };
    }
    throw err;
  }
}

/** The channel and content (or template) of a send, or why it cannot be sent (said back to the bot or the caller). */
export async function prepareSend(deps: ProviderDeps & { db: Db }, portalId: string, settings: SendSettings): Promise<PreparedSend> {
  const wantsTemplate = (settings.template?.trim() ?? "") !== "";
  const text = settings.text ?? "";
  const fileUrl = settings.file_url?.trim() ?? "";
  if (!wantsTemplate && text.trim() === "" && fileUrl === "") return { ok: false, error: "text is empty" };
  if (!wantsTemplate && fileUrl !== "" && !HTTP_URL.test(fileUrl)) return { ok: false, error: "file_url must be an http(s) URL" };
  const choice = await chooseAmoChannel(deps.db, portalId, settings.channel);
  if (!choice.ok) return choice;
  if (wantsTemplate) return prepareTemplate(deps, choice.channel, settings);
  if (fileUrl === "") return { ok: true, channel: choice.channel, content: { type: "text", text } };
  if (!providerOf(choice.channel).capabilities.fileByUrl) return { ok: false, error: "the channel's provider cannot send files by URL" };
  return { ok: true, channel: choice.channel, content: { type: "file", url: fileUrl, ...(text.trim() !== "" ? { caption: text } : {}) } };
}
