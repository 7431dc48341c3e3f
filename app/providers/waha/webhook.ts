import type { z } from "zod";
import { bytesToHex, utf8 } from "../../core/encoding.js";
import { timingSafeEqual } from "../../core/tokens.js";
import { type DeliveryStatus, type ProviderEvent, ProviderPermanentError, type WebhookRequest, WebhookPayloadError } from "../types.js";
import type { Ctx } from "./client.js";
import { messageEvent, reactionEvent } from "./inbound.js";
import { ackPayloadSchema, envelopeSchema, messagePayloadSchema, reactionPayloadSchema, sessionStatusPayloadSchema } from "./schema.js";
import { channelStateOf, HMAC_PURPOSE } from "./session.js";

/** hex HMAC-SHA512 through WebCrypto, so it runs on Workers as on Node */
export async function hmacSha512Hex(key: string, message: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", utf8.encode(key), { name: "HMAC", hash: "SHA-512" }, false, ["sign"]);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8.encode(message))));
}

/**
 * `X-Webhook-Hmac` = hex HMAC-SHA512 of the raw body under the key we set (configureWebhook),
 * `X-Webhook-Hmac-Algorithm: sha512` (channels-next.md 3 "Webhooks and HMAC"). The body is
 * hashed exactly as received; a missing header, another algorithm or another value is refused.
 */
async function verifyHmac(req: WebhookRequest, ctx: Ctx): Promise<void> {
  const given = req.headers.get("x-webhook-hmac")?.trim().toLowerCase() ?? "";
  const algorithm = req.headers.get("x-webhook-hmac-algorithm")?.trim().toLowerCase();
  // computed even when the header is missing, so a missing and a wrong one take the same time
  const expected = await hmacSha512Hex(await ctx.channelSecret(HMAC_PURPOSE), req.body);
  const ok = timingSafeEqual(given, expected);
  if (!ok || given === "" || (algorithm !== undefined && algorithm !== "sha512")) {
    throw new ProviderPermanentError("invalid_credentials", "X-Webhook-Hmac is missing or does not match the channel's HMAC key");
  }
}

function checked<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new WebhookPayloadError(`WAHA ${what} is malformed: ${issues}`.slice(0, 1000));
  }
  return result.data;
}

/** `ack` levels (channels-next.md 3 "Statuses"): 0 PENDING says nothing new */
const ACK: Record<number, DeliveryStatus> = { [-1]: "failed", 1: "sent", 2: "delivered", 3: "read", 4: "read" };

/**
 * One WAHA event (one per request) into zero or one normalised event. Dedup keys follow the
 * sheet: the message id for messages (the same for `message` and `message.any`, so a server
 * that sends both does not bridge one message twice), message id + level for acks, the
 * envelope id for session states.
 */
export async function parseWahaWebhook(req: WebhookRequest, ctx: Ctx): Promise<ProviderEvent[]> {
  let json: unknown;
  // syntax first, as for the Cloud API: nothing of the body is read before the HMAC check below
  try {
    json = JSON.parse(req.body);
  } catch {
    throw new WebhookPayloadError("WAHA webhook body is not JSON");
  }
  await verifyHmac(req, ctx);
  const envelope = checked(envelopeSchema, json, "webhook");
  if (envelope.session !== ctx.credentials.session) {
    throw new ProviderPermanentError("invalid_credentials", `WAHA webhook is for session ${envelope.session}, not this channel's`);
  }
  const prefix = `waha:${envelope.session}`;
  const at = envelope.timestamp !== undefined ? new Date(envelope.timestamp) : ctx.clock.now();
  switch (envelope.event) {
    case "message":
    case "message.any": {
      const event = messageEvent(checked(messagePayloadSchema, envelope.payload, envelope.event), prefix, ctx);
      return event ? [event] : [];
    }
    case "message.reaction": {
      const event = reactionEvent(checked(reactionPayloadSchema, envelope.payload, envelope.event), prefix);
      return event ? [event] : [];
    }
    case "message.ack": {
      const ack = checked(ackPayloadSchema, envelope.payload, envelope.event);
      const status = ACK[ack.ack];
      // acks of the client's own messages (fromMe false) say the owner read them: nothing to update
      if (!ack.fromMe || !status) return [];
      return [
        {
          type: "status",
          eventId: `${prefix}:ack:${ack.id}:${ack.ack}`,
          providerMessageId: ack.id,
          status,
          ...(status === "failed" ? { reason: `WAHA ack ${ack.ackName ?? "ERROR"}` } : {}),
          at,
        },
      ];
    }
    case "session.status": {
      const { status } = checked(sessionStatusPayloadSchema, envelope.payload, envelope.event);
      return [
        {
          type: "channel_state",
          eventId: `${prefix}:state:${envelope.id ?? envelope.timestamp ?? "-"}:${status}`,
          state: channelStateOf(status),
          detail: status,
          at,
        },
      ];
    }
    default:
      // message.revoked, message.edited, presence, groups…: not subscribed, nothing the CRM shows
      return [];
  }
}
