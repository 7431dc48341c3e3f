import audio from "../../../app/providers/whatsapp-cloud/fixtures/webhook-audio.json";
import batch from "../../../app/providers/whatsapp-cloud/fixtures/webhook-batch.json";
import button from "../../../app/providers/whatsapp-cloud/fixtures/webhook-button.json";
import contacts from "../../../app/providers/whatsapp-cloud/fixtures/webhook-contacts.json";
import document from "../../../app/providers/whatsapp-cloud/fixtures/webhook-document.json";
import errors from "../../../app/providers/whatsapp-cloud/fixtures/webhook-errors.json";
import image from "../../../app/providers/whatsapp-cloud/fixtures/webhook-image.json";
import interactive from "../../../app/providers/whatsapp-cloud/fixtures/webhook-interactive.json";
import location from "../../../app/providers/whatsapp-cloud/fixtures/webhook-location.json";
import otherNumber from "../../../app/providers/whatsapp-cloud/fixtures/webhook-other-number.json";
import reaction from "../../../app/providers/whatsapp-cloud/fixtures/webhook-reaction.json";
import sticker from "../../../app/providers/whatsapp-cloud/fixtures/webhook-sticker.json";
import statusDelivered from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-delivered.json";
import failed131026 from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-failed-131026.json";
import failed131047 from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-failed-131047.json";
import statusRead from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-read.json";
import statusSent from "../../../app/providers/whatsapp-cloud/fixtures/webhook-status-sent.json";
import text from "../../../app/providers/whatsapp-cloud/fixtures/webhook-text.json";
import unsupported from "../../../app/providers/whatsapp-cloud/fixtures/webhook-unsupported.json";
import video from "../../../app/providers/whatsapp-cloud/fixtures/webhook-video.json";
import type { ProviderEvent } from "../../../app/providers/types.js";
import type { WebhookInput } from "../contract.js";
import { metaJson, signedWebhook } from "./fake.js";

type Incoming = Extract<ProviderEvent, { type: "incoming" }>;
type Status = Extract<ProviderEvent, { type: "status" }>;

const IVAN = { phone: "79001234567", name: "Ivan" };
const at = (seconds: string) => new Date(Number(seconds) * 1000);

interface Hook {
  entry: Array<{ changes: Array<{ value: { messages?: Array<{ id: string; timestamp: string }>; statuses?: Array<{ id: string; timestamp: string }> } }> }>;
}
const firstMessage = (hook: Hook, i = 0) => hook.entry[0]!.changes[0]!.value.messages![i]!;
const firstStatus = (hook: Hook) => hook.entry.at(-1)!.changes[0]!.value.statuses![0]!;

function incoming(hook: Hook, rest: Partial<Incoming>, i = 0): Incoming {
  const m = firstMessage(hook, i);
  return { type: "incoming", eventId: m.id, providerMessageId: m.id, peer: IVAN, files: [], at: at(m.timestamp), ...rest };
}

function status(hook: Hook, state: Status["status"], rest: Partial<Status> = {}): Status {
  const s = firstStatus(hook);
  return { type: "status", eventId: `${s.id}:${state}`, providerMessageId: s.id, status: state, at: at(s.timestamp), ...rest };
}

const media = (id: string, name: string, mime: string) => ({ url: `media:${id}`, name, mime });

/** The sheet's text example with a body Meta escapes (non-ASCII, "@", "/"): the signing pitfall. */
export const PITFALL_HOOK: typeof text = JSON.parse(JSON.stringify(text).replace('"Hello"', '"Привет, a@b.ru https://x.y/z"'));

export const expectedWebhooks: Array<{ name: string; request: WebhookInput; expect: ProviderEvent[] }> = [
  { name: "text (the sheet's example)", request: signedWebhook(text), expect: [incoming(text, { text: "Hello" })] },
  {
    name: "text as Meta writes it (\\u escapes, \\/), signed over the raw bytes",
    request: signedWebhook(metaJson(PITFALL_HOOK)),
    expect: [incoming(PITFALL_HOOK, { text: "Привет, a@b.ru https://x.y/z" })],
  },
  {
    name: "image with caption: a media id, named by its type",
    request: signedWebhook(image),
    expect: [incoming(image, { text: "Contract page 1", files: [media("1479537139650973", "image-1479537139650973.jpg", "image/jpeg")] })],
  },
  {
    name: "document keeps its filename (the sheet's example)",
    request: signedWebhook(document),
    expect: [incoming(document, { text: "see attached", files: [media("1037543291543636", "invoice.pdf", "application/pdf")] })],
  },
  {
    name: "voice note: the codecs parameter is dropped from the MIME type",
    request: signedWebhook(audio),
    expect: [incoming(audio, { files: [media("2147483647012345", "audio-2147483647012345.ogg", "audio/ogg")] })],
  },
  {
    name: "video with caption",
    request: signedWebhook(video),
    expect: [incoming(video, { text: "How it looks", files: [media("3333444455556666", "video-3333444455556666.mp4", "video/mp4")] })],
  },
  {
    name: "sticker",
    request: signedWebhook(sticker),
    expect: [incoming(sticker, { files: [media("7777888899990000", "sticker-7777888899990000.webp", "image/webp")] })],
  },
  {
    name: "location [U: shape]",
    request: signedWebhook(location),
    expect: [incoming(location, { location: { latitude: 55.757, longitude: 37.6136, name: "Office", address: "Tverskaya 1, Moscow" } })],
  },
  {
    name: "contacts: wa_id, else the phone's digits [U: shape]",
    request: signedWebhook(contacts),
    expect: [incoming(contacts, { contact: { name: "Anna Sidorova", phones: ["79005554433", "74951234567"] } })],
  },
  {
    name: "interactive button_reply and list_reply -> their titles [U: shape]",
    request: signedWebhook(interactive),
    expect: [incoming(interactive, { text: "Yes, confirm" }), incoming(interactive, { text: "Tomorrow 10:00" }, 1)],
  },
  { name: "template quick-reply button -> its text", request: signedWebhook(button), expect: [incoming(button, { text: "Stop promotions" })] },
  { name: "reaction [U: shape]", request: signedWebhook(reaction), expect: [incoming(reaction, { text: "Reaction 👍 to a message" })] },
  {
    name: "unsupported type -> a note for the operator",
    request: signedWebhook(unsupported),
    expect: [incoming(unsupported, { text: "[unsupported message type: unsupported]" })],
  },
  {
    name: "a batch: two entries, two messages and a status",
    request: signedWebhook(batch),
    expect: [
      incoming(batch, { text: "First" }),
      incoming(batch, { text: "Second, from Anna", peer: { phone: "79005554433", name: "Anna" } }, 1),
      status(batch, "delivered"),
    ],
  },
  { name: "another phone number's change is skipped", request: signedWebhook(otherNumber), expect: [] },
  { name: "status sent", request: signedWebhook(statusSent), expect: [status(statusSent, "sent")] },
  { name: "status delivered", request: signedWebhook(statusDelivered), expect: [status(statusDelivered, "delivered")] },
  { name: "status read", request: signedWebhook(statusRead), expect: [status(statusRead, "read")] },
  {
    name: "status failed 131047 -> template_required (the sheet's example)",
    request: signedWebhook(failed131047),
    expect: [
      status(failed131047, "failed", {
        code: "template_required",
        reason: "131047: Re-engagement message — Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
      }),
    ],
  },
  {
    name: "status failed 131026 -> no_messenger [U: error text]",
    request: signedWebhook(failed131026),
    expect: [status(failed131026, "failed", { code: "no_messenger", reason: "131026: Message undeliverable — Message Undeliverable." })],
  },
  { name: "value.errors[] not tied to a message -> no event", request: signedWebhook(errors), expect: [] },
];


