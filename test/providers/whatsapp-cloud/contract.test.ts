import { expect } from "vitest";
import error130429 from "../../../app/providers/whatsapp-cloud/fixtures/error-130429.json";
import error131026 from "../../../app/providers/whatsapp-cloud/fixtures/error-131026.json";
import error131047 from "../../../app/providers/whatsapp-cloud/fixtures/error-131047.json";
import error131056 from "../../../app/providers/whatsapp-cloud/fixtures/error-131056.json";
import error132001 from "../../../app/providers/whatsapp-cloud/fixtures/error-132001.json";
import error190 from "../../../app/providers/whatsapp-cloud/fixtures/error-190.json";
import error368 from "../../../app/providers/whatsapp-cloud/fixtures/error-368.json";
import error100 from "../../../app/providers/whatsapp-cloud/fixtures/error-100.json";
import phoneNumber from "../../../app/providers/whatsapp-cloud/fixtures/phone-number.json";
import sendAnswer from "../../../app/providers/whatsapp-cloud/fixtures/send-answer.json";
import webhookText from "../../../app/providers/whatsapp-cloud/fixtures/webhook-text.json";
import { type WhatsAppCloudCredentials, whatsappCloud } from "../../../app/providers/whatsapp-cloud/index.js";
import { describeProviderContract, type FakeTarget, providerContext } from "../contract.js";
import { createWhatsAppCloudFake, metaJson, signedWebhook, WA_APP_SECRET, WA_PHONE_NUMBER_ID, WA_TOKEN, WA_VERSION, WA_WABA_ID } from "./fake.js";
import { expectedWebhooks, PITFALL_HOOK } from "./webhook-expectations.js";

const SENT_ID = sendAnswer.messages[0]!.id;
const target = (baseUrl: string): FakeTarget => ({
  credentials: { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET, apiUrl: `${baseUrl}/${WA_VERSION}` },
  messenger: "whatsapp",
});
// the contract's context derives channel secrets from its channel id: the token configureWebhook must send
const VERIFY_TOKEN = await providerContext(whatsappCloud, target("http://127.0.0.1:9")).channelSecret("whatsapp-verify-token");
const HOOK_URL = "https://chatbridge.example.com/hooks/whatsapp-cloud/s3cret";
const graph = (status: number, body: unknown) => ({ status, body });
const refused = { retryable: false, code: "invalid_credentials" } as const;

describeProviderContract<WhatsAppCloudCredentials>({
  provider: whatsappCloud,
  createFake: (fake) => createWhatsAppCloudFake(fake),
  target,
  withWrongSecret: (credentials) => ({ ...(credentials as object), accessToken: "EAAGwrongwrongwrongwrongwrong" }),
  credentials: {
    valid: [
      { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET },
      {
        accessToken: WA_TOKEN,
        phoneNumberId: ` ${WA_PHONE_NUMBER_ID} `,
        wabaId: WA_WABA_ID,
        appSecret: WA_APP_SECRET,
        apiUrl: "https://graph.facebook.com/v24.0/",
        templateLanguage: "en_US",
      },
      { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET, templateLanguage: "ru" },
    ],
    invalid: [
      { accessToken: "short", phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET },
      { accessToken: WA_TOKEN, phoneNumberId: "+1 555 555 5555", wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET },
      // ids are 15+ digits: a JSON number may already have lost some
      { accessToken: WA_TOKEN, phoneNumberId: 106540352242922, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET },
      { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, appSecret: WA_APP_SECRET },
      { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: "tooshort" },
      { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET, apiUrl: "ftp://graph.facebook.com" },
      { accessToken: WA_TOKEN, phoneNumberId: WA_PHONE_NUMBER_ID, wabaId: WA_WABA_ID, appSecret: WA_APP_SECRET, templateLanguage: "Russian" },
    ],
  },
  sendText: { to: { phone: "79001234567" }, text: "Hello from the CRM", providerMessageId: SENT_ID },
  sendFile: [
    {
      name: "JPEG image with caption",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/photos/a.jpg", caption: "Photo" },
      providerMessageId: SENT_ID,
    },
    {
      name: "PDF document with its file name",
      to: { phone: "+7 (900) 123-45-67" },
      file: { type: "file", url: "https://files.example.com/x?id=1", name: "contract.pdf", mime: "application/pdf", caption: "Signed" },
      providerMessageId: SENT_ID,
    },
    {
      name: "voice note: its caption follows as a text (audio takes none)",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/v/note.ogg", caption: "Listen" },
      providerMessageId: SENT_ID,
    },
    {
      name: "WebP goes as a sticker",
      to: { phone: "79001234567" },
      file: { type: "file", url: "https://files.example.com/s.webp" },
      providerMessageId: SENT_ID,
    },
  ],
  status: [
    { name: "a working number -> connected with its quality", expect: { state: "connected", detail: "quality GREEN" } },
    { name: "quality RED is still connected", answer: graph(200, { ...phoneNumber, quality_rating: "RED" }), expect: { state: "connected", detail: "quality RED" } },
    { name: "190 expired token -> unauthorized", answer: graph(401, error190), expect: { state: "unauthorized" } },
    { name: "368 policy block -> banned", answer: graph(400, error368), expect: { state: "banned" } },
  ],
  configureWebhook: {
    url: HOOK_URL,
    verify(fake) {
      const [subscribe, configure] = fake.requests;
      expect(fake.requests).toHaveLength(2);
      expect([subscribe?.method, subscribe?.path]).toEqual(["POST", `/${WA_VERSION}/${WA_WABA_ID}/subscribed_apps`]);
      expect(subscribe?.body).toBe("");
      expect([configure?.method, configure?.path]).toEqual(["POST", `/${WA_VERSION}/${WA_PHONE_NUMBER_ID}`]);
      expect(JSON.parse(configure?.body ?? "null")).toEqual({ webhook_configuration: { override_callback_uri: HOOK_URL, verify_token: VERIFY_TOKEN } });
    },
  },
  webhooks: expectedWebhooks,
  rejectedWebhooks: [
    { name: "an unsigned webhook", request: { body: JSON.stringify(webhookText) }, expect: refused },
    { name: "a webhook signed with another app's secret", request: signedWebhook(webhookText, "0123456789abcdef0123456789abcdef"), expect: refused },
    {
      name: "a signature over re-serialized JSON, not the raw bytes (channels-next.md 6: body with @ and non-ASCII)",
      request: { body: metaJson(PITFALL_HOOK), headers: signedWebhook(JSON.stringify(PITFALL_HOOK)).headers! },
      expect: refused,
    },
    {
      name: "a signature without the sha256= prefix",
      request: (() => {
        const good = signedWebhook(webhookText);
        return { ...good, headers: { "x-hub-signature-256": good.headers!["x-hub-signature-256"]!.slice("sha256=".length) } };
      })(),
      expect: refused,
    },
    { name: "an envelope of another object type", request: signedWebhook({ object: "page", entry: [] }), expect: "payload" },
    { name: "an envelope without entry", request: signedWebhook({ object: "whatsapp_business_account" }), expect: "payload" },
    {
      name: "a messages change without metadata",
      request: signedWebhook({ object: "whatsapp_business_account", entry: [{ id: WA_WABA_ID, changes: [{ field: "messages", value: { messages: [] } }] }] }),
      expect: "payload",
    },
    {
      name: "a text message without its text object",
      request: signedWebhook(JSON.parse(JSON.stringify(webhookText).replace(/"text":\{"body":"Hello"\}/, '"noise":1'))),
      expect: "payload",
    },
  ],
  errors: {
    unauthorized: graph(401, error190),
    specific: [
      { name: "131047 outside the 24-hour window [U: 2nd-hand]", call: "sendText", answer: graph(400, error131047), expect: { retryable: false, code: "template_required" } },
      { name: "131026 undeliverable [U: 2nd-hand]", call: "sendText", answer: graph(400, error131026), expect: { retryable: false, code: "no_messenger" } },
      { name: "130429 throughput", call: "sendText", answer: graph(400, error130429), expect: { retryable: true, code: "rate_limited", delayMs: 2000 } },
      { name: "131056 pair rate [U: 2nd-hand]", call: "sendText", answer: graph(400, error131056), expect: { retryable: true, code: "rate_limited", delayMs: 6000 } },
      {
        name: "131057 throughput upgrade",
        call: "sendFile",
        answer: graph(400, { error: { message: "(#131057) Account in maintenance mode", type: "OAuthException", code: 131057 } }),
        expect: { retryable: true, code: "rate_limited", delayMs: 60_000 },
      },
      { name: "132001 template missing [U: 2nd-hand]", call: "sendText", answer: graph(404, error132001), expect: { retryable: false, code: "template_invalid" } },
      { name: "190 expired token", call: "sendFile", answer: graph(401, error190), expect: refused },
      { name: "368 policy block", call: "sendText", answer: graph(400, error368), expect: { retryable: false, code: "banned" } },
      { name: "100 invalid parameter", call: "sendFile", answer: graph(400, error100), expect: { retryable: false, code: "bad_request" } },
      {
        name: "131000 something went wrong, on a 500 [U]",
        call: "sendText",
        answer: graph(500, { error: { message: "Something went wrong", type: "OAuthException", code: 131000 } }),
        expect: { retryable: true, code: "server_error" },
      },
    ],
  },
});
