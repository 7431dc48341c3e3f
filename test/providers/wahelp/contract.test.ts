import { expect } from "vitest";
import channelFixture from "../../../app/providers/wahelp/fixtures/channel.json";
import hookIncoming from "../../../app/providers/wahelp/fixtures/hook-incoming.json";
import hookStatus from "../../../app/providers/wahelp/fixtures/hook-status.json";
import noMessenger from "../../../app/providers/wahelp/fixtures/error-no-messenger.json";
import { wahelp } from "../../../app/providers/wahelp/index.js";
import { describeProviderContract } from "../contract.js";
import {
  createWahelpFake,
  WAHELP_CHANNEL,
  WAHELP_LOGIN,
  WAHELP_NO_MESSENGER_PHONE,
  WAHELP_PASSWORD,
  WAHELP_PROJECT,
} from "./fake.js";

const credentials = (apiUrl: string) => ({
  login: WAHELP_LOGIN,
  password: WAHELP_PASSWORD,
  projectId: WAHELP_PROJECT,
  channelUuid: WAHELP_CHANNEL,
  messenger: "whatsapp",
  apiUrl,
});

describeProviderContract({
  title: "wahelp (webhook shape [U])",
  provider: wahelp,
  createFake: (fake) => createWahelpFake(fake),
  target: (baseUrl) => ({ credentials: credentials(baseUrl), messenger: "whatsapp" }),
  withWrongSecret: (creds) => ({ ...(creds as object), password: "wrong" }),
  credentials: {
    valid: [
      { login: "a", password: "b", projectId: 101, channelUuid: WAHELP_CHANNEL, messenger: "telegram" },
      { login: "a", password: "b", projectId: "101", channelUuid: WAHELP_CHANNEL },
    ],
    invalid: [
      { login: "a", password: "b", projectId: "abc", channelUuid: WAHELP_CHANNEL },
      { login: "a", password: "", projectId: 101, channelUuid: WAHELP_CHANNEL },
      { login: "a", password: "b", projectId: 101, channelUuid: WAHELP_CHANNEL, messenger: "viber" },
      { login: "a", password: "b", projectId: 101, channelUuid: WAHELP_CHANNEL, apiUrl: "ftp://wahelp" },
    ],
  },
  sendText: { to: { phone: "79001234567", name: "John Doe" }, text: "Привет, это тестовое сообщение!", providerMessageId: "401" },
  checkPhone: { exists: { phone: "79001234568", chatId: "368" }, missing: { phone: WAHELP_NO_MESSENGER_PHONE } },
  status: [
    { name: "active channel -> connected", expect: { state: "connected" } },
    {
      name: "channel not yet active (seed 000 §3 answer) -> qr_required",
      answer: { status: 200, body: { success: true, data: [channelFixture.body.data] } },
      expect: { state: "qr_required" },
    },
    {
      name: "channel missing from the project -> unknown",
      answer: { status: 200, body: { success: true, data: [] } },
      expect: { state: "unknown" },
    },
    {
      name: "token and then the login refused -> unauthorized",
      answer: { status: 401, body: { success: false, message: "Unauthenticated." }, times: 2 },
      expect: { state: "unauthorized" },
    },
  ],
  configureWebhook: {
    url: "https://bridge.example.com/hooks/wahelp/secret",
    verify(fake) {
      const put = fake.requests.find((r) => r.method === "PUT");
      expect(put?.path).toBe(`/api/app/projects/${WAHELP_PROJECT}/hook`);
      expect(JSON.parse(put?.body ?? "null")).toEqual({ url: "https://bridge.example.com/hooks/wahelp/secret" });
    },
  },
  webhooks: [
    {
      name: "an incoming message [U shape]",
      request: { body: hookIncoming.body },
      expect: [
        {
          type: "incoming",
          eventId: "in:402",
          providerMessageId: "402",
          peer: { phone: "79001234567", chatId: "301", name: "John Doe" },
          text: "Здравствуйте! Есть ли доставка?",
          files: [],
          at: new Date("2026-01-24T16:52:00Z"),
        },
      ],
    },
    {
      name: "a delivery status change [U shape]",
      request: { body: hookStatus.body },
      expect: [{ type: "status", eventId: "status:401:read", providerMessageId: "401", status: "read", at: new Date("2026-01-24T16:53:10Z") }],
    },
    {
      name: "a message of another channel of the project is skipped [U]",
      request: { body: { ...hookIncoming.body, data: { ...hookIncoming.body.data, channel_uuid: "another-channel" } } },
      expect: [],
    },
  ],
  rejectedWebhooks: [
    { name: "a body without a message object [U]", request: { body: { event: "ping" } }, expect: "payload" },
    {
      name: "an unknown status name [U]",
      request: { body: { data: { ...hookStatus.body.data, status: "teleported" } } },
      expect: "payload",
    },
  ],
  errors: {
    // one 401 renews the token; the account is refused only when the login is refused too
    unauthorized: { status: 401, body: { success: false, message: "Unauthenticated." }, times: 2 },
    specific: [
      {
        name: "send_message answering the no-messenger error (seed 000 §4 wording [U body])",
        call: "sendText",
        answer: { status: noMessenger.status, body: noMessenger.body },
        expect: { retryable: false, code: "no_messenger" },
      },
      {
        name: "success:false with HTTP 200 [U]",
        call: "sendText",
        answer: { status: 200, body: { success: false, message: "Channel is not active" } },
        expect: { retryable: false, code: "rejected" },
      },
    ],
  },
});
