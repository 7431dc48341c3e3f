import { fileNameOf } from "../file-names.js";
import type { IncomingFile, Peer, ProviderEvent } from "../types.js";
import { apiKeyHeaders, type Ctx } from "./client.js";
import { reactionText, withQuote } from "../quote.js";
import type { WahaMessagePayload, WahaReactionPayload } from "./schema.js";

type Incoming = Extract<ProviderEvent, { type: "incoming" }>;

/** Chats that are not a conversation with a client: status updates and channels. */
const NOT_A_CHAT = /(@broadcast|@newsletter)$/;

/** `79001234567@c.us` is a phone; groups (`@g.us`) and hidden numbers (`@lid`) stay chat ids. */
function peerOf(chatId: string, name: string | undefined): Peer {
  const personal = /^(\d+)@c\.us$/.exec(chatId);
  return { ...(personal ? { phone: personal[1] } : { chatId }), ...(name ? { name } : {}) };
}

/** The sender's WhatsApp name lives in the engine's raw `_data`: WEBJS `notifyName`, NOWEB/GOWS `pushName` [U: engine-specific]. */
function senderName(payload: WahaMessagePayload): string | undefined {
  const data = payload._data;
  if (typeof data !== "object" || data === null) return undefined;
  const record = data as Record<string, unknown>;
  const name = record.notifyName ?? record.pushName;
  return typeof name === "string" && name.trim() !== "" ? name.trim() : undefined;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "0.0.0.0"]);

/**
 * Where a media file is downloaded from. WAHA builds `media.url` from WAHA_BASE_URL, which
 * is `localhost` when the admin did not set it (channels-next.md 3 "Media download"): such a
 * `/api/files/…` link is taken from the channel's own server URL instead.
 */
export function mediaDownloadUrl(ctx: Ctx, raw: string): string {
  try {
    const url = new URL(raw);
    if (LOCAL_HOSTS.has(url.hostname) && url.pathname.startsWith("/api/files/")) {
      return `${ctx.credentials.apiUrl}${url.pathname}${url.search}`;
    }
    return url.toString();
  } catch {
    return raw;
  }
}

/** The key goes only to the channel's own WAHA server: S3 or other hosts get the link as it is. */
export function isOwnServer(ctx: Ctx, url: string): boolean {
  try {
    return new URL(url).origin === new URL(ctx.credentials.apiUrl).origin;
  } catch {
    return false;
  }
}

function mediaFile(payload: WahaMessagePayload, ctx: Ctx): IncomingFile | undefined {
  const raw = payload.media?.url;
  if (!raw) return undefined;
  const url = mediaDownloadUrl(ctx, raw);
  return {
    url,
    name: payload.media?.filename || fileNameOf({ url }),
    ...(payload.media?.mimetype ? { mime: payload.media.mimetype.split(";")[0]!.trim() } : {}),
    // files live 180 s on the server by default: the re-hosting job fetches them with the key at once
    ...(isOwnServer(ctx, url) ? { headers: apiKeyHeaders(ctx) } : {}),
  };
}

/** A shared vCard: FN and the phones (`waid=` when present, else the TEL value's digits). */
export function contactOf(vcard: string): { name: string; phones: string[] } {
  let name = "";
  const phones: string[] = [];
  for (const line of vcard.split(/\r?\n/)) {
    if (/^FN[:;]/i.test(line)) name = line.slice(line.indexOf(":") + 1).trim();
    if (!/^(item\d+\.)?TEL/i.test(line)) continue;
    const digits = /waid=(\d+)/i.exec(line)?.[1] ?? line.slice(line.lastIndexOf(":") + 1).replace(/\D/g, "");
    if (digits) phones.push(digits);
  }
  return { name: name || phones[0] || "contact", phones };
}

/**
 * A `message` / `message.any` payload as an incoming event, or null when it is not ours to
 * bridge. The owner's own messages: typed on the phone (`source: app`) are mirrored as
 * `fromOwner`, like Green-API's outgoingMessageReceived; our API sends (`source: api`) and
 * those without a source are echoes of what the CRM already shows, skipped like Green-API's
 * outgoingAPIMessageReceived. A reply shows the words it quotes (`replyTo.body`) in front of its
 * text (quote.ts); the quoted message's id is not ours to map to a CRM message.
 */
export function messageEvent(payload: WahaMessagePayload, prefix: string, ctx: Ctx): Incoming | null {
  const fromOwner = payload.fromMe;
  if (fromOwner && payload.source !== "app") return null;
  const chatId = fromOwner ? payload.to : payload.from;
  if (!chatId || NOT_A_CHAT.test(chatId)) return null;
  const base: Incoming = {
    type: "incoming",
    eventId: `${prefix}:${payload.id}`,
    providerMessageId: payload.id,
    // in a group the sender's name is one member's, not the chat's: the group stays unnamed
    peer: peerOf(chatId, fromOwner || chatId.endsWith("@g.us") ? undefined : senderName(payload)),
    files: [],
    at: new Date(payload.timestamp * 1000),
    ...(fromOwner ? { fromOwner: true } : {}),
  };
  const body = withQuote(payload.body?.trim() ? payload.body : undefined, payload.replyTo?.body);
  if (payload.location) {
    const loc = payload.location;
    const name = loc.name ?? loc.description ?? undefined;
    return {
      ...base,
      location: { latitude: loc.latitude, longitude: loc.longitude, ...(name ? { name } : {}), ...(loc.address ? { address: loc.address } : {}) },
    };
  }
  if (payload.vCards?.length) {
    const [first, ...more] = payload.vCards.map(contactOf);
    const rest = more.map((c) => `${c.name}: ${c.phones.join(", ")}`).join("\n");
    return { ...base, contact: first!, ...(rest ? { text: rest } : {}) };
  }
  if (payload.hasMedia) {
    const file = mediaFile(payload, ctx);
    if (file) return { ...base, files: [file], ...(body !== undefined ? { text: body } : {}) };
    // hasMedia with media null: the server is set not to download media (or failed to)
    ctx.logger.warn("waha: a media message came without its file", { channelId: ctx.channelId });
    return { ...base, text: [body, "[a file the WAHA server did not download]"].filter(Boolean).join("\n") };
  }
  // an empty body without media (a poll, a deleted message…) has nothing to show
  return body !== undefined ? { ...base, text: body } : null;
}

/** `message.reaction`: shown as a line of text; an empty one takes a reaction back, which a CRM note cannot undo. */
export function reactionEvent(payload: WahaReactionPayload, prefix: string): Incoming | null {
  const text = reactionText(payload.reaction.text);
  if (payload.fromMe || !text || NOT_A_CHAT.test(payload.from)) return null;
  return {
    type: "incoming",
    eventId: `${prefix}:${payload.id}`,
    providerMessageId: payload.id,
    peer: peerOf(payload.from, undefined),
    text,
    files: [],
    at: new Date(payload.timestamp * 1000),
  };
}
