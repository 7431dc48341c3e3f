import ackDevice from "../../../app/providers/waha/fixtures/webhook-ack-device.json";
import ackError from "../../../app/providers/waha/fixtures/webhook-ack-error.json";
import ackPending from "../../../app/providers/waha/fixtures/webhook-ack-pending.json";
import ackPlayed from "../../../app/providers/waha/fixtures/webhook-ack-played.json";
import ackRead from "../../../app/providers/waha/fixtures/webhook-ack-read.json";
import ackServer from "../../../app/providers/waha/fixtures/webhook-ack-server.json";
import anyFromApi from "../../../app/providers/waha/fixtures/webhook-message-any-from-api.json";
import anyFromApp from "../../../app/providers/waha/fixtures/webhook-message-any-from-app.json";
import anyWithName from "../../../app/providers/waha/fixtures/webhook-message-any-text-with-name.json";
import broadcast from "../../../app/providers/waha/fixtures/webhook-message-status-broadcast.json";
import documentMessage from "../../../app/providers/waha/fixtures/webhook-message-document.json";
import location from "../../../app/providers/waha/fixtures/webhook-message-location.json";
import notDownloaded from "../../../app/providers/waha/fixtures/webhook-message-media-not-downloaded.json";
import reactionRemoved from "../../../app/providers/waha/fixtures/webhook-message-reaction-removed.json";
import reaction from "../../../app/providers/waha/fixtures/webhook-message-reaction.json";
import reply from "../../../app/providers/waha/fixtures/webhook-message-reply.json";
import revoked from "../../../app/providers/waha/fixtures/webhook-message-revoked.json";
import text from "../../../app/providers/waha/fixtures/webhook-message-text.json";
import vcard from "../../../app/providers/waha/fixtures/webhook-message-vcard.json";
import sessionFailed from "../../../app/providers/waha/fixtures/webhook-session-failed.json";
import sessionScanQr from "../../../app/providers/waha/fixtures/webhook-session-scan-qr.json";
import sessionWorking from "../../../app/providers/waha/fixtures/webhook-session-working.json";
import { waha } from "../../../app/providers/waha/index.js";
import { HMAC_PURPOSE } from "../../../app/providers/waha/session.js";
import { hmacSha512Hex } from "../../../app/providers/waha/webhook.js";
import type { ProviderEvent } from "../../../app/providers/types.js";
import type { WebhookInput } from "../contract.js";
import { providerContext } from "../provider-fake.js";
import { WAHA_KEY, WAHA_SESSION } from "./fake.js";

export const SESSION = WAHA_SESSION;
const IVAN = { phone: "79001234567" };
const SENT = "true_79001234567@c.us_3EB0B430B6F8F1D0E053AC120E0A9E5C";
const at = (unixSeconds: number) => new Date(unixSeconds * 1000);

/** The HMAC key configureWebhook sets for a channel: its channelSecret, as the test context derives it. */
export async function hmacKeyOf(channelId = "ch_contract"): Promise<string> {
  const credentials = { apiUrl: "http://waha.example.com:3000", apiKey: WAHA_KEY, session: WAHA_SESSION };
  const ctx = providerContext(waha, { credentials, messenger: "whatsapp" }, channelId);
  return ctx.channelSecret(HMAC_PURPOSE);
}

/** A webhook as WAHA posts it: the raw body and its X-Webhook-Hmac under the channel's key. */
export async function signed(body: object | string, channelId = "ch_contract"): Promise<WebhookInput> {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const key = await hmacKeyOf(channelId);
  return { body: raw, headers: { "x-webhook-hmac": await hmacSha512Hex(key, raw), "x-webhook-hmac-algorithm": "sha512" } };
}

const incoming = (fixture: { timestamp: number; payload: { id: string; timestamp: number } }, rest: Partial<Extract<ProviderEvent, { type: "incoming" }>>): ProviderEvent => ({
  type: "incoming",
  eventId: `waha:${SESSION}:${fixture.payload.id}`,
  providerMessageId: fixture.payload.id,
  peer: IVAN,
  files: [],
  at: at(fixture.payload.timestamp),
  ...rest,
});

const ack = (fixture: typeof ackServer, status: "sent" | "delivered" | "read" | "failed", reason?: string): ProviderEvent => ({
  type: "status",
  eventId: `waha:${SESSION}:ack:${SENT}:${fixture.payload.ack}`,
  providerMessageId: SENT,
  status,
  ...(reason ? { reason } : {}),
  at: new Date(fixture.timestamp),
});

const state = (fixture: typeof sessionWorking, s: "connected" | "qr_required" | "unauthorized"): ProviderEvent => ({
  type: "channel_state",
  eventId: `waha:${SESSION}:state:${fixture.id}:${fixture.payload.status}`,
  state: s,
  detail: fixture.payload.status,
  at: new Date(fixture.timestamp),
});

/**
 * Every fixture with what it must become, unsigned (signedWebhookExpectations signs them). The contract's context points at a fake on loopback;
 * media links on `waha.example.com` are another host, so they carry no key there (the key only
 * goes to the channel's own server: waha.test.ts covers that).
 */
/** a client's message in a group (ids: `{fromMe}_{chatId}_{messageId}_{participant}`, channels-next.md 3 "IDs") */
const inGroup = {
  ...anyWithName,
  id: "evt_01jyewpavw2ns6gc9j48ta562w",
  payload: { ...anyWithName.payload, id: "false_120363043968066561@g.us_3EB0A1B2C3D4E5F6A7C0_79001234567@c.us", from: "120363043968066561@g.us", participant: "79001234567@c.us" },
};

function webhookExpectations(): Array<{ name: string; request: WebhookInput; expect: ProviderEvent[] }> {
  const cases: Array<[string, object, ProviderEvent[]]> = [
    ["message: text (sheet example)", text, [incoming(text, { text: "Hello" })]],
    ["message.any from the client, WEBJS name [U: _data.notifyName is engine-specific]", anyWithName, [incoming(anyWithName, { peer: { ...IVAN, name: "Ivan" }, text: "Do you deliver?" })]],
    [
      "message in a group: the peer is the group chat, without the member's name",
      inGroup,
      [incoming(inGroup, { peer: { chatId: "120363043968066561@g.us" }, text: "Do you deliver?" })],
    ],
    [
      "message: document with a caption",
      documentMessage,
      [
        incoming(documentMessage, {
          text: "see attached",
          files: [{ url: "http://waha.example.com:3000/api/files/crm-1/false_79001234567@c.us_3EB0D0C0B0A090807060.pdf", name: "invoice.pdf", mime: "application/pdf" }],
        }),
      ],
    ],
    ["message: media not downloaded by the server", notDownloaded, [incoming(notDownloaded, { text: "[a file the WAHA server did not download]" })]],
    [
      "message: location with string coordinates (source WALocation)",
      location,
      [incoming(location, { location: { latitude: 55.757, longitude: 37.6136, name: "Office\nTverskaya 1, Moscow" } })],
    ],
    ["message: vCard [U: vCard text]", vcard, [incoming(vcard, { contact: { name: "Anna Sidorova", phones: ["79005554433"] } })]],
    ["message: a reply shows the quoted words (replyTo.body) in front of its text", reply, [incoming(reply, { text: "> Which model?\nYes, this one" })]],
    [
      "message.any typed on the owner's phone (source app) -> fromOwner",
      anyFromApp,
      [incoming(anyFromApp, { text: "We have received your order", fromOwner: true })],
    ],
    ["message.any echo of our own API send (source api) is skipped", anyFromApi, []],
    ["message: a status update (status@broadcast) is skipped", broadcast, []],
    ["message.reaction -> a line of text", reaction, [incoming(reaction, { text: "Reaction 👍 to a message" })]],
    ["message.reaction removed is skipped", reactionRemoved, []],
    ["message.ack 1 SERVER -> sent", ackServer, [ack(ackServer, "sent")]],
    ["message.ack 2 DEVICE -> delivered", ackDevice, [ack(ackDevice, "delivered")]],
    ["message.ack 3 READ -> read", ackRead, [ack(ackRead, "read")]],
    ["message.ack 4 PLAYED -> read", ackPlayed, [ack(ackPlayed, "read")]],
    ["message.ack -1 ERROR -> failed", ackError, [ack(ackError, "failed", "WAHA ack ERROR")]],
    ["message.ack 0 PENDING says nothing", ackPending, []],
    ["session.status SCAN_QR_CODE -> qr_required", sessionScanQr, [state(sessionScanQr, "qr_required")]],
    ["session.status WORKING -> connected", sessionWorking, [state(sessionWorking, "connected")]],
    ["session.status FAILED -> unauthorized (login lost; a person must act)", sessionFailed, [state(sessionFailed, "unauthorized")]],
    ["message.revoked is not bridged", revoked, []],
  ];
  return cases.map(([name, body, expect]) => ({ name, request: { body: JSON.stringify(body) }, expect }));
}

/** The cases with their signatures (async): the contract takes them ready. */
export async function signedWebhookExpectations(): Promise<Array<{ name: string; request: WebhookInput; expect: ProviderEvent[] }>> {
  return Promise.all(webhookExpectations().map(async (c) => ({ ...c, request: await signed(c.request.body) })));
}
