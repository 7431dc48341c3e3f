import type { NoteLanguage } from "../../../core/failure-texts.js";
import type { AutomationCatalog, CatalogOption } from "./automation-catalog.js";

/*
 * The robot properties that depend on the portal (5.1 PROPERTIES): the channel and template
 * `select`s, whose `Options` are the portal's channels and templates at registration time.
 */

export const name = (en: string, ru: string) => ({ en, ru });

/**
 * The option meaning "the portal's default channel". Not an empty key: PHP reads the bracket
 * key `Options[]` as an append (index 0), so "" would not survive the form encoding (section 0).
 * An empty value still means the default too (runs of robots registered before the select).
 */
export const DEFAULT_CHANNEL_OPTION = "default";

/** Offered when the portal has no approved template yet: choosing it is refused at run time. */
export const NO_TEMPLATE_OPTION = "none";

/** Option labels are plain strings, not `{en, ru}`: the portal's language, both before it is known. */
function label(language: NoteLanguage | undefined, en: string, ru: string): string {
  if (language === "ru") return ru;
  if (language === "en") return en;
  return `${en} / ${ru}`;
}

function options(first: CatalogOption, rest: readonly CatalogOption[]): Record<string, string> {
  const out: Record<string, string> = { [first.key]: first.label };
  for (const o of rest) out[o.key] = o.label;
  return out;
}

/**
 * 5.1 `select` of the portal's live channels. Its value may still be a channel id or an Open
 * Line id typed into the string property robots had before (channel-choice.ts reads both).
 */
export function channelProperty(catalog: AutomationCatalog) {
  const first = { key: DEFAULT_CHANNEL_OPTION, label: label(catalog.language, "Default channel", "Канал по умолчанию") };
  return { Name: name("Channel", "Канал"), Type: "select", Required: "N", Options: options(first, catalog.channels), Default: DEFAULT_CHANNEL_OPTION };
}

/** The template robot's channel: only channels whose provider has templates (WhatsApp Cloud API). */
export function templateChannelProperty(catalog: AutomationCatalog) {
  const first = { key: DEFAULT_CHANNEL_OPTION, label: label(catalog.language, "First channel with templates", "Первый канал с шаблонами") };
  return { Name: name("Channel", "Канал"), Type: "select", Required: "N", Options: options(first, catalog.templateChannels), Default: DEFAULT_CHANNEL_OPTION };
}

/** 5.1 `select` of the approved templates (`name|language`); a list is never empty (an empty `Options` is UNVERIFIED). */
export function templateProperty(catalog: AutomationCatalog) {
  const [first, ...rest] = catalog.templates;
  const none = { key: NO_TEMPLATE_OPTION, label: label(catalog.language, "(no approved templates yet)", "(нет одобренных шаблонов)") };
  return {
    Name: name("Template", "Шаблон"),
    Type: "select",
    Required: "Y",
    Options: first ? options(first, rest) : options(none, []),
    ...(first ? {} : { Default: NO_TEMPLATE_OPTION }),
  };
}

/**
 * The recipients. The key stays `phone`, as robots registered before named it: a process keeps
 * its values by key. `Multiple: "Y"` (5.1) lets a process list several; one value may also
 * hold several, separated by commas, semicolons or line breaks (recipients.ts).
 */
export const recipientsProperty = {
  Name: name("Recipients (phones; Telegram bots: chat ids)", "Получатели (телефоны; Telegram-боты: chat id)"),
  Type: "string",
  Required: "Y",
  Multiple: "Y",
};

/** The check-phone robot asks about one number. */
export const phoneProperty = { Name: name("Phone", "Телефон"), Type: "string", Required: "Y" };

/** 5.1 `bool` arrives as Y/N (5.2); N keeps a run that does not set it out of the Open Line. */
export const sendToOpenLineProperty = { Name: name("Send to Open Line", "Отправить в открытую линию"), Type: "bool", Required: "N", Default: "N" };

/**
 * 5.3: what robot-reply.ts sends back for a message run. The first three are the first
 * recipient's (the keys of robots registered before several recipients); `results` has one
 * line per recipient, the counts are for conditions in the process.
 */
export const messageReturns = {
  message_id: { Name: name("Message ID", "ID сообщения"), Type: "string" },
  status: { Name: name("Status", "Статус"), Type: "string" },
  error: { Name: name("Error", "Ошибка"), Type: "string" },
  results: { Name: name("Results per recipient", "Результаты по получателям"), Type: "text" },
  sent_count: { Name: name("Sent", "Отправлено"), Type: "int" },
  failed_count: { Name: name("Failed", "Не отправлено"), Type: "int" },
};
