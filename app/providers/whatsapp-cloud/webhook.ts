import type { z } from "zod";
import { bytesToHex, utf8 } from "../../core/encoding.js";
import { timingSafeEqual } from "../../core/tokens.js";
import {
  type DeliveryStatus,
  type Peer,
  type ProviderEvent,
  ProviderPermanentError,
  type WebhookRequest,
  WebhookPayloadError,
} from "../types.js";
import type { Ctx } from "./client.js";
import { failureOf } from "./errors.js";
import { incomingEvent } from "./inbound.js";
import { envelopeSchema, type MessagesValue, messagesValueSchema, routingSchema, type StatusUpdate } from "./schema.js";

/** The purpose under which ProviderContext.channelSecret derives our `hub.verify_token`. */
export const VERIFY_TOKEN_PURPOSE = "whatsapp-verify-token";

/** hex HMAC-SHA256 through WebCrypto, so it runs on Workers as on Node */
async function hmacSha256Hex(key: string, message: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", utf8.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8.encode(message))));
}

/**
 * `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(app secret, raw body) (channels-next.md 2).
 * The body is the text exactly as received: Meta escapes non-ASCII and "/" as \uXXXX and \/, so a
 * re-serialized JSON hashes differently (channels-next.md 6: tawn33y/whatsapp-cloud-api#60).
 * Our body string is the UTF-8 decoding of the bytes; encoding it back gives the same bytes for
 * any valid UTF-8, and a body that is not valid UTF-8 fails the check (never wrongly passes).
 */
async function verifySignature(req: WebhookRequest, ctx: Ctx): Promise<void> {
  const given = req.headers.get("x-hub-signature-256")?.trim() ?? "";
  const hex = /^sha256=([0-9a-fA-F]{64})$/.exec(given)?.[1]?.toLowerCase();
  const expected = await hmacSha256Hex(ctx.credentials.appSecret, req.body);
  // computed even without a header, so a missing and a wrong signature take the same time
  if (!hex || !timingSafeEqual(hex, expected)) {
    throw new ProviderPermanentError("invalid_credentials", "X-Hub-Signature-256 is missing or does not match the app secret");
  }
}

/**
 * The GET handshake Meta makes when a callback URL is set (channels-next.md 2): no signature on
 * it (pitfall elizaOS/eliza#17823), only our verify token, then the raw challenge echoed back.
 */
export async function verifyHandshake(req: WebhookRequest, ctx: Ctx): Promise<{ status: number; body: string }> {
  const mode = req.query.get("hub.mode");
  const token = req.query.get("hub.verify_token") ?? "";
  const expected = await ctx.channelSecret(VERIFY_TOKEN_PURPOSE);
  const tokenOk = timingSafeEqual(token, expected);
  if (mode === "subscribe" && tokenOk) return { status: 200, body: req.query.get("hub.challenge") ?? "" };
  return { status: 403, body: "verify token does not match" };
}

function checked<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new WebhookPayloadError(`WhatsApp Cloud ${what} is malformed: ${issues}`.slice(0, 1000));
  }
  return result.data;
}

/** Status names Meta sends; others ("deleted", "warning"…) have no counterpart and are skipped. */
const STATUSES = new Set<DeliveryStatus>(["sent", "delivered", "read", "failed"]);

function statusEvent(update: StatusUpdate): ProviderEvent | null {
  if (!STATUSES.has(update.status as DeliveryStatus)) return null;
  const status = update.status as DeliveryStatus;
  const failure = status === "failed" ? failureOf(update.errors) : {};
  return {
    type: "status",
    // statuses of one message arrive once per state, possibly out of order (channels-next.md 2)
    eventId: `${update.id}:${status}`,
    providerMessageId: update.id,
    status,
    ...(failure.reason !== undefined ? { reason: failure.reason } : {}),
    ...(failure.code !== undefined ? { code: failure.code } : {}),
    at: update.timestamp,
  };
}

function peerOf(value: MessagesValue, from: string): Peer {
  const name = value.contacts?.find((c) => c.wa_id === from)?.profile?.name;
  const phone = from.replace(/\D/g, "");
  // `from` is the wa_id, digits with the country code; anything else is kept as a chat id
  return { ...(phone === from ? { phone } : { chatId: from }), ...(name ? { name } : {}) };
}

function valueEvents(value: MessagesValue, ctx: Ctx): ProviderEvent[] {
  const events: ProviderEvent[] = [];
  for (const message of value.messages ?? []) {
    const event = incomingEvent(message, peerOf(value, message.from));
    if (event) events.push(event);
  }
  for (const update of value.statuses ?? []) {
    const event = statusEvent(update);
    if (event) events.push(event);
    else ctx.logger.debug("whatsapp-cloud: status not bridged", { channelId: ctx.channelId, status: update.status });
  }
  // value.errors[] is not tied to any message (webhook errors reference): nothing to update in
  // the CRM, so it is only logged for the admin (codes only, no payload)
  if (value.errors?.length) {
    ctx.logger.warn("whatsapp-cloud: webhook reported errors", { channelId: ctx.channelId, codes: value.errors.map((e) => e.code) });
  }
  return events;
}

/**
 * One POST may batch several entries, changes and messages (channels-next.md 2): every one is
 * returned. Changes for other phone numbers are skipped: one app callback can serve several
 * numbers, and each channel takes only its own.
 */
export async function parseCloudWebhook(req: WebhookRequest, ctx: Ctx): Promise<ProviderEvent[]> {
  let json: unknown;
  // Syntax first, on purpose: a body that is not even JSON can only be a misdirected or forged
  // request (past the path secret), and it is quarantined as a payload error. Nothing of it is
  // read before the signature below is checked over the raw bytes.
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookPayloadError("WhatsApp Cloud webhook body is not JSON");
  }
  await verifySignature(req, ctx);
  const envelope = checked(envelopeSchema, json, "webhook");
  const events: ProviderEvent[] = [];
  for (const entry of envelope.entry) {
    for (const change of entry.changes) {
      // other fields (message_template_status_update, account_update…) carry no chat events
      if (change.field !== "messages") continue;
      // another number's change is skipped before it is checked: its oddities are not ours to quarantine
      const routed = routingSchema.safeParse(change.value);
      if (routed.success && routed.data.metadata.phone_number_id !== ctx.credentials.phoneNumberId) continue;
      const value = checked(messagesValueSchema, change.value, `messages change of entry ${entry.id}`);
      events.push(...valueEvents(value, ctx));
    }
  }
  return events;
}
