import type { ErrorCode } from "../../core/errors.js";
import { MAX_REMOTE_FILE_BYTES } from "../../core/remote-file.js";
import type { WebhookMethod } from "./auth.js";
import { MAX_WAIT_SECONDS } from "./params.js";

/**
 * What the public webhook API offers, written once for both the OpenAPI document and the
 * docs page, so the two cannot disagree.
 */
export interface ParamDoc {
  name: string;
  required: boolean;
  type: "string" | "integer" | "boolean";
  /** OLChat's Y|N flags */
  yesNo?: boolean;
  description: string;
  example: string;
}

export interface MethodDoc {
  name: WebhookMethod;
  summary: string;
  description: string;
  limit: string;
  params: ParamDoc[];
  /** a successful answer */
  answer: Record<string, unknown>;
  errors: ErrorCode[];
  warning?: string;
}

const phone: ParamDoc = {
  name: "phone_number",
  required: true,
  type: "string",
  description:
    "Recipient's number: with + and the country code, or as dialled in the portal's country (Russia unless set in the channel settings; see country). Russian numbers may start with 7, +7 or 8.",
  example: "79001234567",
};
const country: ParamDoc = {
  name: "country",
  required: false,
  type: "string",
  description:
    "Two-letter ISO 3166 country code (BY, KZ, GB…, any case) phone_number is read in when it has no country code, for this call only; default: the portal's country.",
  example: "BY",
};
const chatId: ParamDoc = {
  name: "chat_id",
  required: false,
  type: "string",
  description: "Telegram channels (/tg/) only: a numeric chat id or @username, instead of phone_number.",
  example: "@client_name",
};
const sendToImol: ParamDoc = {
  name: "send_to_imol",
  required: false,
  type: "string",
  yesNo: true,
  description: "Y: also show the message in the Bitrix24 Open Line chat; N (default): send only.",
  example: "N",
};
const requestIdParam: ParamDoc = {
  name: "request_id",
  required: false,
  type: "string",
  description: "Your idempotency key (up to 128 characters): a repeat within 24 hours returns the first message and sends nothing.",
  example: "order-00001",
};
const wait: ParamDoc = {
  name: "wait",
  required: false,
  type: "integer",
  description: `Seconds (0-${MAX_WAIT_SECONDS}) to hold the answer until the provider accepted or refused the message. Without it the answer comes as soon as the message is queued.`,
  example: "3",
};

const sendAnswer = { ok: true, message_id: "0b9c6a8e-3f61-4c7e-9d0e-2a1f5b7c8d90", status: "queued" };
const sendErrors: ErrorCode[] = [
  "missing_parameter",
  "invalid_parameter",
  "invalid_phone",
  "channel_not_connected",
  "no_messenger",
  "send_failed",
  "rate_limited",
];

export const METHOD_DOCS: MethodDoc[] = [
  {
    name: "sendText",
    summary: "Send a text message",
    description:
      "Queues a text message to the number (or Telegram chat). The message id answers checkMessageStatus. A Telegram bot channel writes only to chats that started the bot (chat_id), never first to a phone number; a WhatsApp Cloud API channel sends free text only within 24 hours of the client's last message (template_required otherwise: use sendTemplate).",
    limit: "5 requests per 3 seconds per webhook",
    params: [phone, { name: "body", required: true, type: "string", description: "Message text.", example: "Мы получили вашу заявку №00001" }, sendToImol, requestIdParam, wait, chatId, country],
    answer: sendAnswer,
    errors: [...sendErrors, "invalid_recipient", "template_required"],
  },
  {
    name: "sendFile",
    summary: "Send a file by its link",
    description: `Queues a file given by a direct public link (http or https). The link is checked before the message is accepted: it must answer and the file must be at most ${MAX_REMOTE_FILE_BYTES / 1024 / 1024} MB. Links to private or local addresses are refused.`,
    limit: "5 requests per 3 seconds per webhook",
    params: [
      phone,
      { name: "body", required: true, type: "string", description: "Direct link to the file.", example: "https://example.com/files/invoice.pdf" },
      { name: "caption", required: false, type: "string", description: "Caption under the file (up to 1024 characters).", example: "Счёт на оплату" },
      sendToImol,
      requestIdParam,
      wait,
      chatId,
      country,
    ],
    answer: sendAnswer,
    errors: [...sendErrors, "file_unreachable", "file_too_large", "unsupported"],
  },
  {
    name: "sendTemplate",
    summary: "Send an approved WhatsApp template",
    description:
      "WhatsApp Cloud API channels only. Queues an approved message template: the one kind of message WhatsApp delivers when more than 24 hours have passed since the client's last message (sendText then answers template_required). The template is checked against the channel's templates (as listed in the channel settings) before the message is accepted: its name, language, status and the number of values. Values fill {{1}}, {{2}}… in order: params[]=…&params[]=… (or param1, param2…; a JSON array in a JSON body).",
    limit: "5 requests per 3 seconds per webhook",
    params: [
      phone,
      { name: "template", required: true, type: "string", description: "The template's name as registered with WhatsApp.", example: "order_ready" },
      { name: "language", required: false, type: "string", description: "The template's language code; needed only when the template exists in several languages.", example: "ru" },
      { name: "params[]", required: false, type: "string", description: "The body's values in order, one parameter each (repeat it); or param1, param2…", example: "00001" },
      { name: "header_params[]", required: false, type: "string", description: "Values of {{n}} in a text header, in order.", example: "Иван" },
      { name: "header_url", required: false, type: "string", description: "The link of the image, video or document of a media header.", example: "https://example.com/files/promo.jpg" },
      sendToImol,
      requestIdParam,
      wait,
      country,
    ],
    answer: sendAnswer,
    errors: [...sendErrors, "template_invalid", "unsupported"],
  },
  {
    name: "checkPhone",
    summary: "Check whether a number has the messenger",
    description: "Asks the provider whether the number has a WhatsApp (or Telegram) account.",
    limit: "3 requests per second per webhook",
    warning:
      "Do not overuse this method: messengers ban numbers that check many contacts. Check a number once, before the first message, not before every message.",
    params: [phone, country],
    answer: { ok: true, phone_number: "79001234567", exists: true },
    errors: ["missing_parameter", "invalid_phone", "channel_not_connected", "unsupported", "unavailable", "rate_limited"],
  },
  {
    name: "checkStatus",
    summary: "Check the channel's state",
    description:
      "The channel's state as the provider reports it now: connected, qr_required (scan the QR code), connecting, banned, unauthorized (credentials rejected) or unknown, and the number of outgoing messages waiting in its queue.",
    limit: "5 requests per 3 seconds per webhook",
    params: [],
    answer: { ok: true, state: "connected", messenger: "whatsapp", queued_messages: 0, checked_at: "2026-01-01T12:00:00.000Z" },
    errors: ["rate_limited"],
  },
  {
    name: "checkMessageStatus",
    summary: "Check a message's status",
    description:
      "The current status of a message sent through this channel (queued, sent, delivered, read, failed), its history, why it failed, and whether it was sent to the Open Line. phone_number must be the message's recipient.",
    limit: "5 requests per 3 seconds per webhook",
    params: [
      { name: "message_id", required: true, type: "string", description: "message_id from sendText or sendFile.", example: sendAnswer.message_id },
      phone,
      { ...chatId, description: "Telegram channels (/tg/) only: the chat id the message was sent to, instead of phone_number." },
      country,
    ],
    answer: {
      ok: true,
      message_id: sendAnswer.message_id,
      status: "delivered",
      phone_number: "79001234567",
      send_to_imol: false,
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

/** Every error the API answers with and when; shared by every method (invalid_token and the rest). */
export const ERROR_DOCS: Array<{ code: ErrorCode; when: string }> = [
  { code: "invalid_token", when: "The token in the URL is unknown, or belongs to the other kind (a WhatsApp token under /tg/)." },
  { code: "token_revoked", when: "The webhook was regenerated: copy the new URL from the channel settings." },
  { code: "forbidden", when: "The token is restricted to other methods." },
  { code: "missing_parameter", when: "A required parameter is absent or empty; `field` names it." },
  { code: "invalid_parameter", when: "A parameter has a wrong value (or a file link points to a private address); `field` names it." },
  { code: "invalid_body", when: "The POST body is not form data or a JSON object." },
  { code: "invalid_phone", when: "The phone number cannot be read; the message says why." },
  { code: "rate_limited", when: "Too many requests; the Retry-After header says after how many seconds to retry." },
  { code: "channel_not_connected", when: "The channel is logged out, banned or its credentials are rejected." },
  { code: "no_messenger", when: "The number has no account in this messenger." },
  { code: "invalid_recipient", when: "The Telegram chat does not exist for this bot: the client has not started it." },
  {
    code: "template_required",
    when: "WhatsApp Cloud API: more than 24 hours have passed since the client's last message; only sendTemplate can reach them until they write again.",
  },
  { code: "template_invalid", when: "The template does not exist on the number, is not approved, or the number of values does not fit." },
  { code: "send_failed", when: "The provider refused the message for another reason (see message)." },
  { code: "file_unreachable", when: "The file link does not answer or answers with an error." },
  { code: "file_too_large", when: `The file is larger than ${MAX_REMOTE_FILE_BYTES / 1024 / 1024} MB.` },
  { code: "unsupported", when: "The channel's provider cannot do this (e.g. checkPhone)." },
  { code: "unavailable", when: "The provider did not answer; retry later." },
  {
    code: "database_unavailable",
    when: "Our database cannot be reached for a moment (a restart or failover): nothing was stored; retry after the Retry-After header's seconds.",
  },
  { code: "not_found", when: "No such message for this channel and recipient, or no such method." },
  { code: "internal", when: "Our fault; the request_id helps support find it." },
];
