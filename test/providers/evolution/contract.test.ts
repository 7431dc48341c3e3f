import { expect } from "vitest";
import closeForbidden from "../../../app/providers/evolution/fixtures/webhook-connection-update-close-forbidden.json";
import connClose from "../../../app/providers/evolution/fixtures/webhook-connection-update-close.json";
import connConnecting from "../../../app/providers/evolution/fixtures/webhook-connection-update-connecting.json";
import connOpen from "../../../app/providers/evolution/fixtures/webhook-connection-update-open.json";
import connRefused from "../../../app/providers/evolution/fixtures/webhook-connection-update-refused.json";
import connectQr from "../../../app/providers/evolution/fixtures/connect-qr.json";
import connectionClosed from "../../../app/providers/evolution/fixtures/error-400-connection-closed.json";
import noAccount from "../../../app/providers/evolution/fixtures/error-400-no-account.json";
import unauthorized from "../../../app/providers/evolution/fixtures/error-401.json";
import instanceGone from "../../../app/providers/evolution/fixtures/error-404-instance-does-not-exist.json";
import updDelivered from "../../../app/providers/evolution/fixtures/webhook-messages-update-delivered.json";
import updError from "../../../app/providers/evolution/fixtures/webhook-messages-update-error.json";
import updIncomingRead from "../../../app/providers/evolution/fixtures/webhook-messages-update-incoming-read.json";
import updLegacy from "../../../app/providers/evolution/fixtures/webhook-messages-update-legacy.json";
import updPlayed from "../../../app/providers/evolution/fixtures/webhook-messages-update-played.json";
import updRead from "../../../app/providers/evolution/fixtures/webhook-messages-update-read.json";
import updServerAck from "../../../app/providers/evolution/fixtures/webhook-messages-update-server-ack.json";
import upAudio from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-audio.json";
import upContact from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-contact.json";
import upContacts from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-contacts-array.json";
import upDocument from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-document.json";
import upExtended from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-extended-text.json";
import upFromMe from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-from-me.json";
import upImage from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-image.json";
import upLidUnresolved from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-lid-unresolved.json";
import upLid from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-lid.json";
import upLocation from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-location.json";
import upReaction from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-reaction.json";
import upReply from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-reply.json";
import upS3 from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-s3-media.json";
import upStatusBroadcast from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-status-broadcast.json";
import upSticker from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-sticker.json";
import upText from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-text.json";
import upVideo from "../../../app/providers/evolution/fixtures/webhook-messages-upsert-video.json";
import sendMessageEcho from "../../../app/providers/evolution/fixtures/webhook-send-message.json";
import { type EvolutionCredentials, evolution } from "../../../app/providers/evolution/index.js";
import type { ProviderEvent } from "../../../app/providers/types.js";
import { describeProviderContract } from "../contract.js";
import { createEvolutionFake, EVOLUTION_INSTANCE, EVOLUTION_KEY, EVOLUTION_KNOWN_PHONE } from "./fake.js";

const ID = `evolution:${EVOLUTION_INSTANCE}`;
const IVAN = { phone: "79001234567", name: "Ivan" };
const at = (unixSeconds: number) => new Date(unixSeconds * 1000);

type Upsert = typeof upText;
function incoming(hook: { data: { key: { id: string }; messageTimestamp: number } }, rest: Partial<ProviderEvent & { type: "incoming" }>): ProviderEvent {
  return {
    type: "incoming",
    eventId: `${ID}:message:${hook.data.key.id}`,
    providerMessageId: hook.data.key.id,
    peer: IVAN,
    files: [],
    at: at(hook.data.messageTimestamp),
    ...rest,
  };
}
const status = (hook: { date_time: string }, keyId: string, name: string, value: "sent" | "delivered" | "read" | "failed"): ProviderEvent => ({
  type: "status",
  eventId: `${ID}:status:${keyId}:${name}`,
  providerMessageId: keyId,
  status: value,
  ...(value === "failed" ? { reason: name } : {}),
  at: new Date(hook.date_time),
});
const state = (hook: typeof connOpen | typeof connClose, value: string, detail: string): ProviderEvent => ({
  type: "channel_state",
  eventId: `${ID}:state:${hook.date_time}:${hook.data.state}`,
  state: value as "connected",
  detail,
  at: new Date(hook.date_time),
});
const mediaRef = (hook: Upsert | typeof upImage) => `media:${hook.data.key.id}`;

describeProviderContract<EvolutionCredentials>({
  provider: evolution,
  createFake: (fake) => createEvolutionFake(fake),
  target: (baseUrl) => ({
    credentials: { apiUrl: baseUrl, apiKey: EVOLUTION_KEY, instanceName: EVOLUTION_INSTANCE },
    messenger: "whatsapp",
  }),
  withWrongSecret: (credentials) => ({ ...(credentials as object), apiKey: "WRONGKEY0000" }),
  credentials: {
    valid: [
      { apiUrl: "https://evo.example.com/", apiKey: "B6D711FC", instanceName: "crm-1" },
      { apiUrl: "http://10.0.0.5:8080", apiKey: "key", instanceName: "Shop_Main.2" },
    ],
    invalid: [
      { apiUrl: "ftp://evo.example.com", apiKey: "k", instanceName: "crm-1" },
      { apiUrl: "https://evo.example.com", apiKey: "", instanceName: "crm-1" },
      { apiUrl: "https://evo.example.com", apiKey: "k", instanceName: "crm 1/../x" },
      { apiUrl: "https://evo.example.com", apiKey: "k" },
    ],
  },
  sendText: { to: { phone: EVOLUTION_KNOWN_PHONE }, text: "Hello from the CRM", providerMessageId: "BAE594145F4C59B4" },
  sendFile: [
    {
      name: "image with caption (sendMedia mediatype image)",
      to: { phone: EVOLUTION_KNOWN_PHONE },
      file: { type: "file", url: "https://files.example.com/photos/a.jpg", caption: "Photo" },
      providerMessageId: "BAE5A1C2D3E4F506",
    },
    {
      name: "document with its name and type to a group JID",
      to: { chatId: "120363043968066561@g.us" },
      file: { type: "file", url: "https://files.example.com/x?id=1", name: "contract.pdf", mime: "application/pdf" },
      providerMessageId: "BAE5A1C2D3E4F506",
    },
    {
      name: "Ogg voice note (sendWhatsAppAudio)",
      to: { phone: EVOLUTION_KNOWN_PHONE },
      file: { type: "file", url: "https://files.example.com/voice.ogg", mime: "audio/ogg" },
      providerMessageId: "BAE5B7C8D9E0F1A2",
    },
    {
      name: "video (sendMedia mediatype video)",
      to: { phone: EVOLUTION_KNOWN_PHONE },
      file: { type: "file", url: "https://files.example.com/clip.mp4" },
      providerMessageId: "BAE5A1C2D3E4F506",
    },
  ],
  checkPhone: { exists: { phone: EVOLUTION_KNOWN_PHONE, chatId: "79001234567@s.whatsapp.net" }, missing: { phone: "79000000000" } },
  status: [
    { name: "open", expect: { state: "connected", detail: "open" } },
    ...(
      [
        ["connecting", "connecting"],
        ["close", "qr_required"],
        ["refused", "qr_required"],
        ["somethingNew", "unknown"],
      ] as const
    ).map(([s, expected]) => ({
      name: `${s} -> ${expected}`,
      answer: { status: 200, body: { instance: { instanceName: EVOLUTION_INSTANCE, state: s } } },
      expect: { state: expected, detail: s },
    })),
    {
      name: "an instance the server has not loaded (no state) -> unknown",
      answer: { status: 200, body: { instance: { instanceName: EVOLUTION_INSTANCE } } },
      expect: { state: "unknown" },
    },
    { name: "401 -> unauthorized", answer: { status: 401, body: unauthorized }, expect: { state: "unauthorized" } },
    { name: "404 instance gone -> qr_required", answer: { status: 404, body: instanceGone }, expect: { state: "qr_required" } },
  ],
  qr: { dataUrlPrefix: "data:image/png;base64,", prepare: [{ status: 200, body: connectQr }], loggedIn: [] },
  configureWebhook: {
    url: "https://chatbridge.example.com/hooks/evolution/s3cretpath",
    verify(fake) {
      const [req] = fake.requests;
      expect(req?.method).toBe("POST");
      expect(req?.path).toBe(`/webhook/set/${EVOLUTION_INSTANCE}`);
      expect(JSON.parse(req?.body ?? "null")).toEqual({
        webhook: {
          enabled: true,
          url: "https://chatbridge.example.com/hooks/evolution/s3cretpath",
          byEvents: false,
          base64: false,
          events: ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE"],
        },
      });
    },
  },
  webhooks: [
    { name: "messages.upsert conversation (sheet example)", request: { body: upText }, expect: [incoming(upText, { text: "Hello" })] },
    {
      name: "messages.upsert extendedTextMessage (builds before 2.3 keep it)",
      request: { body: upExtended },
      expect: [incoming(upExtended, { text: "Price list: https://example.com/prices" })],
    },
    {
      name: "a reply: the quoted message's words (contextInfo.quotedMessage) come in front of its text",
      request: { body: upReply },
      expect: [incoming(upReply, { text: "> Hello from the CRM\nYes, this one" })],
    },
    {
      name: "imageMessage with caption -> media: reference (the CDN url is encrypted)",
      request: { body: upImage },
      expect: [incoming(upImage, { text: "Contract page 1", files: [{ url: mediaRef(upImage), mime: "image/jpeg" }] })],
    },
    {
      name: "documentMessage with fileName and caption",
      request: { body: upDocument },
      expect: [incoming(upDocument, { text: "Signed", files: [{ url: `media:${upDocument.data.key.id}`, name: "contract.pdf", mime: "application/pdf" }] })],
    },
    {
      name: "audioMessage voice note (ptt)",
      request: { body: upAudio },
      expect: [incoming(upAudio, { files: [{ url: `media:${upAudio.data.key.id}`, mime: "audio/ogg; codecs=opus" }] })],
    },
    {
      name: "videoMessage with caption",
      request: { body: upVideo },
      expect: [incoming(upVideo, { text: "How it looks", files: [{ url: `media:${upVideo.data.key.id}`, mime: "video/mp4" }] })],
    },
    {
      name: "stickerMessage",
      request: { body: upSticker },
      expect: [incoming(upSticker, { files: [{ url: `media:${upSticker.data.key.id}`, mime: "image/webp" }] })],
    },
    {
      name: "media with S3 storage on: mediaUrl is a plain link [U: presigned or public depends on the server's S3 setup]",
      request: { body: upS3 },
      expect: [incoming(upS3, { files: [{ url: upS3.data.message.mediaUrl, mime: "image/jpeg" }] })],
    },
    {
      name: "locationMessage",
      request: { body: upLocation },
      expect: [incoming(upLocation, { location: { latitude: 55.757, longitude: 37.6136, name: "Office", address: "Tverskaya 1, Moscow" } })],
    },
    {
      name: "contactMessage (vcard waid)",
      request: { body: upContact },
      expect: [incoming(upContact, { contact: { name: "Anna Sidorova", phones: ["79005554433"] } })],
    },
    {
      name: "contactsArrayMessage: the first as contact, the others as text",
      request: { body: upContacts },
      expect: [incoming(upContacts, { contact: { name: "Anna Sidorova", phones: ["79005554433"] }, text: "Oleg Petrov: 79001112233" })],
    },
    {
      name: "fromMe in messages.upsert: typed on the owner's phone (API sends are not emitted, emitOwnEvents:false)",
      request: { body: upFromMe },
      expect: [incoming(upFromMe, { peer: { phone: "79001234567" }, text: "We have received your order", fromOwner: true })],
    },
    {
      name: "a @lid chat resolved through key.remoteJidAlt",
      request: { body: upLid },
      expect: [incoming(upLid, { text: "Hi from a hidden number" })],
    },
    {
      name: "a @lid chat without a phone JID stays a chat id",
      request: { body: upLidUnresolved },
      expect: [incoming(upLidUnresolved, { peer: { chatId: "204593846571234@lid", name: "Ivan" }, text: "Hi" })],
    },
    { name: "reactionMessage -> a line of text, as WAHA's", request: { body: upReaction }, expect: [incoming(upReaction, { text: "Reaction 👍 to a message" })] },
    { name: "status@broadcast (a contact's story) is not a chat", request: { body: upStatusBroadcast }, expect: [] },
    { name: "send.message (echo of our own send) is ignored", request: { body: sendMessageEcho }, expect: [] },
    { name: "messages.update SERVER_ACK -> sent", request: { body: updServerAck }, expect: [status(updServerAck, "BAE594145F4C59B4", "SERVER_ACK", "sent")] },
    { name: "messages.update DELIVERY_ACK -> delivered", request: { body: updDelivered }, expect: [status(updDelivered, "BAE594145F4C59B4", "DELIVERY_ACK", "delivered")] },
    { name: "messages.update READ -> read", request: { body: updRead }, expect: [status(updRead, "BAE594145F4C59B4", "READ", "read")] },
    { name: "messages.update PLAYED -> read", request: { body: updPlayed }, expect: [status(updPlayed, "BAE5B7C8D9E0F1A2", "PLAYED", "read")] },
    { name: "messages.update ERROR -> failed", request: { body: updError }, expect: [status(updError, "BAE5A1C2D3E4F506", "ERROR", "failed")] },
    {
      name: "messages.update in the older nested form (key.id, update.status number) [U: builds before 2.3]",
      request: { body: updLegacy },
      expect: [status(updLegacy, "BAE594145F4C59B4", "DELIVERY_ACK", "delivered")],
    },
    { name: "messages.update of a client's message (fromMe:false) is not our status", request: { body: updIncomingRead }, expect: [] },
    { name: "connection.update open -> connected", request: { body: connOpen }, expect: [state(connOpen, "connected", "open (200)")] },
    { name: "connection.update connecting", request: { body: connConnecting }, expect: [state(connConnecting, "connecting", "connecting (200)")] },
    { name: "connection.update close (logged out, 401) -> qr_required", request: { body: connClose }, expect: [state(connClose, "qr_required", "close (401)")] },
    {
      name: "connection.update close 403 -> banned [U: Baileys 'forbidden' read as a ban]",
      request: { body: closeForbidden },
      expect: [state(closeForbidden, "banned", "close (403)")],
    },
    {
      name: "connection.update refused (QR limit reached) -> qr_required",
      request: { body: connRefused },
      expect: [state(connRefused as typeof connClose, "qr_required", "refused (428)")],
    },
  ],
  rejectedWebhooks: [
    {
      name: "a webhook for another instance of the same server",
      request: { body: { ...upText, instance: "crm-2" } },
      expect: { retryable: false, code: "invalid_credentials" },
    },
    { name: "a body without event", request: { body: { instance: EVOLUTION_INSTANCE, data: upText.data } }, expect: "payload" },
    { name: "messages.upsert without key", request: { body: { ...upText, data: { ...upText.data, key: undefined } } }, expect: "payload" },
    { name: "connection.update without state", request: { body: { ...connOpen, data: { instance: EVOLUTION_INSTANCE } } }, expect: "payload" },
  ],
  errors: {
    unauthorized: { status: 401, body: unauthorized },
    specific: [
      { name: "400 exists:false (number without WhatsApp)", call: "sendText", answer: { status: 400, body: noAccount }, expect: { retryable: false, code: "no_messenger" } },
      { name: "400 exists:false on sendMedia", call: "sendFile", answer: { status: 400, body: noAccount }, expect: { retryable: false, code: "no_messenger" } },
      {
        name: "400 Connection Closed (Baileys reconnecting) [U: exact text varies by build]",
        call: "sendText",
        answer: { status: 400, body: connectionClosed },
        expect: { retryable: true, code: "not_connected" },
      },
      { name: "404 instance does not exist", call: "sendText", answer: { status: 404, body: instanceGone }, expect: { retryable: false, code: "not_connected" } },
      { name: "404 instance does not exist on whatsappNumbers", call: "checkPhone", answer: { status: 404, body: instanceGone }, expect: { retryable: false, code: "not_connected" } },
      { name: "403 (key of another instance)", call: "sendText", answer: { status: 403, body: { status: 403, error: "Forbidden", response: { message: ["Forbidden"] } } }, expect: { retryable: false, code: "invalid_credentials" } },
      { name: "400 validation", call: "sendText", answer: { status: 400, body: { status: 400, error: "Bad Request", response: { message: ["text is required"] } } }, expect: { retryable: false, code: "bad_request" } },
      { name: "500 internal", call: "checkPhone", answer: { status: 500, body: { status: 500, error: "Internal Server Error", response: { message: "boom" } } }, expect: { retryable: true, code: "server_error" } },
      { name: "connect answering 200 {error:true}", call: "qr", answer: { status: 200, body: { error: true, message: "Error: something" } }, expect: { retryable: true, code: "not_connected" } },
      { name: "connect while connecting but no QR yet", call: "qr", answer: { status: 200, body: { count: 0 } }, expect: { retryable: true, code: "not_connected" } },
    ],
  },
});
