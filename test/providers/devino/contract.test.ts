import { expect } from "vitest";
import { devino } from "../../../app/providers/devino/index.js";
import incomingContacts from "../../../app/providers/devino/fixtures/incoming-contacts.json";
import incomingLocation from "../../../app/providers/devino/fixtures/incoming-location.json";
import incoming from "../../../app/providers/devino/fixtures/incoming.json";
import rejected from "../../../app/providers/devino/fixtures/send-rejected.json";
import statusCallback from "../../../app/providers/devino/fixtures/status-callback.json";
import { describeProviderContract } from "../contract.js";
import { createDevinoFake, DEVINO_FROM, DEVINO_KEY } from "./fake.js";

const FIRST_ID = "3482512350952730368"; // seed 002 «Пример ответа»

describeProviderContract({
  provider: devino,
  createFake: (fake) => createDevinoFake(fake),
  target: (baseUrl) => ({ credentials: { apiKey: DEVINO_KEY, from: DEVINO_FROM, apiUrl: baseUrl }, messenger: "whatsapp" }),
  withWrongSecret: (creds) => ({ ...(creds as object), apiKey: "wrong-key" }),
  credentials: {
    valid: [
      { apiKey: "k", from: "Shop" },
      { apiKey: "k", from: "Shop", callbackUrl: "https://bridge.example.com/hooks/devino/s", templateLanguage: "ru" },
    ],
    invalid: [{ apiKey: "", from: "Shop" }, { apiKey: "k" }, { apiKey: "k", from: "Shop", callbackUrl: "not a url" }],
  },
  sendText: { to: { phone: "79034567890" }, text: "Code: 1234", providerMessageId: FIRST_ID },
  sendFile: [
    {
      name: "image with MIME type and caption",
      to: { phone: "79034567890" },
      file: { type: "file", url: "https://cdn.example.com/p/photo.jpg", mime: "image/jpeg", caption: "Ваш заказ" },
      providerMessageId: FIRST_ID,
    },
    {
      name: "document named from its URL",
      to: { phone: "79034567890" },
      file: { type: "file", url: "https://cdn.example.com/files/invoice%2042.pdf" },
      providerMessageId: FIRST_ID,
    },
  ],
  status: [
    { name: "a working key (the empty-batch probe is refused at request level) -> connected", expect: { state: "connected" } },
    { name: "a refused key -> unauthorized", answer: { status: 401, body: {} }, expect: { state: "unauthorized" } },
  ],
  webhooks: [
    {
      name: "the seed's status callback (DELIVERED)",
      request: { body: statusCallback.body },
      // ts 0 in the seed is a placeholder: the event time falls back to now, so it is matched loosely
      expect: [{ type: "status", eventId: "status:1:delivered", providerMessageId: "1", status: "delivered", at: expect.any(Date) as Date }],
    },
    {
      name: "a callback with error 2305 (no WhatsApp) -> failed with the reason",
      request: { body: [{ ...statusCallback.body[0], messageId: 7, ts: 1769273520000, status: "UNDELIVERED", errorCode: 2305 }] },
      expect: [
        {
          type: "status",
          eventId: "status:7:failed",
          providerMessageId: "7",
          status: "failed",
          reason: "no_messenger (2305): recipient does not use WhatsApp",
          code: "no_messenger",
          at: new Date(1769273520000),
        },
      ],
    },
    {
      name: "the seed's incoming message, placeholders filled in",
      request: {
        body: {
          ...incoming.body,
          incomingMessageId: 1000,
          to: "74951234567",
          from: "79034567890",
          text: "Фото чека",
          contentUrl: "https://media.example.com/in/1000.jpg",
          contentType: "image/jpeg",
          contentName: "check.jpg",
          profileName: "Иван",
          ts: 1769273460000,
        },
      },
      expect: [
        {
          type: "incoming",
          eventId: "in:1000",
          providerMessageId: "1000",
          peer: { phone: "79034567890", name: "Иван" },
          text: "Фото чека",
          files: [{ url: "https://media.example.com/in/1000.jpg", name: "check.jpg", mime: "image/jpeg" }],
          at: new Date(1769273460000),
        },
      ],
    },
    {
      name: "an incoming location",
      request: { body: incomingLocation.body },
      expect: [
        {
          type: "incoming",
          eventId: "in:1001",
          providerMessageId: "1001",
          peer: { phone: "79034567890", name: "Иван" },
          files: [],
          location: { latitude: 55.751244, longitude: 37.618423, name: "ГУМ", address: "Красная площадь, 1, Москва" },
          at: new Date(1769273520000),
        },
      ],
    },
    {
      name: "incoming contacts (the second one listed in the text)",
      request: { body: incomingContacts.body },
      expect: [
        {
          type: "incoming",
          eventId: "in:1002",
          providerMessageId: "1002",
          peer: { phone: "79034567890", name: "Иван" },
          text: "Анна: 79034567800",
          files: [],
          contact: { name: "Пётр Сидоров", phones: ["79034567899"] },
          at: new Date(1769273580000),
        },
      ],
    },
  ],
  rejectedWebhooks: [
    { name: "the seed's example verbatim (from \"str\" is no phone)", request: { body: incoming.body }, expect: "payload" },
    { name: "a callback with an unknown status [U]", request: { body: [{ ...statusCallback.body[0], status: "TELEPORTED" }] }, expect: "payload" },
    { name: "an object that is neither callback nor message", request: { body: { hello: "world" } }, expect: "payload" },
    { name: "an incoming message without any content", request: { body: { incomingMessageId: 5, from: "79034567890", ts: 1 } }, expect: "payload" },
  ],
  errors: {
    specific: [
      {
        name: "REJECTED invalid messages[0].to",
        call: "sendText",
        answer: { status: 200, body: rejected.body },
        expect: { retryable: false, code: "bad_number" },
      },
      {
        name: "REJECTED billing.error",
        call: "sendText",
        answer: { status: 200, body: { result: [{ code: "REJECTED", reasons: [{ key: "billing.error" }], description: "Необходима оплата." }] } },
        expect: { retryable: false, code: "rejected" },
      },
      {
        name: "REJECTED unknown",
        call: "sendText",
        answer: { status: 200, body: { result: [{ code: "REJECTED", reasons: [{ key: "unknown" }] }] } },
        expect: { retryable: true, code: "server_error" },
      },
      {
        name: "REJECTED with HTTP 400 and a bad contentUrl [U status]",
        call: "sendFile",
        answer: { status: 400, body: { result: [{ code: "REJECTED", reasons: [{ key: "invalid", ref: "messages[0].contentUrl" }] }] } },
        expect: { retryable: false, code: "bad_request" },
      },
      {
        name: "REJECTED with delivery code 2305 as key [U]",
        call: "sendText",
        answer: { status: 200, body: { result: [{ code: "REJECTED", reasons: [{ key: "2305" }] }] } },
        expect: { retryable: false, code: "no_messenger" },
      },
      {
        name: "REJECTED with delivery code 2301 (too many messages) as key [U]",
        call: "sendText",
        answer: { status: 200, body: { result: [{ code: "REJECTED", reasons: [{ key: "2301" }] }] } },
        expect: { retryable: true, code: "rate_limited" },
      },
    ],
  },
});
