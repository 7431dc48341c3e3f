import { type IncomingFile, type Peer, type ProviderEvent, WebhookPayloadError } from "../types.js";
import type { InboundMessage } from "./schema.js";

type Incoming = Extract<ProviderEvent, { type: "incoming" }>;

const MEDIA_TYPES = ["image", "video", "audio", "document", "sticker"] as const;
type MediaType = (typeof MEDIA_TYPES)[number];

/** Extensions for the names of media that come without one (only documents carry a filename). */
const EXTENSIONS: Record<string, string> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "video/mp4": "mp4",
  "video/3gpp": "3gp",
  "audio/ogg": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp4": "m4a",
  "audio/aac": "aac",
  "audio/amr": "amr",
  "application/pdf": "pdf",
  "text/plain": "txt",
};

/** `audio/ogg; codecs=opus` -> `audio/ogg`: the CRM picks a media kind by the bare type */
function bareMime(mime: string | undefined): string | undefined {
  const bare = mime?.split(";")[0]?.trim().toLowerCase();
  return bare || undefined;
}

/**
 * Inbound media carry an id, no URL (channels-next.md 2): `media:<id>` is turned into a 5-minute
 * Bearer download by resolveMedia when the file is re-hosted.
 */
function mediaFile(type: MediaType, message: InboundMessage): { file: IncomingFile; caption?: string } {
  const media = message[type];
  if (!media) throw new WebhookPayloadError(`WhatsApp Cloud ${type} message ${message.id} without its ${type} object`);
  const mime = bareMime(media.mime_type);
  const name = media.filename || `${type}-${media.id}.${(mime && EXTENSIONS[mime]) ?? mime?.split("/")[1]?.replace(/[^a-z0-9]/g, "") ?? "bin"}`;
  return {
    file: { url: `media:${media.id}`, name, ...(mime ? { mime } : {}) },
    ...(media.caption ? { caption: media.caption } : {}),
  };
}

function required<T>(value: T | undefined, message: InboundMessage): T {
  if (value === undefined) throw new WebhookPayloadError(`WhatsApp Cloud ${message.type} message ${message.id} without its ${message.type} object`);
  return value;
}

const unsupported = (what: string) => `[unsupported message type: ${what}]`;

/**
 * One `messages[]` item as an incoming event, or null when there is nothing to show. Shapes of
 * location, contacts, interactive, button and reaction are [U] (channels-next.md 2 lists them
 * from examples, not the SDK types).
 */
export function incomingEvent(message: InboundMessage, peer: Peer): Incoming | null {
  const base: Incoming = {
    type: "incoming",
    // the wamid is globally unique and the sheet's dedup key; `context` (a reply) is not bridged
    eventId: message.id,
    providerMessageId: message.id,
    peer,
    files: [],
    at: message.timestamp,
  };
  const type = message.type;
  if ((MEDIA_TYPES as readonly string[]).includes(type)) {
    const { file, caption } = mediaFile(type as MediaType, message);
    return { ...base, files: [file], ...(caption !== undefined ? { text: caption } : {}) };
  }
  switch (type) {
    case "text":
      return { ...base, text: required(message.text, message).body };
    case "location": {
      const loc = required(message.location, message);
      return {
        ...base,
        location: {
          latitude: loc.latitude,
          longitude: loc.longitude,
          ...(loc.name ? { name: loc.name } : {}),
          ...(loc.address ? { address: loc.address } : {}),
        },
      };
    }
    case "contacts": {
      const cards = required(message.contacts, message);
      const [first, ...more] = cards.map((card) => ({
        name: card.name?.formatted_name || card.name?.first_name || "",
        phones: (card.phones ?? []).map((p) => (p.wa_id ?? p.phone ?? "").replace(/\D/g, "")).filter((p) => p !== ""),
      }));
      if (!first) throw new WebhookPayloadError(`WhatsApp Cloud contacts message ${message.id} with no contact`);
      const contact = { name: first.name || first.phones[0] || "contact", phones: first.phones };
      // the event holds one contact: further cards of the same message travel as text
      const rest = more.map((c) => `${c.name || "contact"}: ${c.phones.join(", ")}`).join("\n");
      return { ...base, contact, ...(rest ? { text: rest } : {}) };
    }
    case "interactive": {
      const reply = required(message.interactive, message);
      const title = reply.button_reply?.title ?? reply.list_reply?.title;
      // flows (nfm_reply) and other interactive replies have no title to show
      return { ...base, text: title ?? unsupported(`interactive/${reply.type}`) };
    }
    case "button":
      // a template's quick-reply button: its label is what the client "said"
      return { ...base, text: required(message.button, message).text };
    case "reaction": {
      const emoji = required(message.reaction, message).emoji;
      // an empty emoji takes a reaction back: the CRM cannot undo a note, so nothing is sent
      return emoji ? { ...base, text: `Reaction ${emoji} to a message` } : null;
    }
    case "system":
      // "customer changed their number" and similar notices: not a client message. The new
      // number arrives as `wa_id` of the next message, which the CRM matches on its own [U]
      return null;
    default:
      // order, unknown, unsupported and types added later: the operator learns something came
      return { ...base, text: unsupported(type) };
  }
}
