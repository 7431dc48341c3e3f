import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { hotStatement } from "../../db/hot-statement.js";
import type { Db } from "../../db/index.js";
import { channels, conversations, type MessageFile, messages, outboxJobs } from "../../db/schema.js";
import type { AppDeps } from "../../deps.js";
import type { IncomingFile, Peer, ProviderEvent } from "../../providers/types.js";
import type { Channel } from "../channels.js";
import { peerKey } from "../peer.js";
import { primaryOf } from "../failover.js";
import { upsertConversation } from "./conversation.js";
import { insertMessageWithJobs } from "./insert-message.js";
import { deferStatus, findByProviderId, type LateStatus, recordStatus } from "./record-status.js";
import { forgetChannel } from "../lookup-cache.js";

/** Job kind that carries a client's message into the bound CRM chat (handled by crm/*). */
export const CRM_DELIVER_JOB = "crm.deliver_incoming";

export interface RecordResult {
  stored: number;
  duplicates: number;
  statuses: number;
  jobIds: string[];
}

type Incoming = Extract<ProviderEvent, { type: "incoming" }>;

/** The headers themselves (provider credentials) are not stored: only that the link needs them. */
function storedFile(f: IncomingFile): MessageFile {
  return {
    url: f.url,
    ...(f.name ? { name: f.name } : {}),
    ...(f.mime ? { mime: f.mime } : {}),
    ...(f.headers && Object.keys(f.headers).length > 0 ? { auth: true } : {}),
  };
}

/**
 * Marks a client's edit shown as a new message. Both CRMs have an edit call
 * (imconnector.update.messages, amojo edit_message), used when the CRM has the original; an
 * edit of a message we never stored, or one the CRM never got, goes in as a new message with
 * this mark so nobody takes it for a new question.
 */
export const EDITED_MARK = "✏️ (edited)";

function describeIncoming(e: Incoming, markEdited: boolean): { body: string | null; file: MessageFile | null } {
  const parts: string[] = [];
  if (e.edited && markEdited) parts.push(EDITED_MARK);
  if (e.text) parts.push(e.text);
  if (e.location) {
    const { latitude, longitude, name, address } = e.location;
    parts.push([name, address, `https://maps.google.com/?q=${latitude},${longitude}`].filter(Boolean).join(", "));
  }
  if (e.contact) parts.push(`${e.contact.name}: ${e.contact.phones.join(", ")}`);
  const [first] = e.files;
  const file = first
    ? storedFile(first)
    : null;
  return { body: parts.length ? parts.join("\n") : null, file };
}

/** The client's own message with this provider id (the first row of it), for an edit to name. */
async function findIncoming(deps: AppDeps, channelId: string, providerMessageId: string): Promise<string | undefined> {
  const [row] = await deps.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.channelId, channelId), eq(messages.providerMessageId, providerMessageId), eq(messages.direction, "in"), isNull(messages.editOf)))
    .orderBy(asc(messages.createdAt))
    .limit(1);
  return row?.id;
}

/**
 * Stores what a provider reported, each event once: an incoming message becomes a row keyed
 * by the provider's event id (a redelivered webhook finds it and stops), and, when the channel
 * is bound to a CRM line, one delivery job in the same transaction. Statuses move messages
 * forward; channel states update the channel.
 */
export async function recordProviderEvents(deps: AppDeps, channel: Channel, events: ProviderEvent[]): Promise<RecordResult> {
  const result: RecordResult = { stored: 0, duplicates: 0, statuses: 0, jobIds: [] };
  const received = deps.clock.now().getTime();
  // Rows of one webhook (a batch of messages, a message with several files) get times a
  // millisecond apart in the order given: a conversation's CRM deliveries go oldest first, and
  // equal times would leave their order to chance.
  let rowSerial = 0;
  // only client messages need to know where they go; statuses and states do not
  const routing = events.some((e) => e.type === "incoming") ? await inboundRouting(deps, channel) : undefined;
  const group = routing?.group;

  for (const event of events) {
    if (event.type === "incoming") {
      const extraFiles = event.files.slice(1);
      const target = group && (await group.takes(event.peer)) ? group : undefined;
      const home = target?.primary ?? channel;
      const homeBound = target ? target.bound : routing?.bound === true;
      if (target && !event.fromOwner) {
        // the number the client wrote to knows them too (its window, its new-chats cap)
        await upsertConversation(deps.db, channel.id, event.peer, new Date(received), { inboundAt: event.at });
      }
      // an edit names the client's earlier message: the CRM can show it as an edit of that one
      const original = event.edited ? await findIncoming(deps, home.id, event.providerMessageId) : undefined;
      // one row per file beyond the first, so every attachment reaches the CRM
      const rows = [
        { key: event.eventId, ...describeIncoming(event, !original), editOf: original ?? null },
        ...extraFiles.map((f, i) => ({
          key: `${event.eventId}#${i + 1}`,
          body: null,
          file: storedFile(f),
          editOf: null,
        })),
      ];
      for (const row of rows) {
        const now = new Date(received + rowSerial++);
        const inserted = await insertMessageWithJobs(deps.db, {
          channelId: home.id,
          peer: event.peer,
          facts: {
            ...(event.fromOwner ? {} : { inboundAt: event.at, inboundVia: target ? channel.id : null }),
            ...(event.clientPhone ? { phone: event.clientPhone } : {}),
          },
          now,
          row: {
            channelId: home.id,
            viaChannelId: target ? channel.id : null,
            direction: event.fromOwner ? "out" : "in",
            origin: event.fromOwner ? "phone" : "provider",
            peer: peerKey(event.peer),
            body: row.body,
            file: row.file,
            editOf: row.editOf,
            providerMessageId: event.providerMessageId,
            status: event.fromOwner ? "sent" : "delivered",
            statusHistory: [{ status: event.fromOwner ? "sent" : "delivered", at: event.at.toISOString() }],
            dedupKey: `in:${channel.id}:${row.key}`,
            createdAt: now,
            updatedAt: now,
          },
          // one at a time per conversation and in the order written (an ordered job kind)
          jobs: (messageId) =>
            homeBound
              ? [
                  {
                    kind: CRM_DELIVER_JOB,
                    payload: { messageId },
                    dedupKey: `${CRM_DELIVER_JOB}:${messageId}`,
                    pace: { key: { conversation: true }, minIntervalMs: 0, jitterMs: 0 },
                    maxAttempts: deps.config.OUTBOX_MAX_ATTEMPTS,
                  },
                ]
              : [],
        });
        const jobId = inserted ? (inserted.jobIds[0] ?? undefined) : null;
        if (jobId === null) result.duplicates++;
        else {
          result.stored++;
          if (jobId) result.jobIds.push(jobId);
        }
      }
    } else if (event.type === "status") {
      const message = await findByProviderId(deps.db, channel.id, event.providerMessageId);
      if (!message) {
        const late: LateStatus = {
          channelId: channel.id,
          providerMessageId: event.providerMessageId,
          status: event.status,
          at: event.at.toISOString(),
          ...(event.reason ? { reason: event.reason } : {}),
          ...(event.code ? { code: event.code } : {}),
        };
        await deferStatus(deps, late, event.eventId);
        result.statuses++;
        continue;
      }
      const { message: updated, jobId } = await recordStatus(deps, message, {
        status: event.status,
        at: event.at,
        ...(event.reason ? { reason: event.reason } : {}),
        ...(event.code ? { errorCode: event.code } : {}),
      });
      if (updated) result.statuses++;
      if (jobId) result.jobIds.push(jobId);
    } else {
      await deps.db
        .update(channels)
        .set({ state: event.state, stateCheckedAt: event.at, updatedAt: new Date(received) })
        .where(eq(channels.id, channel.id));
      forgetChannel(channel.id);
    }
  }
  if (result.jobIds.length > 0) await deps.queue.wake(result.jobIds);
  return result;
}

interface InboundGroup {
  primary: { id: string };
  /** whether the primary is bound to a CRM line */
  bound: boolean;
  /** whether this client's message goes to the primary's conversation */
  takes(peer: Peer): Promise<boolean>;
}

const routingStatement = hotStatement<"channel" | "portal" | "messenger">(
  "inbound_routing",
  (p) => sql`select exists (select 1 from line_bindings where channel_id = ${p("channel")}::uuid and active) as own_bound,
               p.id as primary_id,
               exists (select 1 from line_bindings where channel_id = p.id and active) as primary_bound
        from (select 1) as one
        left join lateral (
          select id from channels
          where ${p("portal")}::uuid is not null and portal_id = ${p("portal")}::uuid and messenger = ${p("messenger")}
            and deleted_at is null and fallback_ids @> array[${p("channel")}::uuid]
          order by created_at, id limit 1) p on true`,
);

/**
 * Where a channel's client messages go, in one round trip: whether the channel is bound to a CRM
 * line, and the group it is a fallback of, if any (the primary, core/failover.ts primaryOf:
 * found through the GIN index on fallback_ids), with whether that one is bound.
 *
 * A fallback hands its clients' messages to the primary's conversation and CRM chat, so the
 * operator keeps one conversation whichever number the client wrote to: all of them when it has
 * no CRM binding of its own, otherwise those of clients who already talk with the primary.
 * Two channels that back each other up (each names the other as a fallback) are each other's
 * primary: without a binding of either, a channel hands over only clients who already talk with
 * the other, else each number's messages would land in the other's conversation.
 */
async function inboundRouting(deps: AppDeps, channel: Channel): Promise<{ bound: boolean; group?: InboundGroup }> {
  const [row] = await routingStatement.rows<{ own_bound: boolean; primary_id: string | null; primary_bound: boolean | null }>(deps.db, {
    channel: channel.id,
    portal: channel.portalId,
    messenger: channel.messenger,
  });
  const ownBinding = row?.own_bound === true;
  if (!row?.primary_id) return { bound: ownBinding };
  const primary = { id: row.primary_id };
  const bound = row.primary_bound === true;
  const mutual = channel.fallbackIds.includes(primary.id);
  return {
    bound: ownBinding,
    group: {
      primary,
      bound,
      async takes(peer) {
        if (!ownBinding && (bound || !mutual)) return true;
        return talksWith(deps, primary.id, peer);
      },
    },
  };
}

/**
 * Whether the client already talks with `channel`: its conversation with them holds messages.
 * The conversation row alone does not say so when the channel is itself a fallback (mutual
 * backup, chains): the client writing to it leaves a bare row there (the window and caps of the
 * number written to, recordProviderEvents) while the messages went to its primary's
 * conversation, and counting that row would move the client's later messages away from their chat.
 */
async function talksWith(deps: AppDeps, channelId: string, peer: Peer): Promise<boolean> {
  const [known] = await deps.db
    .select({ id: conversations.id })
    .from(conversations)
    .where(and(eq(conversations.channelId, channelId), eq(conversations.peer, peerKey(peer))))
    .limit(1);
  if (!known) return false;
  // only a fallback's conversations can be bare rows; the messages query runs only then
  const [channel] = await deps.db.select().from(channels).where(eq(channels.id, channelId));
  if (!channel || !(await primaryOf(deps.db, channel))) return true;
  const [message] = await deps.db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.channelId, channelId), eq(messages.conversationId, known.id)))
    .limit(1);
  return message !== undefined;
}

/**
 * Whether a client's message reached the CRM chat (its delivery job finished): only then can a
 * later edit be shown as an edit of it; otherwise the edit goes in as a new message marked edited.
 * Finished jobs are pruned after a week (maintenance.ts): an edit of an older message is marked too.
 */
export async function deliveredToCrm(db: Db, messageId: string): Promise<boolean> {
  const [job] = await db
    .select({ status: outboxJobs.status })
    .from(outboxJobs)
    .where(eq(outboxJobs.dedupKey, `${CRM_DELIVER_JOB}:${messageId}`));
  return job?.status === "done";
}

/** The text a CRM shows for an edit it cannot apply to the original: marked, so nobody takes it for a new question. */
export function markedEdit(body: string | null): string {
  return body ? `${EDITED_MARK}\n${body}` : EDITED_MARK;
}
