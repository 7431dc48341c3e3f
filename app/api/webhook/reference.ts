import { MAX_REMOTE_FILE_BYTES } from "../../core/remote-file.js";
import { SEND_FORM_DOC } from "./reference-form.js";
import {
  API_LIMIT,
  CHECK_PHONE_LIMIT,
  chatIdParam as chatId,
  countryParam,
  phoneParam,
  requestIdParam,
  sendToImolParam,
  waitParam,
  ifCappedParam,
} from "./reference-params.js";
import { type MethodDoc, sendAnswer, sendErrors } from "./reference-types.js";

export { ERROR_DOCS } from "./reference-errors.js";
export type { DocLang, Localized, MethodDoc, ParamDoc } from "./reference-types.js";

const MAX_FILE_MB = MAX_REMOTE_FILE_BYTES / 1024 / 1024;

/**
 * What the public webhook API offers, written once, in English and Russian, for both the
 * OpenAPI document (English) and the docs page (either language), so they cannot disagree.
 */
export const METHOD_DOCS: MethodDoc[] = [
  {
    name: "sendText",
    summary: { en: "Send a text message", ru: "Отправить текстовое сообщение" },
    description: {
      en: "Queues a text message to the number (or Telegram chat). The message id answers checkMessageStatus. A Telegram bot channel writes only to chats that started the bot (chat_id), never first to a phone number; a WhatsApp Cloud API channel sends free text only within 24 hours of the client's last message (template_required otherwise: use sendTemplate).",
      ru: "Ставит текстовое сообщение в очередь на отправку на номер (или в чат Telegram). По message_id из ответа checkMessageStatus сообщает статус. Канал Telegram-бота пишет только в чаты, где клиент сам запустил бота (chat_id), и никогда не пишет первым на номер телефона. Канал WhatsApp Cloud API отправляет произвольный текст только в течение 24 часов после последнего сообщения клиента (иначе ошибка template_required: используйте sendTemplate).",
    },
    limit: API_LIMIT,
    params: [
      phoneParam,
      { name: "body", required: true, type: "string", description: { en: "Message text.", ru: "Текст сообщения." }, example: "Мы получили вашу заявку №00001" },
      sendToImolParam,
      requestIdParam,
      waitParam,
      ifCappedParam,
      chatId,
      countryParam,
    ],
    answer: sendAnswer,
    errors: [...sendErrors, "invalid_recipient", "template_required"],
  },
  {
    name: "sendFile",
    summary: { en: "Send a file by its link", ru: "Отправить файл по ссылке" },
    description: {
      en: `Queues a file given by a direct public link (http or https). The link is checked before the message is accepted: it must answer and the file must be at most ${MAX_FILE_MB} MB. Links to private or local addresses are refused.`,
      ru: `Ставит в очередь файл по прямой публичной ссылке (http или https). Ссылка проверяется до того, как сообщение принято: она должна отвечать, а файл — весить не больше ${MAX_FILE_MB} МБ. Ссылки на адреса локальной сети и внутренние адреса не принимаются.`,
    },
    limit: API_LIMIT,
    params: [
      phoneParam,
      {
        name: "body",
        required: true,
        type: "string",
        description: { en: "Direct link to the file.", ru: "Прямая ссылка на файл." },
        example: "https://example.com/files/invoice.pdf",
      },
      {
        name: "caption",
        required: false,
        type: "string",
        description: { en: "Caption under the file (up to 1024 characters).", ru: "Подпись под файлом (до 1024 символов)." },
        example: "Счёт на оплату",
      },
      sendToImolParam,
      requestIdParam,
      waitParam,
      ifCappedParam,
      chatId,
      countryParam,
    ],
    answer: sendAnswer,
    errors: [...sendErrors, "file_unreachable", "file_too_large", "unsupported"],
  },
  {
    name: "sendTemplate",
    summary: { en: "Send an approved WhatsApp template", ru: "Отправить одобренный шаблон WhatsApp" },
    description: {
      en: "WhatsApp Cloud API channels only. Queues an approved message template: the one kind of message WhatsApp delivers when more than 24 hours have passed since the client's last message (sendText then answers template_required). The template is checked against the channel's templates (as listed in the channel settings) before the message is accepted: its name, language, status and the number of values. Values fill {{1}}, {{2}}… in order: params[]=…&params[]=… (or param1, param2…; a JSON array in a JSON body).",
      ru: "Только для каналов WhatsApp Cloud API. Ставит в очередь одобренный шаблон сообщения — единственное, что WhatsApp доставит, если с последнего сообщения клиента прошло больше 24 часов (sendText в этом случае отвечает template_required). До того как сообщение принято, шаблон сверяется со списком шаблонов канала (тем, что виден в настройках канала): название, язык, статус и число значений. Значения по порядку подставляются в {{1}}, {{2}}…: params[]=…&params[]=… (или param1, param2…; в JSON-теле — массив).",
    },
    limit: API_LIMIT,
    params: [
      phoneParam,
      {
        name: "template",
        required: true,
        type: "string",
        description: { en: "The template's name as registered with WhatsApp.", ru: "Название шаблона, как оно зарегистрировано в WhatsApp." },
        example: "order_ready",
      },
      {
        name: "language",
        required: false,
        type: "string",
        description: {
          en: "The template's language code; needed only when the template exists in several languages.",
          ru: "Код языка шаблона; нужен, только если шаблон есть на нескольких языках.",
        },
        example: "ru",
      },
      {
        name: "params[]",
        required: false,
        type: "string",
        description: {
          en: "The body's values in order, one parameter each (repeat it); or param1, param2…",
          ru: "Значения для текста шаблона по порядку, по одному в каждом параметре (параметр повторяется); или param1, param2…",
        },
        example: "00001",
      },
      {
        name: "header_params[]",
        required: false,
        type: "string",
        description: { en: "Values of {{n}} in a text header, in order.", ru: "Значения {{n}} в текстовом заголовке шаблона, по порядку." },
        example: "Иван",
      },
      {
        name: "header_url",
        required: false,
        type: "string",
        description: {
          en: "The link of the image, video or document of a media header.",
          ru: "Ссылка на картинку, видео или документ для заголовка шаблона с медиа.",
        },
        example: "https://example.com/files/promo.jpg",
      },
      sendToImolParam,
      requestIdParam,
      waitParam,
      ifCappedParam,
      countryParam,
    ],
    answer: sendAnswer,
    errors: [...sendErrors, "template_invalid", "unsupported"],
  },
  SEND_FORM_DOC,
  {
    name: "checkPhone",
    summary: { en: "Check whether a number has the messenger", ru: "Проверить, есть ли у номера мессенджер" },
    description: {
      en: "Asks the provider whether the number has a WhatsApp (or Telegram) account.",
      ru: "Спрашивает у провайдера, есть ли у номера аккаунт WhatsApp (или Telegram).",
    },
    limit: CHECK_PHONE_LIMIT,
    warning: {
      en: "Do not overuse this method: messengers ban numbers that check many contacts. Check a number once, before the first message, not before every message.",
      ru: "Не злоупотребляйте этим методом: мессенджеры блокируют номера, которые проверяют много контактов. Проверяйте номер один раз, перед первым сообщением, а не перед каждым.",
    },
    params: [phoneParam, countryParam],
    answer: { ok: true, phone_number: "79001234567", exists: true },
    errors: ["missing_parameter", "invalid_phone", "channel_not_connected", "unsupported", "unavailable", "rate_limited"],
  },
  {
    name: "checkStatus",
    summary: { en: "Check the channel's state", ru: "Проверить состояние канала" },
    description: {
      en: "The channel's state as the provider reports it now: connected, qr_required (scan the QR code), connecting, banned, unauthorized (credentials rejected) or unknown, and the number of outgoing messages waiting in its queue.",
      ru: "Состояние канала, как его сейчас сообщает провайдер: connected (подключён), qr_required (нужно отсканировать QR-код), connecting (подключается), banned (номер заблокирован), unauthorized (провайдер не принимает ключи доступа) или unknown, а также сколько исходящих сообщений ждёт в очереди.",
    },
    limit: API_LIMIT,
    params: [],
    answer: { ok: true, state: "connected", messenger: "whatsapp", queued_messages: 0, checked_at: "2026-01-01T12:00:00.000Z" },
    errors: ["rate_limited"],
  },
  {
    name: "checkMessageStatus",
    summary: { en: "Check a message's status", ru: "Проверить статус сообщения" },
    description: {
      en: "The current status of a message sent through this channel (queued, sent, delivered, read, failed), its history, why it failed, whether it was sent to the Open Line, and which channel sent it (sent_via: this one, or a fallback channel of its group while this one could not; absent until one has). phone_number must be the message's recipient.",
      ru: "Текущий статус сообщения, отправленного через этот канал (queued — в очереди, sent — отправлено, delivered — доставлено, read — прочитано, failed — не отправлено), история статусов, причина ошибки, было ли сообщение показано в Открытой линии и какой канал его отправил (sent_via: этот или резервный канал группы, пока этот не мог отправлять; поля нет, пока сообщение не отправлено). phone_number должен быть номером получателя этого сообщения.",
    },
    limit: API_LIMIT,
    params: [
      {
        name: "message_id",
        required: true,
        type: "string",
        description: { en: "message_id from sendText or sendFile.", ru: "message_id из ответа sendText или sendFile." },
        example: sendAnswer.message_id,
      },
      phoneParam,
      {
        ...chatId,
        description: {
          en: "Telegram channels (/tg/) only: the chat id the message was sent to, instead of phone_number.",
          ru: "Только для каналов Telegram (/tg/): id чата, куда ушло сообщение, вместо phone_number.",
        },
      },
      countryParam,
    ],
    answer: {
      ok: true,
      message_id: sendAnswer.message_id,
      status: "delivered",
      phone_number: "79001234567",
      send_to_imol: false,
      sent_via: { channel_id: "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5", name: "Main number" },
      history: [
        { status: "queued", at: "2026-01-01T12:00:00.000Z" },
        { status: "sent", at: "2026-01-01T12:00:02.000Z" },
        { status: "delivered", at: "2026-01-01T12:00:05.000Z" },
      ],
      error_code: null,
      error_message: null,
      created_at: "2026-01-01T12:00:00.000Z",
      updated_at: "2026-01-01T12:00:05.000Z",
    },
    errors: ["missing_parameter", "invalid_phone", "not_found", "rate_limited"],
  },
];

