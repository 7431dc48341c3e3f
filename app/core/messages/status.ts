import { eq, sql } from "drizzle-orm";
import { hotStatement } from "../../db/hot-statement.js";
import { type Db, fromDriverRow } from "../../db/index.js";
import { type MessageStatus, messages, type StatusEntry } from "../../db/schema.js";
import { verdictWaiterKeys } from "./verdict-wait.js";

export type Message = typeof messages.$inferSelect;

const RANK: Record<MessageStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * Whether a status report moves a message on. Statuses arrive out of order (read before
 * delivered) and more than once, so they only move forward along queued < sent < delivered <
 * read; failed is always recorded, except after delivered/read, which prove it arrived
 * (reference/providers.md, general rules).
 */
export function advances(current: MessageStatus, next: MessageStatus): boolean {
  if (next === "failed") return current !== "failed" && current !== "delivered" && current !== "read";
  if (current === "failed") return false;
  return RANK[next] > RANK[current];
}

export interface StatusChange {
  status: MessageStatus;
  at: Date;
  reason?: string;
  errorCode?: string;
  providerMessageId?: string;
  /** the group channel that sent it, when not the message's own (core/failover.ts) */
  viaChannelId?: string;
}

/**
 * The time a status is recorded at: the provider's time, but never before the message was
 * created nor before the status it follows. A provider whose clock is behind ours (or a
 * status dated by the provider's send time while we queued the message later) would otherwise
 * put `sent` before `queued`, and any list sorted by time would show the history backwards.
 * The history is an ordered list of transitions, each after the previous one.
 */
export function historyTime(message: Pick<Message, "createdAt" | "statusHistory">, providerAt: Date): Date {
  let floor = message.createdAt.getTime();
  const last = message.statusHistory.at(-1);
  const lastAt = last ? Date.parse(last.at) : Number.NaN;
  if (!Number.isNaN(lastAt) && lastAt > floor) floor = lastAt;
  const at = providerAt.getTime();
  return Number.isNaN(at) || at < floor ? new Date(floor) : providerAt;
}

// every applied status appends one history entry, so the history's length versions the row
const applyStatement = hotStatement<
  "id" | "status" | "history" | "at" | "provider_id" | "via" | "failed" | "error_code" | "error_message" | "current_status" | "history_length" | "waiters"
>(
  "apply_status",
  (p) => sql`with updated as (update messages set status = ${p("status")}, status_history = ${p("history")}::jsonb, updated_at = ${p("at")}::timestamptz,
      provider_message_id = coalesce(${p("provider_id")}, provider_message_id),
      via_channel_id = coalesce(${p("via")}::uuid, via_channel_id),
      error_code = case when ${p("failed")}::boolean then ${p("error_code")} else error_code end,
      error_message = case when ${p("failed")}::boolean then ${p("error_message")} else error_message end
    where id = ${p("id")}::uuid and status = ${p("current_status")} and jsonb_array_length(status_history) = ${p("history_length")}::int
    returning *),
    -- the message's note jobs wait for its verdict (verdict-wait.ts): now they may run
    woken as (update outbox_jobs set run_at = ${p("at")}::timestamptz
      where dedup_key = any(${p("waiters")}::text[]) and status = 'pending' and run_at > ${p("at")}::timestamptz
        and exists (select 1 from updated))
    select * from updated`,
);

/**
 * Applies a status to a message if it advances it; returns the updated row, or undefined when
 * it did not. Reports for one message race (read and delivered webhooks arrive together), so
 * the write only lands on the row as it was read (same status, same history length), and a lost
 * race re-reads and decides again.
 */
export async function applyStatus(db: Db, message: Message, change: StatusChange): Promise<Message | undefined> {
  let current: Message | undefined = message;
  for (let attempt = 0; attempt < 10 && current; attempt++) {
    if (!advances(current.status, change.status)) return undefined;
    const at = historyTime(current, change.at);
    const entry: StatusEntry = { status: change.status, at: at.toISOString() };
    if (change.reason) entry.reason = change.reason;
    const failed = change.status === "failed";
    const [raw] = await applyStatement.rows<Record<string, unknown>>(db, {
      id: current.id,
      status: change.status,
      history: JSON.stringify([...current.statusHistory, entry]),
      at: at.toISOString(),
      provider_id: change.providerMessageId || null,
      via: change.viaChannelId || null,
      failed,
      error_code: failed ? (change.errorCode ?? "delivery_failed") : null,
      error_message: failed ? (change.reason ?? null) : null,
      current_status: current.status,
      history_length: current.statusHistory.length,
      waiters: current.direction === "out" ? verdictWaiterKeys(current.id) : "{}",
    });
    const row = raw ? fromDriverRow(messages, raw) : undefined;
    if (row) return row;
    [current] = await db.select().from(messages).where(eq(messages.id, message.id));
  }
  return undefined;
}
