import { MAX_WAIT_SECONDS } from "./params.js";
import type { Localized, ParamDoc } from "./reference-types.js";

/** Parameters and limits shared by several methods, in both languages. */
export const phoneParam: ParamDoc = {
  name: "phone_number",
  required: true,
  type: "string",
  description: {
    en: "Recipient's number: with + and the country code, or as dialled in the portal's country (Russia unless set in the channel settings; see country). Russian numbers may start with 7, +7 or 8.",
    ru: "Номер получателя: с + и кодом страны или так, как его набирают в стране портала (Россия, если в настройках не указано другое; см. country). Российский номер можно писать с 7, +7 или 8.",
  },
  example: "79001234567",
};
export const countryParam: ParamDoc = {
  name: "country",
  required: false,
  type: "string",
  pattern: "^[A-Za-z]{2}$",
  description: {
    en: "Two-letter ISO 3166-1 alpha-2 country code (BY, KZ, GB…, any case) phone_number is read in when it has no country code, for this call only; default: the portal's country.",
    ru: "Двухбуквенный код страны по ISO 3166-1 alpha-2 (BY, KZ, GB…, в любом регистре): по правилам этой страны читается phone_number без кода страны, только в этом вызове. По умолчанию — страна портала.",
  },
  example: "BY",
};
export const chatIdParam: ParamDoc = {
  name: "chat_id",
  required: false,
  type: "string",
  description: {
    en: "Telegram channels (/tg/) only: a numeric chat id or @username, instead of phone_number.",
    ru: "Только для каналов Telegram (/tg/): числовой id чата или @username вместо phone_number.",
  },
  example: "@client_name",
};
export const sendToImolParam: ParamDoc = {
  name: "send_to_imol",
  required: false,
  type: "string",
  yesNo: true,
  description: {
    en: "Y: also show the message in the Bitrix24 Open Line chat; N (default): send only.",
    ru: "Y — показать сообщение ещё и в чате Открытой линии Битрикс24; N (по умолчанию) — только отправить.",
  },
  example: "N",
};
export const requestIdParam: ParamDoc = {
  name: "request_id",
  required: false,
  type: "string",
  description: {
    en: "Your idempotency key (up to 128 characters): a repeat within 24 hours returns the first message and sends nothing.",
    ru: "Ваш ключ идемпотентности (до 128 символов), например номер заказа: повтор в течение 24 часов возвращает первое сообщение и ничего не отправляет.",
  },
  example: "order-00001",
};
export const waitParam: ParamDoc = {
  name: "wait",
  required: false,
  type: "integer",
  description: {
    en: `Seconds (0-${MAX_WAIT_SECONDS}) to hold the answer until the provider accepted or refused the message. Without it the answer comes as soon as the message is queued.`,
    ru: `Сколько секунд (0–${MAX_WAIT_SECONDS}) ждать, пока провайдер примет сообщение или откажет. Без этого параметра ответ приходит сразу, как только сообщение встало в очередь.`,
  },
  example: "3",
};

export const ifCappedParam: ParamDoc = {
  name: "if_capped",
  required: false,
  type: "string",
  description: {
    en: "What to do when the channel has reached its daily cap (set by the admin in the channel settings): `wait` (default) queues the message, sent when the next day starts in the portal's time zone or through a fallback channel; `fail` answers `daily_cap_reached` at once and queues nothing.",
    ru: "Что делать, если канал исчерпал дневной лимит (его задаёт администратор в настройках канала): `wait` (по умолчанию) — поставить сообщение в очередь, оно уйдёт с началом следующего дня по часовому поясу портала или через резервный канал; `fail` — сразу ответить `daily_cap_reached` и ничего не ставить в очередь.",
  },
  example: "fail",
};

export const API_LIMIT: Localized = { en: "5 requests per 3 seconds per webhook", ru: "5 запросов за 3 секунды на один вебхук" };
export const CHECK_PHONE_LIMIT: Localized = { en: "3 requests per second per webhook", ru: "3 запроса в секунду на один вебхук" };

