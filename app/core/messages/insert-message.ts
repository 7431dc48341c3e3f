import { type SQL, sql } from "drizzle-orm";
import { type Db, fromDriverRow, queryRows } from "../../db/index.js";
import { conversations, messages } from "../../db/schema.js";
import type { Peer } from "../../providers/types.js";
import { currentRequestId } from "../request-scope.js";
import { conversationUpsert, type ConversationFacts } from "./conversation.js";
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

function paceKeySql(key: string | { conversation: true }): SQL {
  return typeof key === "string" ? sql`${key}` : sql`'conversation:' || msg.conversation_id`;
}

/**
 * Writes a message and its jobs in ONE statement (data-modifying CTEs): the conversation is
 * found or created, the message inserted unless its dedup key exists, and only then its jobs
 * and their pace slots. One statement is atomic on its own, so this keeps the one data path's
 * promise (row and job together or neither) in a single round trip instead of a transaction of
 * six (BEGIN, conversation, message, slot, job, COMMIT): the hot paths' cost was round trips.
 *
 * Returns undefined when the dedup key already exists (nothing else was written but the
 * conversation's touch); the caller decides what a repeat means.
 */
export async function insertMessageWithJobs(db: Db, input: InsertMessageInput): Promise<InsertedMessage | undefined> {
  const id = crypto.randomUUID();
  const at = input.now.toISOString();
  const requestId = currentRequestId() ?? null;
  const jobs = input.jobs(id);
  const conv = conversationUpsert(db, input.channelId, input.peer, input.now, input.facts ?? {}).returning({ id: conversations.id });
  const msg = db
    .insert(messages)
    .values({ ...input.row, id, conversationId: sql`(select id from conv)` })
    .onConflictDoNothing({ target: messages.dedupKey })
    .returning();

  const parts: SQL[] = [sql`conv as (${conv.getSQL()})`, sql`msg as (${msg.getSQL()})`];
  // one slot upsert per key: two upserts of one row in one statement would conflict
  const paces = new Map<string, NonNullable<MessageJob["pace"]>>();
  for (const job of jobs) if (job.pace) paces.set(typeof job.pace.key === "string" ? job.pace.key : "\0conversation", job.pace);
  [...paces.values()].forEach((pace, i) => {
    // the latest enqueue's interval wins, so a changed channel setting applies to the next send
    parts.push(sql`${sql.raw(`p${i}`)} as (
      insert into pace_slots (key, min_interval_ms, jitter_ms, next_at)
      select ${paceKeySql(pace.key)}, ${pace.minIntervalMs}::int, ${pace.jitterMs}::int, ${at}::timestamptz from msg
      on conflict (key) do update set min_interval_ms = excluded.min_interval_ms, jitter_ms = excluded.jitter_ms
      where pace_slots.min_interval_ms <> excluded.min_interval_ms or pace_slots.jitter_ms <> excluded.jitter_ms)`);
  });
  jobs.forEach((job, i) => {
    parts.push(sql`${sql.raw(`j${i}`)} as (
      insert into outbox_jobs (kind, payload, dedup_key, pace_key, max_attempts, request_id, run_at, created_at, updated_at)
      select ${job.kind}, ${JSON.stringify(job.payload)}::jsonb, ${job.dedupKey}, ${job.pace ? paceKeySql(job.pace.key) : sql`null`},
             ${job.maxAttempts}::int, ${requestId}, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz from msg
      on conflict (dedup_key) do nothing returning id)`);
  });
  const jobColumns = jobs.map((_, i) => sql`(select id from ${sql.raw(`j${i}`)}) as ${sql.raw(`"__job_${i}"`)}`);
  const query = sql`with ${sql.join(parts, sql`, `)} select msg.*${jobColumns.length ? sql`, ${sql.join(jobColumns, sql`, `)}` : sql``} from msg`;

  const [row] = await queryRows<Record<string, unknown>>(db, query);
  if (!row) return undefined;
  const jobIds = jobs.map((_, i) => row[`__job_${i}`]).filter((v): v is string => typeof v === "string");
  return { message: fromDriverRow(messages, row), jobIds };
}
