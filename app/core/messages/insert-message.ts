import { getTableColumns, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { HotShapes } from "../../db/hot-statement.js";
import { type Db, fromDriverRow } from "../../db/index.js";
import { messages } from "../../db/schema.js";
import type { Peer } from "../../providers/types.js";
import { currentRequestId } from "../request-scope.js";
import { type ConversationFacts, type ConversationKey, conversationUpsertSql, conversationValues } from "./conversation.js";
import type { Message } from "./status.js";

/** A message row as written: everything but the conversation, which the statement finds or creates. */
export type NewMessageRow = Omit<typeof messages.$inferInsert, "id" | "conversationId">;

/** A job about the new message, written only when the message is new. */
export interface MessageJob {
  kind: string;
  payload: unknown;
  dedupKey: string;
  maxAttempts: number;
  /**
   * Jobs sharing a pace key run one at a time, spaced out (core/outbox/claim.ts). `conversation`
   * keys it to the message's conversation (`conversation:<id>`), known only inside the statement.
   */
  pace?: { key: string | { conversation: true }; minIntervalMs: number; jitterMs: number };
  /** the job's first run this long after the message (messages/verdict-wait.ts); at once without it */
  runAfterMs?: number;
}

export interface InsertMessageInput {
  channelId: string;
  peer: Peer;
  facts?: ConversationFacts;
  row: NewMessageRow;
  /** the jobs of the new message, given its id (chosen here, before the statement) */
  jobs: (messageId: string) => MessageJob[];
  now: Date;
}

export interface InsertedMessage {
  message: Message;
  jobIds: string[];
}

type Key = ConversationKey | "m_id" | "m_at" | "m_request_id" | "m_paces" | "m_jobs" | `m_${string}`;

/** The message columns a row sets, in a fixed order: the statement's shape (a column left out takes its default). */
const MESSAGE_COLUMNS = getTableColumns(messages) as Record<string, PgColumn>;

function columnsOf(row: NewMessageRow): Array<[keyof NewMessageRow, PgColumn]> {
  return (Object.keys(row) as Array<keyof NewMessageRow>)
    .filter((key) => row[key] !== undefined && MESSAGE_COLUMNS[key] !== undefined)
    .sort()
    .map((key) => [key, MESSAGE_COLUMNS[key]!]);
}

/** A pace key as the statement takes it: a fixed key, or the message's conversation (known only inside it). */
function paceKeyOf(pace: NonNullable<MessageJob["pace"]>): { key: string | null; conversation: boolean } {
  return typeof pace.key === "string" ? { key: pace.key, conversation: false } : { key: null, conversation: true };
}

const statements = new HotShapes<Key>("insert_message");

/**
 * The statement of a row shape: the conversation upsert, the message insert (nothing when its
 * dedup key exists), then its pace slots and jobs, given as JSON lists so any number of them
 * shares one text. A slot keyed to the conversation becomes `conversation:<id>` in the statement.
 */
function statementOf(columns: Array<[keyof NewMessageRow, PgColumn]>) {
  const shape = columns.map(([key]) => key).join(",");
  return statements.of(shape, (p) => {
    const names = sql.raw(columns.map(([, column]) => `"${column.name}"`).join(", "));
    const values = sql.join(columns.map(([key]) => p(`m_${String(key)}`)), sql`, `);
    return sql`with conv as (${conversationUpsertSql(p)} returning id),
      msg as (
        insert into messages (id, conversation_id, ${names}) values (${p("m_id")}::uuid, (select id from conv), ${values})
        on conflict (dedup_key) do nothing
        returning *),
      paces as (
        insert into pace_slots (key, min_interval_ms, jitter_ms, next_at)
        select case when s.conversation then 'conversation:' || msg.conversation_id else s.key end, s.min_interval_ms, s.jitter_ms, ${p("m_at")}::timestamptz
        from msg, jsonb_to_recordset(${p("m_paces")}::jsonb) as s(key text, conversation boolean, min_interval_ms int, jitter_ms int)
        -- the latest enqueue's interval wins, so a changed channel setting applies to the next send
        on conflict (key) do update set min_interval_ms = excluded.min_interval_ms, jitter_ms = excluded.jitter_ms
        where pace_slots.min_interval_ms <> excluded.min_interval_ms or pace_slots.jitter_ms <> excluded.jitter_ms),
      jobs as (
        insert into outbox_jobs (kind, payload, dedup_key, pace_key, max_attempts, request_id, run_at, created_at, updated_at)
        select j.kind, j.payload, j.dedup_key, case when j.pace_conversation then 'conversation:' || msg.conversation_id else j.pace_key end,
               j.max_attempts, ${p("m_request_id")}, ${p("m_at")}::timestamptz + j.run_after_ms * interval '1 millisecond',
               ${p("m_at")}::timestamptz, ${p("m_at")}::timestamptz
        from msg, jsonb_to_recordset(${p("m_jobs")}::jsonb)
          as j(kind text, payload jsonb, dedup_key text, pace_key text, pace_conversation boolean, max_attempts int, run_after_ms int)
        on conflict (dedup_key) do nothing
        returning id, dedup_key)
      select msg.*, (select coalesce(json_agg(json_build_array(jobs.dedup_key, jobs.id)), '[]'::json) from jobs) as "__jobs" from msg`;
  });
}

/** json_agg's answer: parsed by node-postgres and PGlite, text from postgres.js without type fetching. */
function jobIdsOf(raw: unknown, jobs: MessageJob[]): string[] {
  const pairs = z.array(z.tuple([z.string(), z.string()])).parse(typeof raw === "string" ? JSON.parse(raw) : raw);
  const byKey = new Map(pairs);
  return jobs.map((job) => byKey.get(job.dedupKey)).filter((id): id is string => id !== undefined);
}

/**
 * Writes a message and its jobs in ONE statement (data-modifying CTEs): the conversation is
 * found or created, the message inserted unless its dedup key exists, and only then its jobs
 * and their pace slots. One statement is atomic on its own, so this keeps the one data path's
 * promise (row and job together or neither) in a single round trip instead of a transaction of
 * six (BEGIN, conversation, message, slot, job, COMMIT): the hot paths' cost was round trips.
 * The statement is built once per row shape and prepared (db/hot-statement.ts).
 *
 * Returns undefined when the dedup key already exists (nothing else was written but the
 * conversation's touch); the caller decides what a repeat means.
 */
export async function insertMessageWithJobs(db: Db, input: InsertMessageInput): Promise<InsertedMessage | undefined> {
  const id = crypto.randomUUID();
  const jobs = input.jobs(id);
  const columns = columnsOf(input.row);
  // one slot upsert per key: two upserts of one row in one statement would conflict
  const paces = new Map<string, { key: string | null; conversation: boolean; min_interval_ms: number; jitter_ms: number }>();
  for (const job of jobs) {
    if (!job.pace) continue;
    const slot = paceKeyOf(job.pace);
    paces.set(slot.key ?? "\0conversation", { ...slot, min_interval_ms: job.pace.minIntervalMs, jitter_ms: job.pace.jitterMs });
  }
  const values: Record<string, unknown> = {
    ...conversationValues(input.channelId, input.peer, input.now, input.facts ?? {}),
    m_id: id,
    m_at: input.now.toISOString(),
    m_request_id: currentRequestId() ?? null,
    m_paces: JSON.stringify([...paces.values()]),
    m_jobs: JSON.stringify(
      jobs.map((job) => ({
        kind: job.kind,
        payload: job.payload,
        dedup_key: job.dedupKey,
        pace_key: job.pace ? paceKeyOf(job.pace).key : null,
        pace_conversation: job.pace ? paceKeyOf(job.pace).conversation : false,
        max_attempts: job.maxAttempts,
        run_after_ms: job.runAfterMs ?? 0,
      })),
    ),
  };
  for (const [key, column] of columns) {
    const value = input.row[key];
    values[`m_${String(key)}`] = value === null ? null : column.mapToDriverValue(value);
  }
  const [row] = await statementOf(columns).rows<Record<string, unknown>>(db, values as Record<Key, unknown>);
  if (!row) return undefined;
  return { message: fromDriverRow(messages, row), jobIds: jobIdsOf(row.__jobs, jobs) };
}
