import type { z } from "zod";
import { bytesToBase64Url, utf8 } from "../../core/encoding.js";
import { timingSafeEqual } from "../../core/tokens.js";
import {
  type ChannelState,
  type DeliveryStatus,
  type IncomingFile,
  type Peer,
  type ProviderContext,
  type ProviderEvent,
  ProviderPermanentError,
  providerIdEndingWith,
  type WebhookRequest,
  WebhookPayloadError,
} from "../types.js";
import {
  anyWebhookSchema,
  type GreenApiCredentials,
  type GreenApiMessageWebhook,
  type GreenApiStatusWebhook,
  messageWebhookSchema,
  stateWebhookSchema,
  statusWebhookSchema,
} from "./schema.js";

type Ctx = ProviderContext<GreenApiCredentials>;

const FILE_MESSAGES = new Set(["imageMessage", "videoMessage", "documentMessage", "audioMessage"]);

/** `stateInstance` values (section 1): yellowCard suspends sending, so it counts as banned until a reboot. */
export function channelStateOf(stateInstance: string): ChannelState {
  switch (stateInstance) {
    case "authorized":
      return "connected";
    case "notAuthorized":
      return "qr_required";
    case "blocked":
    case "yellowCard":
      return "banned";
    case "starting":
    case "sleepMode":
      return "connecting";
    default:
      return "unknown";
  }
}

/**
 * The webhookUrlToken configureWebhook sets when the credentials carry none: an HMAC of the
 * instance id under the API token, so it is stable without storage and unguessable without the token.
 */
export async function greenApiWebhookToken(credentials: GreenApiCredentials): Promise<string> {
  if (credentials.webhookUrlToken) return credentials.webhookUrlToken;
  const key = await crypto.subtle.importKey("raw", utf8.encode(credentials.apiTokenInstance), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, utf8.encode(`chatbridge:greenapi-webhook:${credentials.idInstance}`));
  return bytesToBase64Url(new Uint8Array(mac));
}

/**
 * Green-API sends `Authorization: <scheme> <webhookUrlToken>`; its own SDK compares the part after
 * the first space (section 1, "Webhook delivery, retries, authenticity"). No HMAC exists.
 */
async function verifyAuthorization(req: WebhookRequest, ctx: Ctx): Promise<void> {
  const header = req.headers.get("authorization") ?? "";
  const space = header.indexOf(" ");
  const presented = space === -1 ? header : header.slice(space + 1).trim();
  const expected = await greenApiWebhookToken(ctx.credentials);
  if (presented === "" || !timingSafeEqual(presented, expected)) {
    throw new ProviderPermanentError("invalid_credentials", "Green-API webhook Authorization does not match the channel's webhookUrlToken");
  }
}

function checked<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new WebhookPayloadError(`Green-API ${what} is malformed: ${issues}`);
  }
  return result.data;
}

/** Parses one Green-API notification (one per request) into zero or one event. */
export async function parseGreenApiWebhook(req: WebhookRequest, ctx: Ctx): Promise<ProviderEvent[]> {
  await verifyAuthorization(req, ctx);
  let json: unknown;
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookPayloadError("Green-API webhook body is not JSON");
  }
  const base = checked(anyWebhookSchema, json, "webhook");
  if (base.instanceData.idInstance !== ctx.credentials.idInstance) {
    throw new ProviderPermanentError("invalid_credentials", "Green-API webhook is for another idInstance than this channel's");
  }
  const prefix = `greenapi:${ctx.credentials.idInstance}`;
  switch (base.typeWebhook) {
    case "incomingMessageReceived":
    case "outgoingMessageReceived": {
      const event = messageEvent(checked(messageWebhookSchema, json, base.typeWebhook), prefix);
      if (!event) ctx.logger.debug("greenapi: message type not bridged", { channelId: ctx.channelId, typeWebhook: base.typeWebhook });
      return event ? [event] : [];
    }
    case "outgoingMessageStatus": {
      const event = statusEvent(checked(statusWebhookSchema, json, base.typeWebhook), prefix);
      if (!event) ctx.logger.warn("greenapi: unknown message status skipped", { channelId: ctx.channelId });
      return event ? [event] : [];
    }
    case "stateInstanceChanged": {
      const state = checked(stateWebhookSchema, json, base.typeWebhook);
      return [
        {
          type: "channel_state",
          eventId: `${prefix}:state:${state.timestamp}:${state.stateInstance}`,
          state: channelStateOf(state.stateInstance),
          detail: state.stateInstance,
          at: new Date(state.timestamp * 1000),
        },
      ];
    }
    default:
      // outgoingAPIMessageReceived echoes our own sends; incomingCall, deviceInfo, incomingBlock… are not bridged.
      return [];
  }
}

/** `79001234567@c.us` is a phone; groups (`@g.us`) and hidden numbers (`@lid`) stay chat ids (section 1). */
function peerOf(chatId: string, name: string | undefined): Peer {
  const personal = /^(\d+)@c\.us$/.exec(chatId);
  return { ...(personal ? { phone: personal[1] } : { chatId }), ...(name ? { name } : {}) };
}

/** Message ids are unique only within a chat, so ours are `chatId_idMessage` (section 1, "Chat id and message id"). */
export function greenApiMessageId(chatId: string, idMessage: string): string {
  return `${chatId}_${idMessage}`;
}

/** Phones of a shared contact: the WhatsApp id (`waid=`) when present, else the TEL value's digits. */
function vcardPhones(vcard: string): string[] {
  const phones: string[] = [];
  for (const line of vcard.split(/\r?\n/)) {
    if (!/^(item\d+\.)?TEL/i.test(line)) continue;
    const waid = /waid=(\d+)/i.exec(line)?.[1];
    const digits = waid ?? line.slice(line.lastIndexOf(":") + 1).replace(/\D/g, "");
    if (digits) phones.push(digits);
  }
  return phones;
}

function messageEvent(hook: GreenApiMessageWebhook, prefix: string): ProviderEvent | null {
  const { senderData, messageData } = hook;
  const fromOwner = hook.typeWebhook === "outgoingMessageReceived";
  // The peer is the chat: on the owner's own messages senderName is the owner, in groups it is one member.
  const chatNamed = fromOwner || senderData.chatId.endsWith("@g.us");
  const name = chatNamed ? senderData.chatName : senderData.senderName || senderData.chatName;
  const base = {
    type: "incoming" as const,
    eventId: `${prefix}:${hook.typeWebhook}:${senderData.chatId}:${hook.idMessage}`,
    providerMessageId: greenApiMessageId(senderData.chatId, hook.idMessage),
    peer: peerOf(senderData.chatId, name || undefined),
    at: new Date(hook.timestamp * 1000),
    ...(fromOwner ? { fromOwner: true } : {}),
  };
  const type = messageData.typeMessage;
  if (type === "textMessage" && messageData.textMessageData) {
    return { ...base, text: messageData.textMessageData.textMessage, files: [] };
  }
  if ((type === "extendedTextMessage" || type === "quotedMessage") && messageData.extendedTextMessageData) {
    return { ...base, text: messageData.extendedTextMessageData.text, files: [] };
  }
  if (FILE_MESSAGES.has(type) && messageData.fileMessageData) {
    const data = messageData.fileMessageData;
    const files: IncomingFile[] = [];
    if (data.downloadUrl) {
      const file: IncomingFile = { url: data.downloadUrl };
      if (data.fileName) file.name = data.fileName;
      if (data.mimeType) file.mime = data.mimeType;
      files.push(file);
    }
    return { ...base, ...(data.caption ? { text: data.caption } : {}), files };
  }
  if (type === "locationMessage" && messageData.locationMessageData) {
    const loc = messageData.locationMessageData;
    return {
      ...base,
      files: [],
      location: {
        latitude: loc.latitude,
        longitude: loc.longitude,
        ...(loc.nameLocation ? { name: loc.nameLocation } : {}),
        ...(loc.address ? { address: loc.address } : {}),
      },
    };
  }
  if (type === "contactMessage" && messageData.contactMessageData) {
    const contact = messageData.contactMessageData;
    return { ...base, files: [], contact: { name: contact.displayName, phones: vcardPhones(contact.vcard) } };
  }
  if (FILE_MESSAGES.has(type) || ["textMessage", "extendedTextMessage", "quotedMessage", "locationMessage", "contactMessage"].includes(type)) {
    throw new WebhookPayloadError(`Green-API ${type} without its ${type.replace("Message", "")} data`);
  }
  // reactionMessage, pollMessage, … have nothing a CRM chat can show
  return null;
}

const STATUS: Record<string, DeliveryStatus> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  failed: "failed",
  noAccount: "failed",
  notInGroup: "failed",
  yellowCard: "failed",
};

function statusEvent(hook: GreenApiStatusWebhook, prefix: string): ProviderEvent | null {
  const status = STATUS[hook.status];
  if (!status) return null;
  const reason = status === "failed" ? (hook.description ? `${hook.status}: ${hook.description}` : hook.status) : undefined;
  return {
    type: "status",
    eventId: `${prefix}:status:${hook.chatId ?? "*"}:${hook.idMessage}:${hook.status}`,
    // without chatId only idMessage is known: the message is the channel's one whose id ends `_<idMessage>`
    providerMessageId: hook.chatId ? greenApiMessageId(hook.chatId, hook.idMessage) : providerIdEndingWith(`_${hook.idMessage}`),
    status,
    ...(reason !== undefined ? { reason } : {}),
    // noAccount: the number has no WhatsApp, which CRMs show as such (amojo 904)
    ...(hook.status === "noAccount" ? { code: "no_messenger" as const } : {}),
    at: new Date(hook.timestamp * 1000),
  };
}
