import type { z } from "zod";
import { hashToken } from "../../core/tokens.js";
import {
  type ChannelState,
  type DeliveryStatus,
  type IncomingFile,
  type Peer,
  type ProviderContext,
  type ProviderEvent,
  ProviderPermanentError,
  type WebhookRequest,
  WebhookPayloadError,
} from "../types.js";
import {
  anyItemSchema,
  authorizationItemSchema,
  deliveryItemSchema,
  messageItemSchema,
  type WappiAuthorizationItem,
  type WappiCredentials,
  type WappiDeliveryItem,
  type WappiMessageItem,
  webhookEnvelopeSchema,
} from "./schema.js";

/** Media `type` values whose file comes as `file_link` (section 2, "Webhooks"); `body` is not text for them. */
const MEDIA_TYPES = new Set(["image", "video", "document", "audio", "ptt", "sticker"]);

/** Delivery words: delivered/read per section 2; `sent` and `undelivered` are the sheet's [U] guesses (section 8). */
const DELIVERY_STATUS: Record<string, DeliveryStatus> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  undelivered: "failed",
  failed: "failed",
};

/**
 * Parses one Wappi webhook body into events. One body may carry several items (`messages` array,
 * or a single object for some `delivery_status` deliveries, section 2); each becomes an event.
 * Types we do not bridge (`outgoing_message_api` echoes of our own sends, `incoming_call`,
 * `application_status`) are skipped.
 */
export async function parseWappiWebhook(req: WebhookRequest, ctx: ProviderContext<WappiCredentials>): Promise<ProviderEvent[]> {
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookPayloadError("Wappi webhook body is not JSON");
  }
  const envelope = webhookEnvelopeSchema.safeParse(json);
  if (!envelope.success) throw new WebhookPayloadError("Wappi webhook has no `messages`");
  const items = Array.isArray(envelope.data.messages) ? envelope.data.messages : [envelope.data.messages];

  const events: ProviderEvent[] = [];
  for (const raw of items) {
    const base = anyItemSchema.safeParse(raw);
    if (!base.success) throw new WebhookPayloadError("Wappi webhook item has no `wh_type`");
    // Wappi signs nothing (section 2): the secret URL authenticates, the profile id must match the channel.
    if (base.data.profile_id !== undefined && base.data.profile_id !== ctx.credentials.profileId) {
      throw new ProviderPermanentError("invalid_credentials", "Wappi webhook is for another profile_id than this channel's");
    }
    const wh = base.data.wh_type;
    if (wh === "incoming_message" || wh === "outgoing_message_phone") {
      events.push(messageEvent(checked(messageItemSchema, raw, wh), ctx));
    } else if (wh === "delivery_status") {
      const event = deliveryEvent(checked(deliveryItemSchema, raw, wh), ctx);
      if (event) events.push(event);
      else ctx.logger.warn("wappi: unknown delivery status skipped", { channelId: ctx.channelId, item: raw });
    } else if (wh === "authorization_status") {
      events.push(await authorizationEvent(checked(authorizationItemSchema, raw, wh), raw, ctx));
    }
  }
  return events;
}

function checked<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new WebhookPayloadError(`Wappi ${what} item is malformed: ${issues}`);
  }
  return result.data;
}

function eventTime(item: { time?: number; timestamp?: string }, ctx: ProviderContext<WappiCredentials>): Date {
  if (item.time !== undefined) return new Date(item.time * 1000);
  const parsed = item.timestamp ? Date.parse(item.timestamp) : Number.NaN;
  return Number.isNaN(parsed) ? ctx.clock.now() : new Date(parsed);
}

function digitsOrUndefined(value: string | null | undefined): string | undefined {
  const digits = value?.replace(/\D/g, "");
  return digits && digits.length >= 10 && digits.length <= 15 ? digits : undefined;
}

/**
 * WhatsApp chats are JIDs: `79001234567@c.us` (or `@s.whatsapp.net`) is a phone; groups (`@g.us`) and
 * hidden-number contacts (`@lid`) stay chat ids. Telegram chats are numeric ids; the phone, when
 * the contact shares one, comes in `contact_phone` (section 2).
 */
function peerOf(item: WappiMessageItem, messenger: WappiCredentials["messenger"]): Peer {
  const fromOwner = item.wh_type === "outgoing_message_phone";
  const chat = item.chatId ?? (fromOwner ? item.to : item.from);
  const name = (fromOwner ? item.contact_name : (item.senderName ?? item.contact_name)) ?? undefined;
  const peer: Peer = {};
  if (messenger === "telegram") {
    if (chat !== undefined) peer.chatId = chat;
    const phone = digitsOrUndefined(item.contact_phone);
    if (phone) peer.phone = phone;
  } else {
    const jid = /^(\d+)@(c\.us|s\.whatsapp\.net)$/.exec(chat ?? "");
    if (jid) peer.phone = jid[1];
    else if (chat !== undefined) peer.chatId = chat;
  }
  if (name) peer.name = name;
  return peer;
}

function messageEvent(item: WappiMessageItem, ctx: ProviderContext<WappiCredentials>): ProviderEvent {
  // `chatId` is absent from the seed's own example (the chat is then `from`, or `to` for the
  // owner's messages); a message naming no chat at all cannot be put in any conversation
  const peer = peerOf(item, ctx.credentials.messenger);
  if (peer.phone === undefined && peer.chatId === undefined) {
    throw new WebhookPayloadError(`Wappi ${item.wh_type} item names no chat (chatId, from or to)`);
  }
  const media = MEDIA_TYPES.has(item.type);
  const files: IncomingFile[] = [];
  if (media && item.file_link) {
    const file: IncomingFile = { url: item.file_link };
    if (item.file_name) file.name = item.file_name;
    if (item.mimetype) file.mime = item.mimetype;
    files.push(file);
  }
  // Media bodies may hold base64 in some setups (section 2 [U]); only captions are text for media.
  const text = (media ? item.caption : item.body) || undefined;
  return {
    type: "incoming",
    eventId: `wappi:${ctx.credentials.profileId}:${item.wh_type}:${item.id}`,
    providerMessageId: item.id,
    peer,
    ...(text !== undefined ? { text } : {}),
    files,
    at: eventTime(item, ctx),
    ...(item.wh_type === "outgoing_message_phone" ? { fromOwner: true } : {}),
  };
}

function deliveryEvent(item: WappiDeliveryItem, ctx: ProviderContext<WappiCredentials>): ProviderEvent | null {
  const word = item.status.toLowerCase();
  const status = DELIVERY_STATUS[word];
  if (!status) return null;
  return {
    type: "status",
    eventId: `wappi:${ctx.credentials.profileId}:delivery_status:${item.id}:${word}`,
    providerMessageId: item.id,
    status,
    ...(status === "failed" ? { reason: item.status } : {}),
    at: eventTime(item, ctx),
  };
}

/** authorization_status [U]: `authorized` mirrors get/status; a bare `status` word is the fallback reading. */
function authorizationState(item: WappiAuthorizationItem): ChannelState {
  if (item.authorized !== undefined) return item.authorized ? "connected" : "qr_required";
  const word = item.status?.toLowerCase();
  if (word === "authorized" || word === "online") return "connected";
  if (word === "unauthorized" || word === "not_authorized" || word === "logout" || word === "offline") return "qr_required";
  return "unknown";
}

async function authorizationEvent(
  item: WappiAuthorizationItem,
  raw: unknown,
  ctx: ProviderContext<WappiCredentials>,
): Promise<ProviderEvent> {
  const state = authorizationState(item);
  // A redelivery repeats the item verbatim: its time, or a hash of it, keeps the id stable.
  const moment = item.time ?? item.timestamp ?? (await hashToken(JSON.stringify(raw))).slice(0, 32);
  return {
    type: "channel_state",
    eventId: `wappi:${ctx.credentials.profileId}:authorization_status:${moment}:${state}`,
    state,
    ...(item.status !== undefined ? { detail: item.status } : {}),
    at: eventTime(item, ctx),
  };
}
