import { type SQL, sql } from "drizzle-orm";
import { hotStatement } from "../../db/hot-statement.js";
import type { Db } from "../../db/index.js";
import type { Peer } from "../../providers/types.js";
import { peerKey } from "../peer.js";

export interface ConversationFacts {
  /** the client wrote at this time: opens the customer-service window (never moved back) */
  inboundAt?: Date;
  /** the client's own phone learned in the chat (a Telegram contact they shared) */
  phone?: string;
  /**
   * the client wrote through this group channel (core/failover.ts), or through the
   * conversation's own channel (null): where replies go back
   */
  inboundVia?: string | null;
}

/** The placeholders of conversationUpsertSql. */
export type ConversationKey = "c_channel" | "c_peer" | "c_phone" | "c_name" | "c_username" | "c_inbound_at" | "c_via" | "c_set_via" | "c_at";

/**
 * The statement that finds or creates the conversation of a channel's client, keeping the
 * latest name, handle and phone we learned; with placeholders (conversationValues fills them),
 * so it is built once and can also sit inside a larger statement (insert-message.ts).
 */
export function conversationUpsertSql(p: (key: ConversationKey) => SQL): SQL {
  return sql`insert into conversations (channel_id, peer, peer_phone, peer_name, peer_username, last_inbound_at, last_inbound_via, created_at, updated_at)
    values (${p("c_channel")}::uuid, ${p("c_peer")}, ${p("c_phone")}, ${p("c_name")}, ${p("c_username")}, ${p("c_inbound_at")}::timestamptz,
            ${p("c_via")}::uuid, ${p("c_at")}::timestamptz, ${p("c_at")}::timestamptz)
    on conflict (channel_id, peer) do update set
      updated_at = excluded.updated_at,
      peer_name = coalesce(excluded.peer_name, conversations.peer_name),
      peer_username = coalesce(excluded.peer_username, conversations.peer_username),
      peer_phone = coalesce(excluded.peer_phone, conversations.peer_phone),
      last_inbound_at = greatest(excluded.last_inbound_at, conversations.last_inbound_at),
      last_inbound_via = case when ${p("c_set_via")}::boolean then excluded.last_inbound_via else conversations.last_inbound_via end`;
}

export function conversationValues(channelId: string, peer: Peer, now: Date, facts: ConversationFacts = {}): Record<ConversationKey, unknown> {
  return {
    c_channel: channelId,
    c_peer: peerKey(peer),
    c_phone: facts.phone ?? peer.phone ?? null,
    c_name: peer.name ?? null,
    c_username: peer.username ?? null,
    c_inbound_at: facts.inboundAt?.toISOString() ?? null,
    c_via: facts.inboundVia ?? null,
    c_set_via: facts.inboundVia !== undefined,
    c_at: now.toISOString(),
  };
}

const upsertStatement = hotStatement<ConversationKey>("conversation_upsert", (p) => sql`${conversationUpsertSql(p)} returning id`);

/** Finds or creates the conversation of a channel's client; its id. */
export async function upsertConversation(db: Db, channelId: string, peer: Peer, now: Date, facts: ConversationFacts = {}): Promise<string> {
  const [row] = await upsertStatement.rows<{ id: string }>(db, conversationValues(channelId, peer, now, facts));
  return row!.id;
}
