import { expect } from "vitest";
import authorizationStatus from "../../../app/providers/wappi/fixtures/webhook-authorization-status.json";
import batch from "../../../app/providers/wappi/fixtures/webhook-batch.json";
import deliverySingle from "../../../app/providers/wappi/fixtures/webhook-delivery-status-single.json";
import deliveryStatus from "../../../app/providers/wappi/fixtures/webhook-delivery-status.json";
import invalidToken from "../../../app/providers/wappi/fixtures/error-invalid-token.json";
import profileNotFound from "../../../app/providers/wappi/fixtures/error-profile-not-found.json";
import wrongPlatform from "../../../app/providers/wappi/fixtures/error-wrong-platform.json";
import statusUnauthorized from "../../../app/providers/wappi/fixtures/get-status-unauthorized.json";
import ignoredTypes from "../../../app/providers/wappi/fixtures/webhook-ignored-types.json";
import incomingMessage from "../../../app/providers/wappi/fixtures/webhook-incoming-message.json";
import outgoingPhone from "../../../app/providers/wappi/fixtures/webhook-outgoing-message-phone.json";
import telegramIncoming from "../../../app/providers/wappi/fixtures/webhook-telegram-incoming-message.json";
import { wappi } from "../../../app/providers/wappi/index.js";
import type { Messenger } from "../../../app/providers/types.js";
import { describeProviderContract, type ProviderContractKit } from "../contract.js";
import { createWappiFake, WAPPI_KNOWN_PHONE, WAPPI_PROFILE, WAPPI_TOKEN } from "./fake.js";
import type { WappiCredentials } from "../../../app/providers/wappi/index.js";

const PROFILE = WAPPI_PROFILE;
const at = (unixSeconds: number) => new Date(unixSeconds * 1000);

const authorizationEvent = {
  type: "channel_state" as const,
  eventId: `wappi:${PROFILE}:authorization_status:1729501200:qr_required`,
  state: "qr_required" as const,
  detail: "unauthorized",
  at: at(1729501200),
};

function wappiKit(messenger: Messenger): ProviderContractKit<WappiCredentials> {
  const prefix = messenger === "telegram" ? "tapi" : "api";
  return {
    title: `wappi (${messenger} profile, /${prefix})`,
    provider: wappi,
    createFake: (fake) => createWappiFake(fake, messenger),
    target: (baseUrl) => ({
      credentials: { apiToken: WAPPI_TOKEN, profileId: WAPPI_PROFILE, messenger, apiUrl: baseUrl },
      messenger,
    }),
    withWrongSecret: (credentials) => ({ ...(credentials as object), apiToken: "not-the-token" }),
    credentials: {
      valid: [
        { apiToken: "t0k3n", profileId: "71ad40e9-b023" },
        { apiToken: "t0k3n", profileId: "71ad40e9-b023", messenger: "telegram", apiUrl: "https://wappi.pro/" },
      ],
      invalid: [
        { apiToken: "", profileId: "71ad40e9-b023" },
        { apiToken: "t0k3n", profileId: "71ad40e9-b023", messenger: "viber" },
        { apiToken: "t0k3n", profileId: "71ad40e9-b023", apiUrl: "ftp://wappi.pro" },
      ],
    },
    sendText:
      messenger === "telegram"
        ? { to: { chatId: "5012345678" }, text: "Здравствуйте!", providerMessageId: "3EB0128AE55B5D222DD0" }
        : { to: { phone: "79115554444" }, text: "Привет! Это тестовое сообщение.", providerMessageId: "3EB0128AE55B5D222DD0" },
    sendFile: [
      {
        name: "image with caption",
        to: { phone: "79115554444" },
        file: { type: "file", url: "https://files.example.com/a.jpg", mime: "image/jpeg", caption: "Это картинка" },
        providerMessageId: "3EB0F11E5B5D222DD0AA",
      },
      {
        name: "document with file name",
        to: { phone: "79115554444" },
        file: { type: "file", url: "https://files.example.com/dogovor.pdf", name: "dogovor.pdf", mime: "application/pdf" },
        providerMessageId: "3EB0F11E5B5D222DD0AA",
      },
    ],
    checkPhone: { exists: { phone: WAPPI_KNOWN_PHONE }, missing: { phone: "79000000000" } },
    status: [
      { name: "authorized profile (seed 003 get/status)", expect: { state: "connected", detail: "open" } },
      {
        name: "authorized: false means a QR scan is needed [U: app_status value]",
        answer: { status: 200, body: statusUnauthorized },
        expect: { state: "qr_required", detail: "closed" },
      },
    ],
    qr: {
      dataUrlPrefix: "data:image/png;base64,",
      prepare: [{ status: 200, body: statusUnauthorized }],
      loggedIn: [],
    },
    configureWebhook: {
      url: "https://chatbridge.example.com/hooks/wappi/ch_1/s3cret",
      verify(fake) {
        const [setUrl, setTypes] = fake.requests;
        expect(setUrl?.path).toBe(`/${prefix}/webhook/url/set`);
        expect(setUrl?.query.get("url")).toBe("https://chatbridge.example.com/hooks/wappi/ch_1/s3cret");
        expect(setTypes?.path).toBe(`/${prefix}/webhook/types/set`);
        expect(JSON.parse(setTypes?.body ?? "null")).toEqual([
          "incoming_message",
          "delivery_status",
          "outgoing_message_phone",
          "authorization_status",
        ]);
      },
    },
    webhooks:
      messenger === "telegram"
        ? [
            {
              name: "Telegram incoming_message [U: field set from third-party code, sheet section 2]",
              request: { body: telegramIncoming },
              expect: [
                {
                  type: "incoming",
                  eventId: `wappi:${PROFILE}:incoming_message:48211`,
                  providerMessageId: "48211",
                  peer: { chatId: "5012345678", phone: "79991112233", name: "Мария" },
                  text: "Здравствуйте, есть запись на завтра?",
                  files: [],
                  at: at(1729499277),
                },
              ],
            },
            {
              name: "authorization_status [U: shape, sheet section 2]",
              request: { body: authorizationStatus },
              expect: [authorizationEvent],
            },
          ]
        : [
            {
              name: "incoming_message (seed 003 example)",
              request: { body: incomingMessage },
              expect: [
                {
                  type: "incoming",
                  eventId: `wappi:${PROFILE}:incoming_message:3A945DD9CDD3016BE11B`,
                  providerMessageId: "3A945DD9CDD3016BE11B",
                  peer: { phone: "79115576366", name: "Иван" },
                  text: "Привет, как дела?",
                  files: [],
                  at: at(1729499277),
                },
              ],
            },
            {
              name: "several messages in one body: text, image, document [U: media fields, sheet section 2]",
              request: { body: batch },
              expect: [
                {
                  type: "incoming",
                  eventId: `wappi:${PROFILE}:incoming_message:3A945DD9CDD3016BE11C`,
                  providerMessageId: "3A945DD9CDD3016BE11C",
                  peer: { phone: "79115576366", name: "Иван" },
                  text: "Вот фото договора",
                  files: [],
                  at: at(1729499290),
                },
                {
                  type: "incoming",
                  eventId: `wappi:${PROFILE}:incoming_message:3A945DD9CDD3016BE11D`,
                  providerMessageId: "3A945DD9CDD3016BE11D",
                  peer: { phone: "79115576366", name: "Иван" },
                  text: "страница 1",
                  files: [
                    {
                      url: "https://wappi.pro/media/6qw54f68-71eq/3A945DD9CDD3016BE11D.jpeg",
                      name: "3A945DD9CDD3016BE11D.jpeg",
                      mime: "image/jpeg",
                    },
                  ],
                  at: at(1729499292),
                },
                {
                  type: "incoming",
                  eventId: `wappi:${PROFILE}:incoming_message:3A945DD9CDD3016BE11E`,
                  providerMessageId: "3A945DD9CDD3016BE11E",
                  peer: { phone: "79115576366", name: "Иван" },
                  files: [
                    {
                      url: "https://wappi.pro/media/6qw54f68-71eq/3A945DD9CDD3016BE11E.pdf",
                      name: "dogovor.pdf",
                      mime: "application/pdf",
                    },
                  ],
                  at: at(1729499295),
                },
              ],
            },
            {
              name: "outgoing_message_phone: the owner typed on the phone [U: item fields, sheet section 2]",
              request: { body: outgoingPhone },
              expect: [
                {
                  type: "incoming",
                  eventId: `wappi:${PROFILE}:outgoing_message_phone:3EB0B430B6F8F1D0E053`,
                  providerMessageId: "3EB0B430B6F8F1D0E053",
                  peer: { phone: "79115576366", name: "Иван Петров" },
                  text: "Добрый день! Договор получили.",
                  files: [],
                  at: at(1729499402),
                  fromOwner: true,
                },
              ],
            },
            {
              name: "delivery_status delivered then read [U: shape, sheet section 2]",
              request: { body: deliveryStatus },
              expect: [
                {
                  type: "status",
                  eventId: `wappi:${PROFILE}:delivery_status:3EB0128AE55B5D222DD0:delivered`,
                  providerMessageId: "3EB0128AE55B5D222DD0",
                  status: "delivered",
                  at: at(1729499460),
                },
                {
                  type: "status",
                  eventId: `wappi:${PROFILE}:delivery_status:3EB0128AE55B5D222DD0:read`,
                  providerMessageId: "3EB0128AE55B5D222DD0",
                  status: "read",
                  at: at(1729499560),
                },
              ],
            },
            {
              name: "delivery_status as a single object, undelivered [U: sheet sections 2 and 8]",
              request: { body: deliverySingle },
              expect: [
                {
                  type: "status",
                  eventId: `wappi:${PROFILE}:delivery_status:3EB0128AE55B5D222DD1:undelivered`,
                  providerMessageId: "3EB0128AE55B5D222DD1",
                  status: "failed",
                  reason: "undelivered",
                  at: at(1729499580),
                },
              ],
            },
            {
              name: "authorization_status [U: shape, sheet section 2]",
              request: { body: authorizationStatus },
              expect: [authorizationEvent],
            },
            {
              name: "outgoing_message_api echoes and incoming_call (nothing to bridge)",
              request: { body: ignoredTypes },
              expect: [],
            },
          ],
    rejectedWebhooks: [
      {
        name: "a webhook for another profile_id",
        request: { body: { messages: [{ ...incomingMessage.messages[0], profile_id: "someone-else" }] } },
        expect: { retryable: false, code: "invalid_credentials" },
      },
      { name: "a body without messages", request: { body: { hello: "world" } }, expect: "payload" },
      { name: "an item without wh_type", request: { body: { messages: [{ id: "1", body: "x" }] } }, expect: "payload" },
      {
        name: "an incoming_message without an id",
        request: { body: { messages: [{ wh_type: "incoming_message", profile_id: PROFILE, body: "x" }] } },
        expect: "payload",
      },
    ],
    errors: {
      unauthorized: { status: 401, body: invalidToken },
      specific: [
        { name: "400 Profile not found", call: "sendText", answer: { status: 400, body: profileNotFound }, expect: { retryable: false, code: "invalid_credentials" } },
        { name: "404 for an unknown profile_id (seed 003)", call: "status", answer: { status: 404, body: { detail: "Not found" } }, expect: { retryable: false, code: "invalid_credentials" } },
        { name: "Wrong platform (profile called through the other prefix)", call: "sendText", answer: { status: 400, body: wrongPlatform }, expect: { retryable: false, code: "invalid_credentials" } },
        {
          name: "profile not authorized [U: wording]",
          call: "sendText",
          answer: { status: 400, body: { status: "error", detail: "Profile is not authorized" } },
          expect: { retryable: false, code: "not_connected" },
        },
        { name: "400 bad JSON / missing field (seed 003)", call: "sendText", answer: { status: 400, body: { status: "error", detail: "recipient: field required" } }, expect: { retryable: false, code: "bad_request" } },
        { name: "an error status inside a 200 [U]", call: "sendFile", answer: { status: 200, body: { status: "error", detail: "file is too big" } }, expect: { retryable: false, code: "rejected" } },
        { name: "503 on contact check", call: "checkPhone", answer: { status: 503, body: "Service Unavailable" }, expect: { retryable: true, code: "server_error" } },
      ],
    },
  };
}

describeProviderContract(wappiKit("whatsapp"));
describeProviderContract(wappiKit("telegram"));
