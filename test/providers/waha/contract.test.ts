import { expect } from "vitest";
import unauthorized from "../../../app/providers/waha/fixtures/error-401.json";
import sessionManagerMissing from "../../../app/providers/waha/fixtures/error-404-session-manager.json";
import coreSession from "../../../app/providers/waha/fixtures/error-422-core-session.json";
import engineMissing from "../../../app/providers/waha/fixtures/error-422-engine.json";
import sessionStarting from "../../../app/providers/waha/fixtures/error-422-session-starting.json";
import sessionStatus from "../../../app/providers/waha/fixtures/error-422-session-status.json";
import error500 from "../../../app/providers/waha/fixtures/error-500.json";
import qr from "../../../app/providers/waha/fixtures/qr.json";
import sessionScanQr from "../../../app/providers/waha/fixtures/session-scan-qr.json";
import { type WahaCredentials, waha } from "../../../app/providers/waha/index.js";
import { describeProviderContract } from "../contract.js";
import { SESSION, signed, signedWebhookExpectations } from "./webhook-cases.js";
import { createWahaFake, SENT_IDS, WAHA_KEY, WAHA_SESSION } from "./fake.js";

const IVAN = "79001234567@c.us";
const sent = (method: keyof typeof SENT_IDS, chatId = IVAN) => `true_${chatId}_${SENT_IDS[method]}`;

describeProviderContract<WahaCredentials>({
  provider: waha,
  createFake: (fake) => createWahaFake(fake),
  target: (baseUrl) => ({ credentials: { apiUrl: baseUrl, apiKey: WAHA_KEY, session: WAHA_SESSION }, messenger: "whatsapp" }),
  withWrongSecret: (credentials) => ({ ...(credentials as object), apiKey: "not-the-key" }),
  credentials: {
    valid: [
      { apiUrl: "http://waha.example.com:3000/", apiKey: "k" },
      { apiUrl: "https://waha.example.com", apiKey: "sha512-protected-key", session: "crm_1-a" },
    ],
    invalid: [
      { apiUrl: "waha.example.com", apiKey: "k" },
      { apiUrl: "ftp://waha.example.com", apiKey: "k" },
      { apiUrl: "https://waha.example.com", apiKey: "" },
      { apiUrl: "https://waha.example.com", apiKey: "k", session: "crm 1" },
      { apiUrl: "https://waha.example.com", apiKey: "k", session: "../sessions" },
    ],
  },
  sendText: { to: { phone: "79001234567" }, text: "Hello from the CRM", providerMessageId: sent("sendText") },
  sendFile: [
    {
      name: "JPEG with a caption -> sendImage",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/photos/a.jpg", caption: "Photo" },
      providerMessageId: sent("sendImage"),
    },
    {
      name: "PDF with its name -> sendFile, to a group chat",
      to: { chatId: "120363043968066561@g.us" },
      file: { type: "file", url: "https://files.example.com/x?id=1", name: "contract.pdf", mime: "application/pdf" },
      providerMessageId: sent("sendFile", "120363043968066561@g.us"),
    },
    {
      name: "MP4 -> sendVideo",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/v/clip.mp4", caption: "How it looks" },
      providerMessageId: sent("sendVideo"),
    },
    {
      name: "OGG voice note -> sendVoice, its caption as a text after it (the result names the last)",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/a/note.ogg", caption: "listen" },
      providerMessageId: sent("sendText"),
    },
    {
      name: "MP3 goes as a document [U: sendVoice conversion of non-Opus audio is engine-dependent]",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/a/song.mp3" },
      providerMessageId: sent("sendFile"),
    },
  ],
  checkPhone: { exists: { phone: "79001234567", chatId: IVAN }, missing: { phone: "79000000000" } },
  status: [
    { name: "WORKING (the fake's session)", expect: { state: "connected", detail: "WORKING" } },
    ...(
      [
        ["SCAN_QR_CODE", "qr_required"],
        ["PASSKEY_REQUIRED", "qr_required"],
        ["STARTING", "connecting"],
        ["FAILED", "unauthorized"],
        ["STOPPED", "unknown"],
        ["SOMETHING_NEW", "unknown"],
      ] as const
    ).map(([status, state]) => ({
      name: `${status} -> ${state}`,
      answer: { status: 200, body: { ...sessionScanQr, status } },
      expect: { state, detail: status },
    })),
  ],
  qr: {
    dataUrlPrefix: "data:image/png;base64,",
    prepare: [
      { status: 200, body: sessionScanQr },
      { status: 200, body: qr },
    ],
    loggedIn: [],
  },
  configureWebhook: {
    url: "https://chatbridge.example.com/hooks/waha/s3cret",
    verify(fake) {
      const put = fake.requests.find((r) => r.method === "PUT");
      expect(put?.path).toBe(`/api/sessions/${WAHA_SESSION}`);
      const config = JSON.parse(put?.body ?? "null") as { config: { webhooks: Array<Record<string, unknown>>; metadata?: unknown } };
      // the admin's own settings are kept
      expect(config.config.metadata).toEqual({ "channel.id": "ch_1" });
      expect(config.config.webhooks).toEqual([
        {
          url: "https://chatbridge.example.com/hooks/waha/s3cret",
          events: ["message.any", "message.ack", "message.reaction", "session.status"],
          hmac: { key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
          retries: { policy: "exponential", delaySeconds: 2, attempts: 10 },
        },
      ]);
    },
  },
  webhooks: await signedWebhookExpectations(),
  rejectedWebhooks: [
    { name: "a webhook without X-Webhook-Hmac", request: { body: { event: "message", session: SESSION, payload: {} } }, expect: { retryable: false, code: "invalid_credentials" } },
    {
      name: "a webhook signed with another key",
      request: { body: '{"event":"session.status","session":"crm-1","payload":{"status":"WORKING"}}', headers: { "x-webhook-hmac": "00".repeat(64), "x-webhook-hmac-algorithm": "sha512" } },
      expect: { retryable: false, code: "invalid_credentials" },
    },
    {
      name: "a webhook for another session (signed)",
      request: await signed({ event: "session.status", session: "other", payload: { status: "WORKING" } }),
      expect: { retryable: false, code: "invalid_credentials" },
    },
    { name: "a signed body without event", request: await signed({ session: SESSION, payload: {} }), expect: "payload" },
    { name: "a signed message without id", request: await signed({ event: "message", session: SESSION, payload: { from: IVAN, fromMe: false, timestamp: 1 } }), expect: "payload" },
  ],
  errors: {
    unauthorized: { status: 401, body: unauthorized },
    specific: [
      { name: "422 session waiting for the QR", call: "sendText", answer: { status: 422, body: sessionStatus }, expect: { retryable: false, code: "not_connected" } },
      { name: "422 session STARTING", call: "sendText", answer: { status: 422, body: sessionStarting }, expect: { retryable: true, code: "not_connected", delayMs: 30_000 } },
      { name: "404 unknown session", call: "sendFile", answer: { status: 404, body: sessionManagerMissing }, expect: { retryable: false, code: "not_connected" } },
      { name: "422 not implemented by the engine", call: "checkPhone", answer: { status: 422, body: engineMissing }, expect: { retryable: false, code: "unsupported" } },
      { name: "422 Core runs only the default session", call: "status", answer: { status: 422, body: coreSession }, expect: { retryable: false, code: "invalid_credentials" } },
      { name: "500 with the exception body", call: "sendText", answer: { status: 500, body: error500 }, expect: { retryable: true, code: "server_error" } },
      { name: "403 [U: WAHA answers 401; a proxy in front may say 403]", call: "status", answer: { status: 403, body: unauthorized }, expect: { retryable: false, code: "invalid_credentials" } },
      { name: "qr while the session is STARTING", call: "qr", answer: { status: 200, body: { ...sessionScanQr, status: "STARTING" } }, expect: { retryable: true, code: "not_connected" } },
    ],
  },
});
