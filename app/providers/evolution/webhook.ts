import type { z } from "zod";
import { hashToken } from "../../core/tokens.js";
import {
  type ChannelState,
  type DeliveryStatus,
  type IncomingFile,
  type Peer,
  type ProviderEvent,
  ProviderPermanentError,
  type WebhookRequest,
  WebhookPayloadError,
} from "../types.js";
import { reactionText, withQuote } from "../quote.js";
import type { Ctx } from "./client.js";
import {
  connectionDataSchema,
  type EvolutionMessageContent,
  type EvolutionUpdate,
  type EvolutionUpsert,
  updateDataSchema,
  upsertDataSchema,
  webhookEnvelopeSchema,
} from "./schema.js";

/**
 * The events configureWebhook subscribes to (channels-next.md 4 "Webhooks"); the envelope names
 * them dotted. Not MESSAGES_EDITED: it forwards the raw protocolMessage (revokes too), whose key
 * is written from the sender's side and whose Long timestamps serialise as objects [U], so a
 * client's edit cannot be tied to its chat reliably; QRCODE_UPDATED: qr() is polled instead.
 */
export const WEBHOOK_EVENTS = ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE"] as const;

/** renderStatus.ts; older builds send the Baileys enum number (index into this list). */
const STATUS_NAMES = ["ERROR", "PENDING", "SERVER_ACK", "DELIVERY_ACK", "READ", "PLAYED"];
const DELIVERY: Record<string, DeliveryStatus> = {
  SERVER_ACK: "sent",
  DELIVERY_ACK: "delivered",
  READ: "read",
  // a voice note or video listened to / watched: it was read
  PLAYED: "read",
  ERROR: "failed",
};

/** Baileys DisconnectReason.forbidden: WhatsApp refuses the number (a ban) [U: Evolution does not name it]. */
const FORBIDDEN = 403;

/**
 * `connection.update` states (channels-next.md 4 "Channel = instance"): `close` needs a new login,
 * `refused` is Evolution's "QR code limit reached"; both mean: show the QR again.
 */
export function channelStateOf(state: string | undefined, statusReason?: number | null): ChannelState {
  switch (state) {
    case "open":
      return "connected";
    case "connecting":
      return "connecting";
    case "close":
      return statusReason === FORBIDDEN ? "banned" : "qr_required";
    case "refused":
      return "qr_required";
    default:
      return "unknown";
  }
}

function checked<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new WebhookPayloadError(`Evolution API ${what} is malformed: ${issues.slice(0, 300)}`);
  }
  return result.data;
}

/**
 * Parses one Evolution webhook (one event per request, `webhookByEvents:false`). Nothing signs
 * the body (channels-next.md 4 "Authenticity"): the secret in our hook URL is the proof, as for
 * Wappi, and the envelope's `instance` must be this channel's, so one server's instances cannot
 * post into each other's channels.
 */
export async function parseEvolutionWebhook(req: WebhookRequest, ctx: Ctx): Promise<ProviderEvent[]> {
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookPayloadError("Evolution API webhook body is not JSON");
  }
  const envelope = checked(webhookEnvelopeSchema, json, "webhook");
  if (envelope.instance !== ctx.credentials.instanceName) {
    throw new ProviderPermanentError("invalid_credentials", "Evolution API webhook is for another instance than this channel's");
  }
  const prefix = `evolution:${ctx.credentials.instanceName}`;
  // date_time is the server's local time written with a "Z" (channel.service.ts sendDataWebhook):
  // exact on the usual UTC containers, shifted by the zone elsewhere; it only dates statuses and states
  const at = (): Date => {
    const parsed = envelope.date_time ? Date.parse(envelope.date_time) : Number.NaN;
    return Number.isNaN(parsed) ? ctx.clock.now() : new Date(parsed);
  };
  switch (envelope.event) {
    case "messages.upsert": {
      const event = messageEvent(checked(upsertDataSchema, envelope.data, envelope.event), prefix);
      if (!event) ctx.logger.debug("evolution: message type not bridged", { channelId: ctx.channelId });
      return event ? [event] : [];
    }
    case "messages.update": {
      const event = statusEvent(checked(updateDataSchema, envelope.data, envelope.event), prefix, at());
      return event ? [event] : [];
    }
    case "connection.update": {
      const data = checked(connectionDataSchema, envelope.data, envelope.event);
      // a redelivery repeats the envelope verbatim: its date_time (or a hash of it) keeps the id stable
      const moment = envelope.date_time ?? (await hashToken(req.body)).slice(0, 32);
      return [
        {
          type: "channel_state",
          eventId: `${prefix}:state:${moment}:${data.state}`,
          state: channelStateOf(data.state, data.statusReason),
          detail: data.statusReason != null ? `${data.state} (${data.statusReason})` : data.state,
          at: at(),
        },
      ];
    }
    default:
      // send.message echoes our own sends; other events are not subscribed to
      return [];
  }
}

/** `79001234567@s.whatsapp.net` -> its digits; anything else (`@lid`, `@g.us`) -> undefined. */
function phoneOfJid(jid: string | null | undefined): string | undefined {
  return /^(\d{6,15})(:\d+)?@(s\.whatsapp\.net|c\.us)$/.exec(jid ?? "")?.[1];
}

/**
 * The chat's peer: a phone JID is a phone; a hidden-number (`@lid`) chat is resolved through
 * `remoteJidAlt` (or 2.3.0's `senderPn`) when the server gives it (channels-next.md 4 "LID
 * addressing"), else kept as a chat id, as groups are.
 */
function peerOf(data: EvolutionUpsert): Peer {
  const { key } = data;
  const phone = phoneOfJid(key.remoteJid) ?? (key.remoteJid.endsWith("@lid") ? (phoneOfJid(key.remoteJidAlt) ?? phoneOfJid(key.senderPn)) : undefined);
  // on the owner's own messages pushName is the owner ("Você" when unknown), not the client
  // in a group pushName is the member who wrote, not the chat
  const name = !key.fromMe && !key.remoteJid.endsWith("@g.us") && data.pushName ? data.pushName : undefined;
  return { ...(phone ? { phone } : { chatId: key.remoteJid }), ...(name ? { name } : {}) };
}

/** Phones of a shared contact: the WhatsApp id (`waid=`) when present, else the TEL value's digits. */
function vcardPhones(vcard: string): string[] {
  const phones: string[] = [];
  for (const line of vcard.split(/\r?\n/)) {
    if (!/^(item\d+\.)?TEL/i.test(line)) continue;
    const digits = /waid=(\d+)/i.exec(line)?.[1] ?? line.slice(line.lastIndexOf(":") + 1).replace(/\D/g, "");
    if (digits) phones.push(digits);
  }
  return phones;
}

const MEDIA_KINDS = ["imageMessage", "videoMessage", "ptvMessage", "audioMessage", "documentMessage", "stickerMessage"] as const;

/**
 * The message's file. The `url` inside a Baileys message is the encrypted WhatsApp CDN copy
 * (unusable); with S3 storage on, Evolution adds `mediaUrl`, a plain link. Otherwise the file is
 * a `media:<key.id>` reference that resolveMedia downloads through getBase64FromMediaMessage.
 */
function fileOf(content: EvolutionMessageContent, keyId: string): { file: IncomingFile; caption?: string } | undefined {
  for (const kind of MEDIA_KINDS) {
    const media = content[kind];
    if (!media) continue;
    const file: IncomingFile = { url: content.mediaUrl || `media:${keyId}` };
    const name = media.fileName || media.title;
    if (name) file.name = name;
    if (media.mimetype) file.mime = media.mimetype;
    return { file, ...(media.caption ? { caption: media.caption } : {}) };
  }
  return undefined;
}

function messageEvent(data: EvolutionUpsert, prefix: string): ProviderEvent | null {
  const { key } = data;
  // status updates of contacts (stories) are not chats
  if (key.remoteJid === "status@broadcast" || !data.message) return null;
  const content = data.message;
  const base = {
    type: "incoming" as const,
    // key.id is the WhatsApp message id: Evolution's own 30-minute repeat filter does not cover webhook retries
    eventId: `${prefix}:message:${key.id}`,
    providerMessageId: key.id,
    peer: peerOf(data),
    at: new Date(data.messageTimestamp * 1000),
    // fromMe in messages.upsert is typed on the phone: our API sends are not emitted here (emitOwnEvents: false)
    ...(key.fromMe ? { fromOwner: true } : {}),
  };
  // v2.3.x moves extendedTextMessage.text into conversation; older builds keep it (channels-next.md 4)
  const quotedMessage = data.contextInfo?.quotedMessage;
  const quoted = quotedMessage?.conversation || quotedMessage?.extendedTextMessage?.text;
  const text = withQuote(content.conversation || content.extendedTextMessage?.text || undefined, quoted);
  const media = fileOf(content, key.id);
  if (media) {
    const caption = withQuote(media.caption, quoted);
    return { ...base, ...(caption ? { text: caption } : {}), files: [media.file] };
  }
  if (text !== undefined) return { ...base, text, files: [] };
  const reaction = reactionText(content.reactionMessage?.text);
  // a reaction the owner made on the phone is not the client's: skipped
  if (reaction) return key.fromMe ? null : { ...base, text: reaction, files: [] };
  const location = content.locationMessage ?? content.liveLocationMessage;
  if (location) {
    const named = content.locationMessage;
    return {
      ...base,
      files: [],
      location: {
        latitude: location.degreesLatitude,
        longitude: location.degreesLongitude,
        ...(named?.name ? { name: named.name } : {}),
        ...(named?.address ? { address: named.address } : {}),
      },
    };
  }
  const cards = content.contactMessage ? [content.contactMessage] : (content.contactsArrayMessage?.contacts ?? []);
  const [first, ...others] = cards;
  if (first) {
    // one contact per event: the others of a shared list follow as text so none is lost
    const rest = others.map((card) => `${card.displayName ?? ""}: ${vcardPhones(card.vcard).join(", ")}`.trim()).join("\n");
    return {
      ...base,
      files: [],
      contact: { name: first.displayName ?? "", phones: vcardPhones(first.vcard) },
      ...(rest ? { text: rest } : {}),
    };
  }
  // pollCreationMessage, protocolMessage, a reaction taken back…: the normalised events have no place for them
  return null;
}

function statusName(value: string | number | null | undefined): string | undefined {
  if (typeof value === "number") return STATUS_NAMES[value];
  return value ?? undefined;
}

function statusEvent(data: EvolutionUpdate, prefix: string, at: Date): ProviderEvent | null {
  const keyId = data.keyId ?? data.key?.id;
  const fromMe = data.fromMe ?? data.key?.fromMe;
  // receipts of the client's messages (our phone read them) are not statuses of ours
  if (!keyId || fromMe !== true) return null;
  const name = statusName(data.status ?? data.update?.status);
  const status = name ? DELIVERY[name] : undefined;
  // PENDING is our own send being queued; DELETED is a revoke, not a receipt
  if (!name || !status) return null;
  return {
    type: "status",
    eventId: `${prefix}:status:${keyId}:${name}`,
    providerMessageId: keyId,
    status,
    ...(status === "failed" ? { reason: name } : {}),
    at,
  };
}
