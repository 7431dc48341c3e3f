import { sql } from "drizzle-orm";
import type { Db } from "../../db/index.js";
import { conversations } from "../../db/schema.js";
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

/**
 * The statement that finds or creates the conversation of a channel's client, keeping the
 * latest name, handle and phone we learned; not yet run, so it can also sit inside a larger
 * statement (insert-message.ts).
 */
export function conversationUpsert(db: Db, channelId: string, peer: Peer, now: Date, facts: ConversationFacts = {}) {
  return db
    .insert(conversations)
    .values({
      channelId,
      peer: peerKey(peer),
      peerPhone: facts.phone ?? peer.phone ?? null,
      peerName: peer.name ?? null,
      peerUsername: peer.username ?? null,
      lastInboundAt: facts.inboundAt ?? null,
      lastInboundVia: facts.inboundVia ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [conversations.channelId, conversations.peer],
      set: {
        updatedAt: now,
        peerName: sql`coalesce(excluded.peer_name, ${conversations.peerName})`,
        peerUsername: sql`coalesce(excluded.peer_username, ${conversations.peerUsername})`,
        peerPhone: sql`coalesce(excluded.peer_phone, ${conversations.peerPhone})`,
        lastInboundAt: sql`greatest(excluded.last_inbound_at, ${conversations.lastInboundAt})`,
        ...(facts.inboundVia !== undefined ? { lastInboundVia: sql`excluded.last_inbound_via` } : {}),
      },
    });
}

/** Finds or creates the conversation of a channel's client; its id. */
export async function upsertConversation(db: Db, channelId: string, peer: Peer, now: Date, facts: ConversationFacts = {}): Promise<string> {
  const [row] = await conversationUpsert(db, channelId, peer, now, facts).returning({ id: conversations.id });
  return row!.id;
}
