import type { DeliveryStatus, ProviderEvent } from "../types.js";
import { WebhookPayloadError } from "../types.js";
import { hookPayload, type WahelpHookMessage } from "./schema.js";

/**
 * Wahelp status names are not documented (reference/providers.md 8: "Wahelp status names are
 * unknown") [U]. The common spellings map onto our ladder; the in-flight ones produce no event.
 */
const STATUS_NAMES: Record<string, DeliveryStatus | null> = {
  sent: "sent",
  delivered: "delivered",
  read: "read",
  viewed: "read",
  seen: "read",
  failed: "failed",
  error: "failed",
  undelivered: "failed",
  rejected: "failed",
  new: null,
  created: null,
  queued: null,
  pending: null,
  sending: null,
};

/** Timestamps may be ISO strings or unix seconds/milliseconds [U]. */
function parseTime(value: string | number | null | undefined, fallback: Date): Date {
  if (value === null || value === undefined || value === "") return fallback;
  if (typeof value === "number" || /^\d+$/.test(value)) {
    const n = Number(value);
    return new Date(n < 1e12 ? n * 1000 : n);
  }
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? fallback : at;
}

function toEvent(msg: WahelpHookMessage, now: Date): ProviderEvent[] {
  const id = msg.id;
  const at = parseTime(msg.updated_at ?? msg.created_at, now);
  if (msg.direction === "incoming" || msg.direction === "in") {
    const phone = (msg.user?.phone ?? msg.phone ?? "").replace(/\D/g, "");
    const userId = msg.user?.id ?? msg.user_id ?? undefined;
    if (!phone && !userId) throw new WebhookPayloadError(`Wahelp message ${id}: no sender`);
    const files = (msg.files ?? []).map((f) => ({
      url: f.url,
      ...(f.name ? { name: f.name } : {}),
      ...(f.mime ? { mime: f.mime } : {}),
    }));
    if (!msg.text && files.length === 0) throw new WebhookPayloadError(`Wahelp message ${id}: neither text nor files`);
    return [
      {
        type: "incoming",
        eventId: `in:${id}`,
        providerMessageId: id,
        // the Wahelp user id is kept as chatId: sending back to it needs no user lookup
        peer: {
          ...(phone ? { phone } : {}),
          ...(userId ? { chatId: userId } : {}),
          ...(msg.user?.name ? { name: msg.user.name } : {}),
        },
        ...(msg.text ? { text: msg.text } : {}),
        files,
        at,
      },
    ];
  }
  if (msg.status) {
    const name = msg.status.toLowerCase();
    if (!(name in STATUS_NAMES)) throw new WebhookPayloadError(`Wahelp message ${id}: unknown status "${msg.status}"`);
    const status = STATUS_NAMES[name];
    if (!status) return [];
    return [{ type: "status", eventId: `status:${id}:${status}`, providerMessageId: id, status, at }];
  }
  throw new WebhookPayloadError(`Wahelp message ${id}: neither an incoming message nor a status change`);
}

/**
 * Parses a Wahelp hook body [U]: one message object, bare or in a `{event, data}` envelope, or
 * an array of those. Messages naming another channel of the project are skipped. Anything else is a WebhookPayloadError so it lands in quarantine.
 */
export function parseWahelpHook(body: string, channelUuid: string, now: Date): ProviderEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new WebhookPayloadError("Wahelp webhook body is not JSON");
  }
  const items = Array.isArray(json) ? json : [json];
  if (items.length === 0) throw new WebhookPayloadError("Wahelp webhook body is an empty array");
  return items.flatMap((item) => {
    const parsed = hookPayload.safeParse(item);
    if (!parsed.success) throw new WebhookPayloadError("Wahelp webhook body has no message object");
    const msg = "data" in parsed.data ? parsed.data.data : parsed.data;
    // the hook is per project (seed 000 §7): another channel's messages are not ours to import
    if (msg.channel_uuid && msg.channel_uuid !== channelUuid) return [];
    return toEvent(msg, now);
  });
}
