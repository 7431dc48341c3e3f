import type { ErrorCode } from "./errors.js";

/** The two languages managers read chatbridge's notes in. */
export type NoteLanguage = "ru" | "en";

/**
 * A CRM's language from its host: Russian-speaking zones read Russian, everything else
 * English. Bitrix24 portals and amoCRM accounts give no language on every call, but their
 * domain is always known (portal.example.bitrix24.ru, example.amocrm.ru, example.kommo.com).
 */
export function languageOfDomain(domain: string | null | undefined): NoteLanguage {
  const host = (domain ?? "").toLowerCase().replace(/:\d+$/, "");
  return /\.(ru|by|kz|su|uz|kg|am|az|tj|xn--p1ai)$/.test(host) ? "ru" : "en";
}

/**
 * Why a message could not be sent, as a manager reads it under the message: short, in their
 * language, and never with a provider host, an internal id or a provider's raw answer (those
 * stay with the admin in the settings page).
 */
const FAILURE_TEXT: Partial<Record<ErrorCode, Record<NoteLanguage, string>>> = {
  no_messenger: {
    en: "The number has no account in this messenger",
    ru: "У номера нет аккаунта в этом мессенджере",
  },
  invalid_recipient: {
    en: "This chat does not exist for the channel: the client has not started the bot or has left it",
    ru: "Такого чата у канала нет: клиент не запускал бота или удалил чат",
  },
  invalid_phone: {
    en: "The provider rejected the phone number",
    ru: "Провайдер отклонил номер телефона",
  },
  channel_not_connected: {
    en: "The channel is not connected",
    ru: "Канал не подключён",
  },
  unsupported: {
    en: "The channel's provider cannot send this message",
    ru: "Провайдер канала не умеет отправлять такое сообщение",
  },
  template_required: {
    en: "More than 24 hours have passed since the client's last message: WhatsApp allows only an approved template until the client writes again",
    ru: "С последнего сообщения клиента прошло больше 24 часов: до его ответа WhatsApp разрешает только одобренный шаблон",
  },
  template_invalid: {
    en: "The WhatsApp template does not exist, is not approved, or its values do not fit",
    ru: "Шаблон WhatsApp не найден, не одобрен или значения не подходят к нему",
  },
  send_failed: {
    en: "The message could not be sent",
    ru: "Сообщение не удалось отправить",
  },
};

export function failureText(code: ErrorCode, lang: NoteLanguage = "en"): string {
  return (FAILURE_TEXT[code] ?? FAILURE_TEXT.send_failed!)[lang];
}

/** What an Open Lines operator can do about a failure, where there is something to do. */
export function failureAdvice(code: ErrorCode, lang: NoteLanguage): string | undefined {
  if (code === "template_required" || code === "template_invalid") {
    return lang === "ru"
      ? "Отправьте шаблон командой /template <имя> <значение 1> <значение 2>…; /template без имени покажет список."
      : "Send a template with /template <name> <value 1> <value 2>…; /template alone lists them.";
  }
  return undefined;
}
