import { z } from "zod";
import { AppError } from "../../../core/errors.js";
import { prepareTemplateSend } from "../../../core/templates.js";
import type { AppDeps } from "../../../deps.js";
import { ProviderPermanentError, ProviderRetryableError } from "../../../providers/types.js";
import type { BracketObject } from "../bracket-form.js";
import { portalRegion } from "../../../core/portal-region.js";
import type { PortalRow } from "../portal-auth.js";
import { TEMPLATE_KEY_SEPARATOR } from "./automation-catalog.js";
import { chooseTemplateChannel } from "./channel-choice.js";
import { NO_TEMPLATE_OPTION } from "./robot-properties.js";
import { recipientsValue, resolveRecipients } from "./recipients.js";
import { recipientsOfForm, type RobotSend } from "./send-request.js";

/** 5.2: `properties[...]` of the template robot (robot-definitions.ts `send_template`). */
const templatePropertiesSchema = z.object({
  properties: z
    .object({
      channel: z.string().optional(),
      phone: recipientsValue,
      template: z.string({ error: "template is required" }),
      // `Multiple: "Y"`: a list; a process may also give one string [U]
      params: z.union([z.string(), z.array(z.string())]).optional(),
      header_url: z.string().optional(),
    })
    .loose(),
});

/**
 * The template's values in order. A list is taken item by item; one string is split at line
 * breaks and semicolons, not commas, since a value may well hold one ("Moscow, Tverskaya 1"):
 * the same rule as amoCRM's `params` (amocrm/automation/send-settings.ts). Blank items are
 * dropped: the designer sends the empty fields of a Multiple property too [U]; a value left
 * out on purpose then shows as a count that does not fit (template_invalid).
 */
export function templateValues(raw: string | readonly string[] | undefined): string[] {
  if (raw === undefined) return [];
  const items = typeof raw === "string" ? raw.split(/\r?\n|;/) : raw;
  return items.map((v) => v.trim()).filter((v) => v !== "");
}

/** `name|language` (the select's key) or a bare name, which prepareTemplateSend matches to its approved language. */
export function parseTemplateChoice(value: string): { name: string; language?: string } {
  const [name = "", language] = value.trim().split(TEMPLATE_KEY_SEPARATOR, 2).map((s) => s.trim());
  return language ? { name, language } : { name };
}

/** What the process reads as `error`: the public code first, so a condition can test for it. */
function templateError(err: unknown): string {
  if (err instanceof AppError) return `${err.code}: ${err.message}`;
  if (err instanceof ProviderPermanentError || err instanceof ProviderRetryableError) {
    return `unavailable: the channel's template list could not be read (${err.code})`;
  }
  throw err;
}

/**
 * A template robot run (5.2): the channel (one with templates), the template checked against
 * the channel's list by prepareTemplateSend (which re-reads the provider's list once when the
 * name is unknown), one rendered text and template reference for every recipient.
 */
export async function readTemplateSend(deps: AppDeps, portal: PortalRow, form: BracketObject): Promise<RobotSend> {
  const given = recipientsOfForm(form);
  const refuse = (error: string): RobotSend => ({ ok: false, error, recipients: given });
  const parsed = templatePropertiesSchema.safeParse(form);
  if (!parsed.success) return refuse(parsed.error.issues[0]?.message ?? "invalid properties");
  const p = parsed.data.properties;
  if (given.length === 0) return refuse("phone: no recipient given");
  const choice = parseTemplateChoice(p.template);
  if (choice.name === "" || choice.name === NO_TEMPLATE_OPTION) return refuse("template_invalid: no template chosen");
  const channel = await chooseTemplateChannel(deps.db, portal, p.channel);
  if (!channel.ok) return refuse(channel.error);
  const headerUrl = p.header_url?.trim() ?? "";
  if (headerUrl !== "" && !/^https?:\/\/\S+$/i.test(headerUrl)) return refuse("header_url must be an http(s) URL");
  let prepared: Awaited<ReturnType<typeof prepareTemplateSend>>;
  try {
    prepared = await prepareTemplateSend(deps, channel.channel, { ...choice, params: templateValues(p.params), ...(headerUrl ? { headerMediaUrl: headerUrl } : {}) });
  } catch (err) {
    return refuse(templateError(err));
  }
  return {
    ok: true,
    channel: channel.channel,
    recipients: resolveRecipients(channel.channel, given, portalRegion(portal)),
    content: { type: "text", text: prepared.text },
    template: prepared.ref,
    sendToOpenLine: false,
  };
}
