import { expect } from "vitest";
import badPhone from "../../../app/providers/greenapi/fixtures/error-400-bad-phone.json";
import quotaCorrespondents from "../../../app/providers/greenapi/fixtures/error-466-correspondents.json";
import quota from "../../../app/providers/greenapi/fixtures/error-466-quota.json";
import qrAlreadyLogged from "../../../app/providers/greenapi/fixtures/qr-already-logged.json";
import incomingAudio from "../../../app/providers/greenapi/fixtures/webhook-incoming-audio.json";
import incomingCall from "../../../app/providers/greenapi/fixtures/webhook-incoming-call.json";
import incomingContact from "../../../app/providers/greenapi/fixtures/webhook-incoming-contact.json";
import incomingDocument from "../../../app/providers/greenapi/fixtures/webhook-incoming-document.json";
import incomingExtendedText from "../../../app/providers/greenapi/fixtures/webhook-incoming-extended-text.json";
import incomingImage from "../../../app/providers/greenapi/fixtures/webhook-incoming-image.json";
import incomingLocation from "../../../app/providers/greenapi/fixtures/webhook-incoming-location.json";
import incomingText from "../../../app/providers/greenapi/fixtures/webhook-incoming-text.json";
import incomingVideo from "../../../app/providers/greenapi/fixtures/webhook-incoming-video.json";
import outgoingApiEcho from "../../../app/providers/greenapi/fixtures/webhook-outgoing-api-message-received.json";
import outgoingPhone from "../../../app/providers/greenapi/fixtures/webhook-outgoing-message-received.json";
import statusDelivered from "../../../app/providers/greenapi/fixtures/webhook-outgoing-message-status-delivered.json";
import statusNoAccount from "../../../app/providers/greenapi/fixtures/webhook-outgoing-message-status-no-account.json";
import stateChanged from "../../../app/providers/greenapi/fixtures/webhook-state-instance-changed.json";
import { type GreenApiCredentials, greenapi } from "../../../app/providers/greenapi/index.js";
import type { ProviderEvent } from "../../../app/providers/types.js";
import { describeProviderContract, type WebhookInput } from "../contract.js";
import { createGreenApiFake, GREENAPI_INSTANCE, GREENAPI_KNOWN_PHONE, GREENAPI_TOKEN } from "./fake.js";

const HOOK_TOKEN = "whk_5f1c0c7e2b9d4a1e8c3f";
const signed = (body: object, token = HOOK_TOKEN): WebhookInput => ({ body, headers: { authorization: `Bearer ${token}` } });
const at = (unixSeconds: number) => new Date(unixSeconds * 1000);
const IVAN = { phone: "79001234568", name: "Ivan" };
const ID = `greenapi:${GREENAPI_INSTANCE}`;

function fileEvent(hook: typeof incomingImage | typeof incomingAudio, text?: string): ProviderEvent {
  const data = hook.messageData.fileMessageData;
  return {
    type: "incoming",
    eventId: `${ID}:incomingMessageReceived:79001234568@c.us:${hook.idMessage}`,
    providerMessageId: `79001234568@c.us_${hook.idMessage}`,
    peer: IVAN,
    ...(text !== undefined ? { text } : {}),
    files: [{ url: data.downloadUrl, name: data.fileName, mime: data.mimeType }],
    at: at(hook.timestamp),
  };
}

const incoming = (idMessage: string, timestamp: number, rest: Partial<ProviderEvent & { type: "incoming" }>): ProviderEvent => ({
  type: "incoming",
  eventId: `${ID}:incomingMessageReceived:79001234568@c.us:${idMessage}`,
  providerMessageId: `79001234568@c.us_${idMessage}`,
  peer: IVAN,
  files: [],
  at: at(timestamp),
  ...rest,
});

describeProviderContract<GreenApiCredentials>({
  provider: greenapi,
  createFake: createGreenApiFake,
  target: (baseUrl) => ({
    credentials: { idInstance: GREENAPI_INSTANCE, apiTokenInstance: GREENAPI_TOKEN, apiUrl: baseUrl, webhookUrlToken: HOOK_TOKEN },
    messenger: "whatsapp",
  }),
  withWrongSecret: (credentials) => ({ ...(credentials as object), apiTokenInstance: "0000wrong0000" }),
  credentials: {
    valid: [
      { idInstance: 1101000001, apiTokenInstance: "abc" },
      { idInstance: "7105123456", apiTokenInstance: "abc", apiUrl: "https://7105.api.green-api.com/" },
    ],
    invalid: [
      { idInstance: "waInstance1101", apiTokenInstance: "abc" },
      { idInstance: "1101000001", apiTokenInstance: "" },
      { idInstance: "1101000001", apiTokenInstance: "abc", webhookUrlToken: "short" },
    ],
  },
  sendText: { to: { phone: "79001234568" }, text: "Hello from the CRM", providerMessageId: "79001234568@c.us_3EB0C767D097B7C7C030" },
  sendFile: [
    {
      name: "image with caption, file name taken from the URL",
      to: { phone: "79001234568" },
      file: { type: "file", url: "https://files.example.com/photos/a.jpg", caption: "Photo" },
      providerMessageId: "79001234568@c.us_BAE540B3B4D86B2A",
    },
    {
      name: "document with its name to a group chat",
      to: { chatId: "120363043968066561@g.us" },
      file: { type: "file", url: "https://files.example.com/x?id=1", name: "contract.pdf", mime: "application/pdf" },
      providerMessageId: "120363043968066561@g.us_BAE540B3B4D86B2A",
    },
  ],
  checkPhone: { exists: { phone: GREENAPI_KNOWN_PHONE }, missing: { phone: "79000000000" } },
  status: [
    { name: "authorized", expect: { state: "connected", detail: "authorized" } },
    ...(
      [
        ["notAuthorized", "qr_required"],
        ["blocked", "banned"],
        ["yellowCard", "banned"],
        ["starting", "connecting"],
        ["sleepMode", "connecting"],
        ["somethingNew", "unknown"],
      ] as const
    ).map(([stateInstance, state]) => ({
      name: `${stateInstance} -> ${state}`,
      answer: { status: 200, body: { stateInstance } },
      expect: { state, detail: stateInstance },
    })),
  ],
  qr: { dataUrlPrefix: "data:image/png;base64,", loggedIn: [{ status: 200, body: qrAlreadyLogged }] },
  configureWebhook: {
    url: "https://chatbridge.example.com/hooks/greenapi/ch_1/s3cret",
    verify(fake) {
      const [req] = fake.requests;
      expect(req?.method).toBe("POST");
      expect(req?.path).toBe(`/waInstance${GREENAPI_INSTANCE}/setSettings/${GREENAPI_TOKEN}`);
      expect(JSON.parse(req?.body ?? "null")).toMatchObject({
        webhookUrl: "https://chatbridge.example.com/hooks/greenapi/ch_1/s3cret",
        webhookUrlToken: HOOK_TOKEN,
        incomingWebhook: "yes",
        outgoingWebhook: "yes",
        outgoingMessageWebhook: "yes",
        stateWebhook: "yes",
      });
    },
  },
  webhooks: [
    {
      name: "incomingMessageReceived textMessage (sheet example)",
      request: signed(incomingText),
      expect: [incoming("F7AEC1B7086ECDC7E6E45923F5EDB825", 1588091580, { text: "Hello" })],
    },
    {
      name: "incomingMessageReceived extendedTextMessage",
      request: signed(incomingExtendedText),
      expect: [incoming("A1B2C3D4E5F60718293A4B5C6D7E8F90", 1588091590, { text: "Price list: https://example.com/prices" })],
    },
    { name: "imageMessage with caption and downloadUrl", request: signed(incomingImage), expect: [fileEvent(incomingImage, "Contract page 1")] },
    { name: "documentMessage with an empty caption", request: signed(incomingDocument), expect: [fileEvent(incomingDocument)] },
    { name: "audioMessage without caption", request: signed(incomingAudio), expect: [fileEvent(incomingAudio)] },
    { name: "videoMessage with caption", request: signed(incomingVideo), expect: [fileEvent(incomingVideo, "How it looks")] },
    {
      name: "locationMessage [U: locationMessageData field names, not in sheet section 1]",
      request: signed(incomingLocation),
      expect: [
        incoming("3EB00A1B2C3D4E5F6075", 1588091700, {
          location: { latitude: 55.757, longitude: 37.6136, name: "Office", address: "Tverskaya 1, Moscow" },
        }),
      ],
    },
    {
      name: "contactMessage [U: contactMessageData field names, not in sheet section 1]",
      request: signed(incomingContact),
      expect: [incoming("3EB00A1B2C3D4E5F6076", 1588091800, { contact: { name: "Anna Sidorova", phones: ["79005554433"] } })],
    },
    {
      name: "outgoingMessageReceived: typed on the owner's phone",
      request: signed(outgoingPhone),
      expect: [
        {
          type: "incoming",
          eventId: `${ID}:outgoingMessageReceived:79001234568@c.us:3EB0F0E1D2C3B4A59687`,
          providerMessageId: "79001234568@c.us_3EB0F0E1D2C3B4A59687",
          peer: IVAN,
          text: "We have received your order",
          files: [],
          at: at(1588091900),
          fromOwner: true,
        },
      ],
    },
    { name: "outgoingAPIMessageReceived: our own echo is ignored", request: signed(outgoingApiEcho), expect: [] },
    {
      name: "outgoingMessageStatus delivered (sheet example)",
      request: signed(statusDelivered),
      expect: [
        {
          type: "status",
          eventId: `${ID}:status:79001234568@c.us:BAE5F4886F6F2D05:delivered`,
          providerMessageId: "79001234568@c.us_BAE5F4886F6F2D05",
          status: "delivered",
          at: at(1587129319),
        },
      ],
    },
    {
      name: "outgoingMessageStatus noAccount -> failed with the reason",
      request: signed(statusNoAccount),
      expect: [
        {
          type: "status",
          eventId: `${ID}:status:79001234569@c.us:BAE5F4886F6F2D06:noAccount`,
          providerMessageId: "79001234569@c.us_BAE5F4886F6F2D06",
          status: "failed",
          reason: "noAccount: Recipient does not have a WhatsApp account",
          code: "no_messenger",
          at: at(1587129400),
        },
      ],
    },
    {
      name: "stateInstanceChanged (sheet example)",
      request: signed(stateChanged),
      expect: [
        { type: "channel_state", eventId: `${ID}:state:1586700690:authorized`, state: "connected", detail: "authorized", at: at(1586700690) },
      ],
    },
    { name: "incomingCall and other unknown types are ignored", request: signed(incomingCall), expect: [] },
  ],
  rejectedWebhooks: [
    { name: "a webhook without Authorization", request: { body: incomingText }, expect: { retryable: false, code: "invalid_credentials" } },
    { name: "a webhook with a wrong webhookUrlToken", request: signed(incomingText, "whk_forged_forged_forged"), expect: { retryable: false, code: "invalid_credentials" } },
    {
      name: "a webhook for another idInstance",
      request: signed({ ...incomingText, instanceData: { ...incomingText.instanceData, idInstance: 1101999999 } }),
      expect: { retryable: false, code: "invalid_credentials" },
    },
    { name: "a body without typeWebhook", request: signed({ instanceData: incomingText.instanceData }), expect: "payload" },
    {
      name: "incomingMessageReceived without senderData",
      request: signed({ ...incomingText, senderData: undefined }),
      expect: "payload",
    },
    {
      name: "textMessage without its textMessageData",
      request: signed({ ...incomingText, messageData: { typeMessage: "textMessage" } }),
      expect: "payload",
    },
  ],
  errors: {
    unauthorized: { status: 401, body: "Unauthorized" },
    specific: [
      { name: "466 monthly quota (sheet section 1)", call: "sendText", answer: { status: 466, body: quota }, expect: { retryable: false, code: "rejected" } },
      { name: "466 more than 3 chats on the Developer plan", call: "sendFile", answer: { status: 466, body: quotaCorrespondents }, expect: { retryable: false, code: "rejected" } },
      { name: "466 on checkWhatsapp", call: "checkPhone", answer: { status: 466, body: quota }, expect: { retryable: false, code: "rejected" } },
      { name: "400 bad phone number", call: "checkPhone", answer: { status: 400, body: badPhone }, expect: { retryable: false, code: "bad_number" } },
      { name: "400 validation failed", call: "sendText", answer: { status: 400, body: "Validation failed. Details: message is required" }, expect: { retryable: false, code: "bad_request" } },
      { name: "429 without Retry-After", call: "status", answer: { status: 429, body: "" }, expect: { retryable: true, code: "rate_limited" } },
      { name: "403 instance not paid [U: code]", call: "sendText", answer: { status: 403, body: "Forbidden" }, expect: { retryable: false, code: "invalid_credentials" } },
      { name: "qr type error", call: "qr", answer: { status: 200, body: { type: "error", message: "instance is starting" } }, expect: { retryable: true, code: "not_connected" } },
    ],
  },
});
