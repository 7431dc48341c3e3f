import { z } from "zod";
import { peerFromKey } from "../../../core/peer.js";
import type { conversations } from "../../../db/schema.js";
import type { Peer } from "../../../providers/types.js";

export type Conversation = typeof conversations.$inferSelect;

/**
 * The ids we give amojo (2.5): one scope carries every channel of an account, so a client's
 * chat and user ids name the channel and the client's peer key (`79001234567`, `chat:<id>`).
 * They are stable, so a reply hook's `conversation.client_id` leads straight back to the
 * channel and the peer without a lookup table.
 */
export const conversationIdOf = (channelId: string, peer: string) => `cb-${channelId}-${peer}`;
export const clientUserIdOf = (channelId: string, peer: string) => `cb-user-${channelId}-${peer}`;
/** The sender of messages the owner typed on the phone or the API sent, per channel. */
export const botUserIdOf = (channelId: string) => `cb-bot-${channelId}`;

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const CONVERSATION_ID = new RegExp(`^cb-(${UUID})-(.+)$`, "i");
const CLIENT_USER_ID = new RegExp(`^cb-user-(${UUID})-(.+)$`, "i");

export interface OurClient {
  channelId: string;
  peer: Peer;
}

function parse(pattern: RegExp, id: string | null | undefined): OurClient | undefined {
  const m = pattern.exec(id ?? "");
  if (!m) return undefined;
  return { channelId: m[1]!.toLowerCase(), peer: peerFromKey(m[2]!) };
}

/** Our channel and peer from a `conversation.client_id` we gave (2.7), or undefined for another shape. */
export const parseConversationId = (id: string | null | undefined) => parse(CONVERSATION_ID, id);
export const parseClientUserId = (id: string | null | undefined) => parse(CLIENT_USER_ID, id);

/**
 * A chat a manager started with "write first" (2.7, 6.2 pitfall 8) exists in amojo under its
 * own ids only. They are kept on the conversation (crmSessionId, unused otherwise on amoCRM)
 * until the client's next message is sent with `conversation_ref_id` and `sender.ref_id`,
 * which binds amojo's chat and user to ours (2.5). Two deliveries running at once may both
 * carry them; they name the same pair, so the binding is the same.
 */
const pendingRefSchema = z.object({ conversation: z.string().min(1), user: z.string().min(1).optional() });
export type PendingRef = z.output<typeof pendingRefSchema>;

export function pendingRefOf(conversation: Pick<Conversation, "crmSessionId">): PendingRef | undefined {
  if (!conversation.crmSessionId) return undefined;
  try {
    const parsed = pendingRefSchema.safeParse(JSON.parse(conversation.crmSessionId));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function pendingRefValue(ref: PendingRef): string {
  return JSON.stringify(ref);
}
