import { expect } from "vitest";
import chatNotFound from "../../../app/providers/telegram/fixtures/error-400-chat-not-found.json";
import unauthorized from "../../../app/providers/telegram/fixtures/error-401.json";
import blocked from "../../../app/providers/telegram/fixtures/error-403-blocked.json";
import tooMany from "../../../app/providers/telegram/fixtures/error-429.json";
import animatedSticker from "../../../app/providers/telegram/fixtures/update-animated-sticker.json";
import contactOwn from "../../../app/providers/telegram/fixtures/update-contact-own.json";
import documentUpdate from "../../../app/providers/telegram/fixtures/update-document.json";
import edited from "../../../app/providers/telegram/fixtures/update-edited.json";
import group from "../../../app/providers/telegram/fixtures/update-group.json";
import location from "../../../app/providers/telegram/fixtures/update-location.json";
import myChatMember from "../../../app/providers/telegram/fixtures/update-my-chat-member.json";
import photo from "../../../app/providers/telegram/fixtures/update-photo.json";
import startPayload from "../../../app/providers/telegram/fixtures/update-start-payload.json";
import sticker from "../../../app/providers/telegram/fixtures/update-sticker.json";
import text from "../../../app/providers/telegram/fixtures/update-text.json";
import venue from "../../../app/providers/telegram/fixtures/update-venue.json";
import video from "../../../app/providers/telegram/fixtures/update-video.json";
import voice from "../../../app/providers/telegram/fixtures/update-voice.json";
import { type TelegramCredentials, telegram } from "../../../app/providers/telegram/index.js";
import type { ProviderEvent } from "../../../app/providers/types.js";
import { describeProviderContract, providerContext, type WebhookInput } from "../contract.js";
import { createTelegramFake, TELEGRAM_CHAT_ID, TELEGRAM_TOKEN } from "./fake.js";

// the contract's context has channel id "ch_contract": its secret is the one configureWebhook sets
const SECRET = await providerContext(telegram, { credentials: { botToken: TELEGRAM_TOKEN }, messenger: "telegram" }).channelSecret("telegram-secret-token");
const signed = (body: object, secret = SECRET): WebhookInput => ({ body, headers: { "x-telegram-bot-api-secret-token": secret } });
const at = (unixSeconds: number) => new Date(unixSeconds * 1000);
const IVAN = { chatId: String(TELEGRAM_CHAT_ID), name: "Ivan", username: "ivanp" };

type Incoming = Extract<ProviderEvent, { type: "incoming" }>;
const incoming = (update: { update_id: number; message: { message_id: number; date: number } }, rest: Partial<Incoming>): ProviderEvent => ({
  type: "incoming",
  eventId: `update:${update.update_id}`,
  providerMessageId: `${TELEGRAM_CHAT_ID}:${update.message.message_id}`,
  peer: IVAN,
  files: [],
  at: at(update.message.date),
  ...rest,
});
const media = (fileId: string, name: string, mime: string) => ({ url: `media:${fileId}`, name, mime });

describeProviderContract<TelegramCredentials>({
  provider: telegram,
  createFake: createTelegramFake,
  target: (baseUrl) => ({ credentials: { botToken: TELEGRAM_TOKEN, apiUrl: baseUrl }, messenger: "telegram" }),
  withWrongSecret: (credentials) => ({ ...(credentials as object), botToken: "7012345678:AAwrongwrongwrongwrongwrongwrongwro" }),
  credentials: {
    valid: [{ botToken: TELEGRAM_TOKEN }, { botToken: ` ${TELEGRAM_TOKEN} `, apiUrl: "https://tg-bot-api.example.com/" }],
    invalid: [
      { botToken: "7012345678" },
      { botToken: "bot7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1" },
      { botToken: "7012345678:short" },
      { botToken: TELEGRAM_TOKEN, apiUrl: "ftp://tg.example.com" },
    ],
  },
  sendText: { to: { chatId: String(TELEGRAM_CHAT_ID) }, text: "Hello from the [b]CRM[/b] & co", providerMessageId: `${TELEGRAM_CHAT_ID}:1367` },
  sendFile: [
    {
      name: "photo with caption, by URL",
      to: { chatId: String(TELEGRAM_CHAT_ID) },
      file: { type: "file", url: "https://files.example.com/photos/a.jpg", caption: "Photo" },
      providerMessageId: `${TELEGRAM_CHAT_ID}:1368`,
    },
    {
      name: "PDF document by URL (Telegram fetches only GIF, PDF and ZIP documents)",
      to: { chatId: String(TELEGRAM_CHAT_ID) },
      file: { type: "file", url: "https://files.example.com/x?id=1", name: "contract.pdf", mime: "application/pdf", caption: "[i]Contract[/i]" },
      providerMessageId: `${TELEGRAM_CHAT_ID}:1369`,
    },
    {
      name: "voice (audio/ogg) to a public @channel",
      to: { chatId: "@chatbridge_news" },
      file: { type: "file", url: "https://files.example.com/v/note.ogg", mime: "audio/ogg" },
      providerMessageId: "-1001122334455:1369",
    },
  ],
  status: [
    { name: "bot known, webhook set", expect: { state: "connected", detail: "@chatbridge_demo_bot" } },
    {
      name: "webhook delivery failing (channels-next.md 6: Read timeout expired)",
      answer: {
        status: 200,
        body: { ok: true, result: { url: "https://x.example.com/h", has_custom_certificate: false, pending_update_count: 12, last_error_date: 1732600000, last_error_message: "Read timeout expired" } },
      },
      expect: { state: "connected", detail: "webhook: Read timeout expired" },
    },
    { name: "token revoked", answer: { status: 401, body: unauthorized }, expect: { state: "unauthorized" } },
  ],
  configureWebhook: {
    url: "https://chatbridge.example.com/hooks/telegram/ch_1/s3cret",
    verify(fake) {
      const [req] = fake.requests;
      expect(req?.path).toBe(`/bot${TELEGRAM_TOKEN}/setWebhook`);
      expect(JSON.parse(req?.body ?? "null")).toEqual({
        url: "https://chatbridge.example.com/hooks/telegram/ch_1/s3cret",
        secret_token: SECRET,
        allowed_updates: ["message", "edited_message", "my_chat_member"],
        max_connections: 40,
      });
    },
  },
  webhooks: [
    { name: "text message (sheet example)", request: signed(text), expect: [incoming(text, { text: "Hello" })] },
    { name: "/start deep link: the payload stays in the text", request: signed(startPayload), expect: [incoming(startPayload, { text: "/start lead_4812" })] },
    {
      name: "document with caption (sheet example)",
      request: signed(documentUpdate),
      expect: [
        incoming(documentUpdate, {
          peer: { chatId: String(TELEGRAM_CHAT_ID), name: "Ivan" },
          text: "see attached",
          files: [media(documentUpdate.message.document.file_id, "invoice.pdf", "application/pdf")],
        }),
      ],
    },
    {
      name: "photo: the largest size only, caption as text",
      request: signed(photo),
      expect: [incoming(photo, { text: "my order", files: [media(photo.message.photo[2]!.file_id, "photo-AQADr7wxG1x.jpg", "image/jpeg")] })],
    },
    { name: "voice note", request: signed(voice), expect: [incoming(voice, { files: [media(voice.message.voice.file_id, "voice-AgADvoice01.ogg", "audio/ogg")] })] },
    {
      name: "video with caption",
      request: signed(video),
      expect: [incoming(video, { text: "how it arrived", files: [media(video.message.video.file_id, "unpacking.mp4", "video/mp4")] })],
    },
    {
      name: "static sticker: a WEBP image and its emoji",
      request: signed(sticker),
      expect: [incoming(sticker, { text: "[sticker 👍]", files: [media(sticker.message.sticker.file_id, "sticker-AgADsticker1.webp", "image/webp")] })],
    },
    { name: "animated sticker: its emoji only", request: signed(animatedSticker), expect: [incoming(animatedSticker, { text: "[sticker 😂]" })] },
    { name: "location", request: signed(location), expect: [incoming(location, { location: { latitude: 55.757, longitude: 37.6136 } })] },
    {
      name: "venue: location with its name and address",
      request: signed(venue),
      expect: [incoming(venue, { location: { latitude: 55.7539, longitude: 37.6208, name: "Red Square", address: "Moscow, Russia" } })],
    },
    {
      name: "the client's own contact: contact plus clientPhone, the peer stays the chat",
      request: signed(contactOwn),
      expect: [incoming(contactOwn, { contact: { name: "Ivan", phones: ["79001234568"] }, clientPhone: "79001234568" })],
    },
    {
      name: "edited message: the original's id, the new text, edit_date",
      request: signed(edited),
      expect: [
        {
          type: "incoming",
          eventId: "update:873401132",
          providerMessageId: `${TELEGRAM_CHAT_ID}:1365`,
          peer: IVAN,
          text: "Hello, I need an invoice",
          files: [],
          edited: true,
          at: at(1732600800),
        },
      ],
    },
    { name: "my_chat_member (bot blocked): nothing to bridge", request: signed(myChatMember), expect: [] },
    { name: "a supergroup message: only private chats are bridged", request: signed(group), expect: [] },
  ],
  rejectedWebhooks: [
    { name: "a webhook without the secret token header", request: { body: text }, expect: { retryable: false, code: "invalid_credentials" } },
    { name: "a webhook with a wrong secret token", request: signed(text, `${SECRET.slice(0, -1)}_`), expect: { retryable: false, code: "invalid_credentials" } },
    { name: "a forged webhook with a malformed body is refused before parsing", request: { body: "{not json" }, expect: { retryable: false, code: "invalid_credentials" } },
    { name: "an Update without update_id", request: signed({ message: text.message }), expect: "payload" },
    { name: "a message without chat", request: signed({ update_id: 1, message: { ...text.message, chat: undefined } }), expect: "payload" },
    { name: "a body that is a JSON array", request: signed([text] as unknown as object), expect: "payload" },
  ],
  errors: {
    unauthorized: { status: 401, body: unauthorized },
    specific: [
      { name: "429 with parameters.retry_after (sheet)", call: "sendText", answer: { status: 429, body: tooMany }, expect: { retryable: true, code: "rate_limited", delayMs: 7000 } },
      {
        name: "429 with retry_after in the body and none in the header",
        call: "sendFile",
        answer: { status: 429, body: { ...tooMany, parameters: { retry_after: 3 } } },
        expect: { retryable: true, code: "rate_limited", delayMs: 3000 },
      },
      { name: "403 bot was blocked by the user", call: "sendText", answer: { status: 403, body: blocked }, expect: { retryable: false, code: "no_messenger" } },
      {
        name: "403 user is deactivated",
        call: "sendText",
        answer: { status: 403, body: { ok: false, error_code: 403, description: "Forbidden: user is deactivated" } },
        expect: { retryable: false, code: "no_messenger" },
      },
      {
        name: "403 bot can't initiate conversation",
        call: "sendText",
        answer: { status: 403, body: { ok: false, error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" } },
        expect: { retryable: false, code: "no_messenger" },
      },
      { name: "400 chat not found", call: "sendText", answer: { status: 400, body: chatNotFound }, expect: { retryable: false, code: "invalid_recipient" } },
      {
        name: "400 PEER_ID_INVALID [U: text]",
        call: "sendFile",
        answer: { status: 400, body: { ok: false, error_code: 400, description: "Bad Request: PEER_ID_INVALID" } },
        expect: { retryable: false, code: "invalid_recipient" },
      },
      {
        name: "other 400",
        call: "sendText",
        answer: { status: 400, body: { ok: false, error_code: 400, description: "Bad Request: message text is empty" } },
        expect: { retryable: false, code: "bad_request" },
      },
      {
        name: "404 Not Found on the bot path (malformed token)",
        call: "sendText",
        answer: { status: 404, body: { ok: false, error_code: 404, description: "Not Found" } },
        expect: { retryable: false, code: "invalid_credentials" },
      },
      {
        name: "500 with Telegram's envelope",
        call: "status",
        answer: { status: 500, body: { ok: false, error_code: 500, description: "Internal Server Error" } },
        expect: { retryable: true, code: "server_error" },
      },
    ],
  },
});
