import { type DeliveryStatus, type IncomingFile, type ProviderEvent, WebhookPayloadError } from "../types.js";
import { DEVINO_ERROR_CODES, describeDevinoErrorCode } from "./errors.js";
import {
  type DevinoContact,
  type DevinoIncoming,
  type DevinoStatusCallback,
  devinoIncoming,
  devinoStatusCallback,
} from "./schema.js";

/**
 * Status names: the seed shows only DELIVERED; the rest are the usual Devino/WABA names
 * (reference/providers.md 6b, 8) [U]. In-flight names give no event.
 */
const STATUS_NAMES: Record<string, DeliveryStatus | null> = {
  SENT: "sent",
  DELIVERED: "delivered",
  READ: "read",
  SEEN: "read",
  UNDELIVERED: "failed",
  FAILED: "failed",
  REJECTED: "failed",
  EXPIRED: "failed",
  ERROR: "failed",
  ENQUEUED: null,
  QUEUED: null,
  SCHEDULED: null,
  ACCEPTED: null,
};

/**
 * Devino sends ids as JSON longs (seed 002: `messageId long`, `incomingMessageId long`), and a
 * 19-digit id such as 3482512350952730368 loses its last digits in JSON.parse. The send answer
 * gives the same id as a string, so the numbers are quoted before parsing to keep them equal.
 */
export function parseDevinoJson(body: string): unknown {
  const quoted = body.replace(/("(?:messageId|incomingMessageId)"\s*:\s*)(-?\d+)/g, '$1"$2"');
  try {
    return JSON.parse(quoted);
  } catch {
    throw new WebhookPayloadError("Devino webhook body is not JSON");
  }
}

/** `ts` is milliseconds (seed 002); the examples' 0 is a placeholder, so it means "now". */
function eventTime(ts: number | string | null | undefined, now: Date): Date {
  const ms = Number(ts);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : now;
}

function statusEvent(cb: DevinoStatusCallback, now: Date): ProviderEvent[] {
  const name = cb.status.toUpperCase();
  if (!(name in STATUS_NAMES)) throw new WebhookPayloadError(`Devino status callback: unknown status "${cb.status}"`);
  const errorCode = cb.errorCode ?? 0;
  // a non-zero errorCode is a failure whatever the status says (reference 8)
  const status = errorCode !== 0 ? "failed" : STATUS_NAMES[name];
  if (!status) return [];
  return [
    {
      type: "status",
      eventId: `status:${cb.messageId}:${status}`,
      providerMessageId: cb.messageId,
      status,
      ...(errorCode !== 0 ? { reason: describeDevinoErrorCode(errorCode) } : status === "failed" ? { reason: name } : {}),
      ...(errorCode !== 0 && DEVINO_ERROR_CODES[errorCode] ? { code: DEVINO_ERROR_CODES[errorCode].code } : {}),
      at: eventTime(cb.ts, now),
    },
  ];
}

function contactSummary(contact: DevinoContact): { name: string; phones: string[] } {
  const n = contact.contactName?.[0];
  const name = n?.formattedName ?? [n?.firstName, n?.middleName, n?.lastName].filter(Boolean).join(" ");
  const phones = (contact.phones ?? [])
    .map((p) => (p.phone ?? p.waId ?? "").replace(/[^\d+]/g, "").replace(/^\+/, ""))
    .filter((p) => p !== "");
  return { name: name || phones[0] || "contact", phones };
}

function incomingEvent(msg: DevinoIncoming, apiHost: string, apiKey: string, now: Date): ProviderEvent[] {
  const files: IncomingFile[] = [];
  if (msg.contentUrl) {
    // media on Devino's own host needs the API key to download [U]; never send it to other hosts
    const own = (() => {
      try {
        return new URL(msg.contentUrl).host === apiHost;
      } catch {
        return false;
      }
    })();
    files.push({
      url: msg.contentUrl,
      ...(msg.contentName ? { name: msg.contentName } : {}),
      ...(msg.contentType ? { mime: msg.contentType } : {}),
      ...(own ? { headers: { authorization: `Key ${apiKey}` } } : {}),
    });
  }
  const geo = msg.whatsAppGeoLocation;
  const contacts = (msg.whatsAppContacts ?? []).map(contactSummary);
  const [firstContact, ...moreContacts] = contacts;
  // ProviderEvent carries one contact; further shared contacts are listed in the text
  const extraText = moreContacts.map((c) => `${c.name}: ${c.phones.join(", ")}`).join("\n");
  const text = [msg.text, extraText].filter(Boolean).join("\n");
  if (!text && files.length === 0 && !geo && !firstContact) {
    throw new WebhookPayloadError(`Devino incoming message ${msg.incomingMessageId} has no content`);
  }
  const phone = msg.from.replace(/\D/g, "");
  if (!phone) throw new WebhookPayloadError(`Devino incoming message ${msg.incomingMessageId}: sender "${msg.from}" is not a phone`);
  return [
    {
      type: "incoming",
      eventId: `in:${msg.incomingMessageId}`,
      providerMessageId: msg.incomingMessageId,
      peer: { phone, ...(msg.profileName ? { name: msg.profileName } : {}) },
      ...(text ? { text } : {}),
      files,
      ...(geo
        ? {
            location: {
              latitude: geo.latitude,
              longitude: geo.longitude,
              ...(geo.addressName ? { name: geo.addressName } : {}),
              ...(geo.address ? { address: geo.address } : {}),
            },
          }
        : {}),
      ...(firstContact ? { contact: firstContact } : {}),
      at: eventTime(msg.ts, now),
    },
  ];
}

/**
 * Devino posts status callbacks as an array and incoming messages as one object (seed 002);
 * both may reach the same receiver, so each item is recognised by its id field.
 */
export function parseDevinoHook(body: string, opts: { apiHost: string; apiKey: string; now: Date }): ProviderEvent[] {
  const json = parseDevinoJson(body);
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) throw new WebhookPayloadError("Devino webhook body is an empty array");
  return items.flatMap((item: unknown) => {
    if (item !== null && typeof item === "object" && "incomingMessageId" in item) {
      const parsed = devinoIncoming.safeParse(item);
      if (!parsed.success) throw new WebhookPayloadError(`Devino incoming message: ${parsed.error.issues[0]?.message ?? "invalid"}`);
      return incomingEvent(parsed.data, opts.apiHost, opts.apiKey, opts.now);
    }
    const parsed = devinoStatusCallback.safeParse(item);
    if (!parsed.success) throw new WebhookPayloadError("Devino webhook item is neither a status callback nor an incoming message");
    return statusEvent(parsed.data, opts.now);
  });
}
