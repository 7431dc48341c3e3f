import {
  type ChannelState,
  type DeliveryStatus,
  type PollOptions,
  type ProviderContext,
  type ProviderEvent,
  ProviderPermanentError,
} from "../types.js";
import { wammCall } from "./client.js";
import { lastMessagesAnswer, msgStateAnswer, type WammCredentials, type WammMessage } from "./schema.js";

type Ctx = ProviderContext<WammCredentials>;

/** msg_get_last returns at most 100 messages (seed 002): more between two polls are missed. */
const PAGE = 100;
/** msg_state is one call per message: at most this many per poll, the most recent first. */
export const MAX_STATE_LOOKUPS = 20;

/**
 * WAMM `state` values (reference/providers.md 6c and 8) [U]: the seed lists sending, received,
 * delivered, viewed "and others". `received` is read as delivered; states we do not know give no event.
 */
const STATES: Record<string, DeliveryStatus | null> = {
  sending: null,
  sent: "sent",
  received: "delivered",
  delivered: "delivered",
  viewed: "read",
  read: "read",
  error: "failed",
  failed: "failed",
};

/** `date_ins` is "2021-01-24 19:52:00" without a zone; WAMM is a Moscow service, so +03:00 [U]. */
export function wammTime(value: string | null | undefined, fallback: Date): Date {
  const m = value ? /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(value.trim()) : null;
  if (!m) return fallback;
  const at = new Date(`${m[1]}T${m[2]}+03:00`);
  return Number.isNaN(at.getTime()) ? fallback : at;
}

const isDigits = (s: string | null): s is string => s !== null && /^\d+$/.test(s);
const newer = (a: string, b: string) => BigInt(a) > BigInt(b);

function incomingEvent(m: WammMessage, now: Date): ProviderEvent {
  const isFile = m.tip_msg === "file_link" && !!m.msg_link;
  return {
    type: "incoming",
    eventId: `in:${m.msg_id}`,
    providerMessageId: m.msg_id,
    peer: { phone: m.phone.replace(/\D/g, ""), ...(m.chat_name ? { name: m.chat_name } : {}) },
    ...(m.msg_text ? { text: m.msg_text } : {}),
    files: isFile ? [{ url: m.msg_link! }] : [],
    at: wammTime(m.date_ins, now),
  };
}

function statusEvent(id: string, state: string, at: Date): ProviderEvent | null {
  const status = STATES[state.toLowerCase()];
  if (!status) return null;
  return { type: "status", eventId: `state:${id}:${status}`, providerMessageId: id, status, at };
}

/** "acc not authorized" / "token fail" during a poll are channel states, not poll failures. */
function channelStateFor(err: unknown): ChannelState | null {
  if (!(err instanceof ProviderPermanentError)) return null;
  if (err.code === "not_connected") return "qr_required";
  if (err.code === "invalid_credentials") return "unauthorized";
  return null;
}

async function outstandingStatuses(ctx: Ctx, outstanding: readonly string[], now: Date): Promise<ProviderEvent[]> {
  const wanted = [...new Set(outstanding.filter((id) => /^\d+$/.test(id)))];
  if (wanted.length === 0) return [];
  // one call covers the last 100 sent messages; msg_state only for older ones
  const recent = await wammCall(ctx, "msg_get_last", { col: PAGE, from_me: 1 }, lastMessagesAnswer, ["msgs not be"]);
  const states = new Map(recent.map((m) => [m.msg_id, m]));
  const events: ProviderEvent[] = [];
  let lookups = 0;
  for (const id of wanted) {
    const known = states.get(id);
    if (known?.state) {
      const ev = statusEvent(id, known.state, wammTime(known.date_upd ?? known.date_ins, now));
      if (ev) events.push(ev);
      continue;
    }
    if (lookups >= MAX_STATE_LOOKUPS) continue;
    lookups += 1;
    try {
      const answer = await wammCall(ctx, "msg_state", { msg_id: id }, msgStateAnswer);
      const ev = statusEvent(id, answer.msg_data.state, now);
      if (ev) events.push(ev);
    } catch (err) {
      if (channelStateFor(err)) throw err;
      // "msg not be" and the like: this message has no state to report; the others still do
      ctx.logger.warn("wamm: message state lookup failed", { channelId: ctx.channelId, msgId: id, error: String(err) });
    }
  }
  return events;
}

/**
 * WAMM has no webhooks (reference 6c), so inbound messages and statuses are polled.
 *
 * Incoming: msg_get_last with from_me=0; the cursor is the highest msg_id seen, and only newer
 * ids become events (each id once, oldest first). The first poll (cursor null) only sets the
 * cursor: the last 100 messages are history, not news to push into the CRM; an empty account
 * gets cursor "0" so its first message is not mistaken for history.
 *
 * Statuses: `opts.outstanding` lists our sent messages still waiting for a final status
 * (see PollOptions); their states come from the last 100 sent messages, else msg_state.
 */
export async function pollWamm(ctx: Ctx, cursor: string | null, opts: PollOptions = {}) {
  const now = ctx.clock.now();
  const start = isDigits(cursor) ? cursor : null;
  try {
    const received = await wammCall(ctx, "msg_get_last", { col: PAGE, from_me: 0 }, lastMessagesAnswer, ["msgs not be"]);
    const seen = new Set<string>();
    const fresh = received
      .filter((m) => !m.from_me)
      .filter((m) => (seen.has(m.msg_id) ? false : (seen.add(m.msg_id), true)))
      .sort((a, b) => (newer(a.msg_id, b.msg_id) ? 1 : newer(b.msg_id, a.msg_id) ? -1 : 0));
    const highest = fresh.reduce((max, m) => (newer(m.msg_id, max) ? m.msg_id : max), start ?? "0");
    const events: ProviderEvent[] =
      start === null ? [] : fresh.filter((m) => newer(m.msg_id, start)).map((m) => incomingEvent(m, now));
    events.push(...(await outstandingStatuses(ctx, opts.outstanding ?? [], now)));
    return { events, cursor: highest };
  } catch (err) {
    const state = channelStateFor(err);
    if (!state) throw err;
    const event: ProviderEvent = {
      type: "channel_state",
      eventId: `channel:${state}:${now.getTime()}`,
      state,
      detail: err instanceof Error ? err.message : String(err),
      at: now,
    };
    return { events: [event], cursor };
  }
}
